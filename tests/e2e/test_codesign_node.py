"""The reference Node.js socket.io-client (npm's, the one the browser is served) in a draft:
it joins with a token and sends ops, and a python-socketio teammate receives them."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from deliberation.demo import HALF_COURT_OFFSET, ORIGIN, shaded_court_layout
from tests.e2e.conftest import LiveServer, free_port, prepare_database, server_environment
from tests.e2e.test_codesign_servers import Designer
from tests.e2e.test_live_servers import token
from tests.services import require

pytestmark = pytest.mark.e2e
CLIENT = Path(__file__).with_name("node_design_client.js")
DESIGNER, CO_DESIGNER = "designer1@demo.jiayuan.cn", "designer2@demo.jiayuan.cn"


def api(base: str, email: str, method: str, path: str, **body) -> dict:
    headers = {"Authorization": f"Bearer {token(base, email)}"}
    response = requests.request(
        method, f"{base}/api/v1{path}", json=body or None, headers=headers, timeout=10
    )
    assert response.status_code < 400, response.text
    return response.json()


@pytest.fixture(scope="module")
def team_server(tmp_path_factory) -> Iterator[tuple[LiveServer, int, dict[str, int]]]:
    """A server of its own (the shared one's drafts stay as other tests left them) with a
    proposal of designer1 and co-designer designer2 in a round taking versions."""
    require("node")
    folder = tmp_path_factory.mktemp("codesign-node")
    env = server_environment(f"sqlite:///{folder / 'jiayuan.sqlite3'}", free_port())
    prepare_database(env)
    server = LiveServer(env, folder / "server.log")
    try:
        moderator = "moderator@demo.jiayuan.cn"
        site_id = api(server.url, moderator, "GET", "/rounds/1")["site_id"]
        round_id = api(server.url, moderator, "POST", "/rounds", site_id=site_id, title="Node co-design")[
            "id"
        ]
        api(server.url, moderator, "POST", f"/rounds/{round_id}/phase", phase="proposing", reason="a test")
        ids = {
            email: api(server.url, email, "GET", "/auth/me")["user"]["id"]
            for email in (DESIGNER, CO_DESIGNER)
        }
        proposal = api(
            server.url,
            DESIGNER,
            "POST",
            f"/rounds/{round_id}/proposals",
            title="Drawn from Node",
            layout=shaded_court_layout(),
            co_designers=[ids[CO_DESIGNER]],
        )
        yield server, proposal["id"], ids
    finally:
        server.stop()


def node_client(base: str, email: str, proposal_id: int, features: list[dict]) -> dict:
    arguments = ["--url", base, "--token", token(base, email), "--proposal", str(proposal_id)]
    done = subprocess.run(
        ["node", str(CLIENT), *arguments, "--features", json.dumps(features)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def bench_at(feature_id: str, x: float, y: float, kind: str = "bench") -> dict:
    """A feature at (x, y) metres from the half court's corner."""
    dx, dy = HALF_COURT_OFFSET
    lon, lat = ORIGIN.to_lonlat_xy(x + dx, y + dy)
    point = {"type": "Point", "coordinates": [round(lon, 8), round(lat, 8)]}
    return {"type": "Feature", "id": feature_id, "properties": {"kind": kind, "seats": 3}, "geometry": point}


def test_the_node_client_joins_a_draft_and_its_ops_reach_a_python_teammate(team_server):
    server, proposal_id, ids = team_server
    teammate = Designer(server.url, CO_DESIGNER)
    try:
        teammate.connect()
        teammate.call("draft_join", {"proposal_id": proposal_id})
        moved, added = bench_at("bench-1", 9, 21), bench_at("node-bench", 12, 12)
        answer = node_client(
            server.url, DESIGNER, proposal_id, [moved, added, bench_at("pool", 5, 5, "pool")]
        )

        join = answer["join"]
        assert join["ok"] is True and isinstance(join["seq"], int)
        assert sorted(member["id"] for member in join["team"]) == sorted(ids.values())
        assert "bench-1" in join["features"] and set(join["features"]["bench-1"]) == {"feature", "seq", "by"}
        first, second, refused = answer["ops"]
        assert set(first) == set(second) == {"ok", "seq", "op_id"}  # nobody's newer work replaced
        assert (first["ok"], first["seq"], second["ok"], second["seq"]) == (
            True,
            join["seq"] + 1,
            True,
            join["seq"] + 2,
        )
        assert first["op_id"].startswith("node-") and first["op_id"] != second["op_id"]
        assert refused["ok"] is False and refused["error"]["code"] == "invalid_layout"
        assert [op["seq"] for op in answer["heard"]] == [first["seq"], second["seq"]]

        heard = teammate.wait_for("draft_op", lambda ops: len(ops) >= 2)
        assert [(op["seq"], op["op_id"], op["feature_id"]) for op in heard] == [
            (first["seq"], first["op_id"], "bench-1"),
            (second["seq"], second["op_id"], "node-bench"),
        ]
        assert heard[0]["feature"]["geometry"] == moved["geometry"]
        assert heard[0]["by"] == ids[DESIGNER] and heard[0]["action"] == "upsert"
    finally:
        teammate.close()


def test_the_node_client_is_refused_a_draft_outside_its_team(team_server):
    server, proposal_id, _ids = team_server
    answer = node_client(server.url, "resident1@demo.jiayuan.cn", proposal_id, [])
    assert answer["join"]["ok"] is False and answer["join"]["error"]["code"] == "forbidden"
    assert answer["ops"] == [] and answer["heard"] == []
