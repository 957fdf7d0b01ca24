"""Co-design across workers: a change drawn on one worker reaches the team on another, through
Redis, as a real python-socketio client sees it."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import pytest
import requests
import socketio

from tests.e2e.conftest import LiveServer, free_port, prepare_database, server_environment
from tests.e2e.test_live_servers import token
from tests.services import REDIS_URL, SESSION_REDIS_CHANNEL, fresh_postgres_database, require

pytestmark = pytest.mark.e2e
DESIGNER = "designer1@demo.jiayuan.cn"


class Designer:
    """A python-socketio client in a draft, recording what the team is sent."""

    def __init__(self, base: str, email: str):
        self.base = base
        self.token = token(base, email)
        self.heard: dict[str, list[dict]] = {"draft_op": [], "draft_presence": []}
        self.arrived = threading.Condition()
        self.client = socketio.Client(reconnection=False)
        for name in self.heard:
            self.client.on(name, self._recorder(name), namespace="/design")

    def _recorder(self, name: str):
        def record(payload: dict) -> None:
            with self.arrived:
                self.heard[name].append(payload)
                self.arrived.notify_all()

        return record

    def connect(self) -> None:
        self.client.connect(
            self.base,
            namespaces=["/design"],
            auth={"token": self.token},
            transports=["websocket"],
            wait_timeout=10,
        )

    def call(self, event: str, payload: dict) -> dict:
        ack = self.client.call(event, payload, namespace="/design", timeout=10)
        assert ack["ok"], ack
        return ack

    def wait_for(self, name: str, condition, timeout: float = 10) -> list[dict]:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while not condition(self.heard[name]) and time.monotonic() < deadline:
                self.arrived.wait(timeout=deadline - time.monotonic())
        return list(self.heard[name])

    def close(self) -> None:
        if self.client.connected:
            self.client.disconnect()


def proposal_of(base: str, email: str) -> int:
    """A proposal of the demo's round in its hearings that this designer designs."""
    headers = {"Authorization": f"Bearer {token(base, email)}"}
    me = requests.get(f"{base}/api/v1/auth/me", headers=headers, timeout=10).json()["user"]
    found = requests.get(f"{base}/api/v1/rounds/1/proposals", headers=headers, timeout=10).json()
    return next(p["id"] for p in found["proposals"] if me["id"] in [d["id"] for d in p["designers"]])


@pytest.fixture
def scale_out_database() -> Iterator[str]:
    require("redis")
    with fresh_postgres_database("codesign_scale_out") as url:
        yield url


def test_a_change_drawn_on_one_worker_reaches_the_team_on_another(scale_out_database, tmp_path):
    queue = {"REDIS_URL": REDIS_URL, "REDIS_CHANNEL": SESSION_REDIS_CHANNEL}
    first_env = server_environment(scale_out_database, free_port(), **queue)
    second_env = server_environment(scale_out_database, free_port(), **queue)
    prepare_database(first_env)
    first = LiveServer(first_env, tmp_path / "first.log")
    second = LiveServer(second_env, tmp_path / "second.log")
    drawing = watching = None
    try:
        proposal_id = proposal_of(first.url, DESIGNER)
        # the same designer in two tabs, each held by another worker
        drawing, watching = Designer(first.url, DESIGNER), Designer(second.url, DESIGNER)
        for tab in (drawing, watching):
            tab.connect()
        seen = drawing.call("draft_join", {"proposal_id": proposal_id})["seq"]
        watching.call("draft_join", {"proposal_id": proposal_id})
        point = {"type": "Point", "coordinates": [121.4962, 31.2632]}
        feature_id = str(uuid.uuid4())
        feature = {"type": "Feature", "id": feature_id, "properties": {"kind": "bench"}, "geometry": point}
        ack = drawing.call(
            "draft_op",
            {
                "proposal_id": proposal_id,
                "op_id": feature_id,
                "base_seq": seen,
                "action": "upsert",
                "feature_id": feature_id,
                "feature": feature,
            },
        )
        heard = watching.wait_for("draft_op", lambda ops: any(op["seq"] == ack["seq"] for op in ops))
        assert [(op["feature_id"], op["feature"]["geometry"]) for op in heard] == [(feature_id, point)]
        watching.call("draft_presence", {"proposal_id": proposal_id, "selected": [feature_id]})
        pointed = drawing.wait_for("draft_presence", lambda p: any(x["selected"] == [feature_id] for x in p))
        assert pointed[-1]["user"]["name"]
    finally:
        for tab in (drawing, watching):
            if tab is not None:
                tab.close()
        first.stop()
        second.stop()
