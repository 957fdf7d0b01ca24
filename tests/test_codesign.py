"""Co-design on /design: a proposal's team edits its draft together, live. Every event is
tested for success, for the people who must be refused and for malformed payloads; the
draft's rules (order, overwrites, restore, undo, retries, limits) through the events."""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, inspect, select, text

import geo
from app import create_app
from deliberation import accounts, codesign, proposals, rounds
from deliberation.enums import Phase, Role
from deliberation.errors import NotAllowed
from deliberation.extensions import db
from deliberation.models import Draft, DraftOp, Proposal, ProposalVersion, Site
from tests import geo_layouts as g
from tests.conftest import PASSWORD, LiveClient, connecting
from tests.services import fresh_postgres_database


class DesignClient(LiveClient):
    NAMESPACE = "/design"


@pytest.fixture
def design_client(app) -> Iterator:
    """Connect a person to /design with a bearer token (or with what ``kwargs`` say)."""
    yield from connecting(app, DesignClient)


@pytest.fixture
def team(community, make_user):
    """A design team of three (Chen made the proposal), and people who are not on it."""
    return {
        "chen": make_user(Role.DESIGNER, community=community, name="Chen"),
        "lin": make_user(Role.DESIGNER, community=community, name="Lin"),
        "wu": make_user(Role.DESIGNER, Role.RESIDENT, community=community, name="Wu"),
        "resident": make_user(Role.RESIDENT, community=community, name="Res"),
        "designer": make_user(Role.DESIGNER, community=community, name="Other designer"),
        "moderator": make_user(Role.MODERATOR, community=community, name="Mod"),
        "outsider": make_user(name="Out"),
    }


@pytest.fixture
def proposal(make_round, team) -> Proposal:
    """A proposal of the three, in a round taking proposals, with one version (GOOD_LAYOUT)."""
    round_ = make_round(Phase.PROPOSING)
    proposal, _report = proposals.submit_proposal(
        round_,
        "Our plan",
        "",
        g.GOOD_LAYOUT,
        by=team["chen"],
        language="en",
        co_designers=[team["lin"].id, team["wu"].id],
    )
    db.session.commit()
    return proposal


def opened(design_client, user, proposal, after_seq=None) -> DesignClient:
    client = design_client(user)
    payload = {"proposal_id": proposal.id}
    if after_seq is not None:
        payload["after_seq"] = after_seq
    ack = client.emit("draft_join", payload)
    assert ack["ok"], ack
    client.joined = ack
    return client


def change(client, proposal, feature_id, feature=None, *, base_seq=0, op_id=None, action=None) -> dict:
    return client.emit(
        "draft_op",
        {
            "proposal_id": proposal.id,
            "op_id": op_id or str(uuid.uuid4()),
            "base_seq": base_seq,
            "action": action or ("upsert" if feature is not None else "delete"),
            "feature_id": feature_id,
            **({"feature": feature} if feature is not None else {}),
        },
    )


def bench(fid: str, x: float, y: float, **properties) -> dict:
    return g.feature(fid, "bench", g.point(x, y), **properties)


def draft_features(proposal) -> dict[str, dict]:
    db.session.expire_all()
    return {row.feature_id: row.feature for row in codesign.features_of(proposal.id)}


def op_count() -> int:
    return db.session.scalar(select(func.count()).select_from(DraftOp))


def broadcasts(client) -> list[dict]:
    return client.received("draft_op")


def replay(state: dict[str, dict], ops: list[dict]) -> dict[str, dict]:
    """What a client holds after applying broadcast changes in seq order."""
    state = dict(state)
    for op in sorted(ops, key=lambda o: o["seq"]):
        if op["action"] == "upsert":
            state[op["feature_id"]] = op["feature"]
        else:
            state.pop(op["feature_id"], None)
    return state


# --- opening the draft -----------------------------------------------------------------


def test_the_team_opens_a_draft_made_from_the_latest_version(design_client, team, proposal):
    ack = opened(design_client, team["lin"], proposal).joined
    assert (ack["seq"], ack["version"]) == (0, 1)
    assert list(ack["features"]) == g.GOOD_LAYOUT_IDS
    court = ack["features"]["court"]
    assert court["feature"] == g.GOOD_HALF_COURT
    assert (court["seq"], court["by"]) == (0, team["chen"].id)  # the version's author drew it
    assert {p["name"] for p in ack["team"]} == {"Chen", "Lin", "Wu"}
    assert ack["presence"] == []
    assert db.session.scalar(select(func.count()).select_from(Draft)) == 1
    again = opened(design_client, team["chen"], proposal).joined  # one draft per proposal
    assert again["features"] == ack["features"]
    assert [p["user"]["name"] for p in again["presence"]] == ["Lin"]


@pytest.mark.parametrize("who", ["resident", "designer", "moderator", "outsider"])
def test_only_the_team_opens_the_draft(design_client, team, proposal, who):
    ack = design_client(team[who]).emit("draft_join", {"proposal_id": proposal.id})
    assert (ack["ok"], ack["error"]["code"]) == (False, "forbidden")
    assert "design team" in ack["error"]["message"] or "设计团队" in ack["error"]["message"]
    assert db.session.scalar(select(func.count()).select_from(Draft)) == 0


@pytest.mark.parametrize("who", ["resident", "designer", "outsider"])
def test_nobody_outside_the_team_changes_the_draft(design_client, team, proposal, who):
    client = design_client(team[who])
    client.emit("draft_join", {"proposal_id": proposal.id})
    ack = change(client, proposal, "intruder", bench("intruder", 0, 0))
    assert (ack["ok"], ack["error"]["code"]) == (False, "conflict")  # never let in
    with pytest.raises(NotAllowed):  # and the rule itself, whoever calls it
        codesign.apply_op(
            team[who],
            proposal,
            op_id="x",
            base_seq=0,
            action="upsert",
            feature_id="intruder",
            feature=bench("intruder", 0, 0),
            language="en",
        )
    db.session.rollback()
    assert op_count() == 0
    assert "intruder" not in draft_features(proposal)


def test_no_identity_no_connection(design_client):
    assert not design_client(auth={"token": "forged"}).connected
    assert not design_client().connected


def test_a_session_cookie_connects(app, client, team, proposal, login):
    login(team["lin"])
    socket = DesignClient(app, flask_test_client=client)
    assert socket.connected
    assert socket.emit("draft_join", {"proposal_id": proposal.id})["ok"]
    socket.disconnect()


def test_an_unknown_proposal_is_not_found(design_client, team):
    ack = design_client(team["chen"]).emit("draft_join", {"proposal_id": 999})
    assert (ack["ok"], ack["error"]["code"]) == (False, "not_found")


@pytest.mark.parametrize(
    ("event", "payload"),
    [
        ("draft_join", None),
        ("draft_join", {}),
        ("draft_join", {"proposal_id": "1"}),
        ("draft_join", {"proposal_id": 1, "after_seq": -1}),
        ("draft_join", [1]),
        ("draft_op", {"proposal_id": 1}),
        ("draft_op", {"proposal_id": 1, "op_id": "a", "base_seq": 0, "action": "move", "feature_id": "b"}),
        ("draft_op", {"proposal_id": 1, "op_id": "", "base_seq": 0, "action": "delete", "feature_id": "b"}),
        ("draft_op", {"proposal_id": 1, "op_id": "a", "base_seq": -1, "action": "delete", "feature_id": "b"}),
        (
            "draft_op",
            {"proposal_id": 1, "op_id": "a", "base_seq": 0, "action": "delete", "feature_id": "b" * 65},
        ),
        (
            "draft_op",
            {
                "proposal_id": 1,
                "op_id": "a",
                "base_seq": 0,
                "action": "upsert",
                "feature_id": "b",
                "feature": 3,
            },
        ),
        ("draft_restore", {"proposal_id": 1, "op_id": "a", "seq": 0}),
        ("draft_undo", {"proposal_id": 1}),
        ("draft_presence", {"proposal_id": 1, "cursor": [121.5]}),
        ("draft_presence", {"proposal_id": 1, "cursor": [121.5, "31"]}),
        ("draft_presence", {"proposal_id": 1, "cursor": [500, 31]}),
        ("draft_presence", {"proposal_id": 1, "selected": ["x"] * 101}),
        ("draft_submit", {"proposal_id": 1, "note": "x" * 2001}),
    ],
)
def test_malformed_payloads_are_refused(design_client, team, proposal, event, payload):
    ack = design_client(team["chen"]).emit(event, payload)
    assert (ack["ok"], ack["error"]["code"]) == (False, "invalid_input"), ack
    assert op_count() == 0


def test_changes_need_the_draft_opened_first(design_client, team, proposal):
    client = design_client(team["chen"])
    ack = change(client, proposal, "bench-1", bench("bench-1", 1, 1))
    assert (ack["ok"], ack["error"]["code"]) == (False, "conflict")
    assert client.emit("draft_presence", {"proposal_id": proposal.id})["error"]["code"] == "conflict"


# --- changes ---------------------------------------------------------------------------


def test_concurrent_changes_to_different_features_converge(design_client, team, proposal):
    chen = opened(design_client, team["chen"], proposal)
    lin = opened(design_client, team["lin"], proposal)
    start = {fid: f["feature"] for fid, f in chen.joined["features"].items()}
    new_id = str(uuid.uuid4())
    # both drew on seq 0, neither had seen the other's change
    added = change(chen, proposal, new_id, bench(new_id, 5, 5, seats=2))
    moved = change(lin, proposal, "planter", g.feature("planter", "planter", g.rect(9, 4, 4, 2)))
    deleted = change(lin, proposal, "light-1", base_seq=0)
    assert [a["seq"] for a in (added, moved, deleted)] == [1, 2, 3]
    assert not any("overwrote" in a for a in (added, moved, deleted))
    # everyone (the sender too) hears every change, in the server's order
    for client in (chen, lin):
        assert [op["seq"] for op in broadcasts(client)] == [1, 2, 3]
    heard = broadcasts(chen)
    assert (heard[0]["by"], heard[0]["action"], heard[0]["cause"]) == (team["chen"].id, "upsert", "edit")
    assert heard[2] == {**heard[2], "action": "delete", "feature_id": "light-1", "by": team["lin"].id}
    assert "feature" not in heard[2]
    # both teammates and a newcomer hold the same draft
    now = draft_features(proposal)
    assert replay(start, broadcasts(chen)) == replay(start, broadcasts(lin)) == now
    wu = opened(design_client, team["wu"], proposal).joined
    assert {fid: f["feature"] for fid, f in wu["features"].items()} == now
    assert wu["seq"] == 3 and wu["features"][new_id]["by"] == team["chen"].id
    assert "light-1" not in now and now[new_id]["properties"]["seats"] == 2


def test_a_change_that_overwrote_a_teammates_later_change_says_so_to_both(design_client, team, proposal):
    chen = opened(design_client, team["chen"], proposal)
    lin = opened(design_client, team["lin"], proposal)
    chens_move = bench("bench-1", 11, -4, seats=3)
    first = change(chen, proposal, "bench-1", chens_move)
    assert first == {"ok": True, "seq": 1, "op_id": first["op_id"]}
    # Lin moved it too, having seen only seq 0: Lin's move wins, and says whose it replaced
    lins_move = bench("bench-1", 9, -2, seats=3)
    second = change(lin, proposal, "bench-1", lins_move)
    assert second["ok"] and second["seq"] == 2
    assert second["overwrote"] == {"seq": 1, "by": team["chen"].id, "feature": chens_move}
    for client in (chen, lin):
        heard = broadcasts(client)[-1]
        assert heard["seq"] == 2 and heard["overwrote"]["by"] == team["chen"].id
        assert heard["feature"] == lins_move
    assert draft_features(proposal)["bench-1"] == lins_move
    # the history keeps the replaced version
    stored = db.session.scalar(select(DraftOp).where(DraftOp.seq == 2))
    assert (stored.overwrote, stored.prev_by_id, stored.prev_feature) == (True, team["chen"].id, chens_move)
    # having seen seq 2, Chen's next move replaces nothing unseen; nor do one's own changes
    third = change(chen, proposal, "bench-1", bench("bench-1", 8, -2), base_seq=2)
    fourth = change(chen, proposal, "bench-1", bench("bench-1", 7, -2), base_seq=2)
    assert "overwrote" not in third and "overwrote" not in fourth


def test_the_same_edit_made_twice_overwrites_nothing(design_client, team, proposal):
    chen = opened(design_client, team["chen"], proposal)
    lin = opened(design_client, team["lin"], proposal)
    both = bench("bench-1", 11, -4, seats=3)
    change(chen, proposal, "bench-1", both)
    assert "overwrote" not in change(lin, proposal, "bench-1", both)


def test_any_team_member_restores_the_version_that_was_replaced(design_client, team, proposal):
    chen = opened(design_client, team["chen"], proposal)
    lin = opened(design_client, team["lin"], proposal)
    wu = opened(design_client, team["wu"], proposal)
    chens_move = bench("bench-1", 11, -4, seats=3)
    change(chen, proposal, "bench-1", chens_move)
    replaced = change(lin, proposal, "bench-1", bench("bench-1", 9, -2, seats=3))
    ack = wu.emit("draft_restore", {"proposal_id": proposal.id, "op_id": "r-1", "seq": replaced["seq"]})
    assert ack["ok"], ack
    assert (ack["seq"], ack["cause"], ack["restores"], ack["by"]) == (3, "restore", 2, team["wu"].id)
    assert ack["feature"] == chens_move
    assert "overwrote" not in ack  # it replaced the very change it undoes the effect of
    assert broadcasts(chen)[-1] == {k: v for k, v in ack.items() if k != "ok"}
    assert draft_features(proposal)["bench-1"] == chens_move
    # a restore is a change like any other: retried, it returns the first answer
    again = wu.emit("draft_restore", {"proposal_id": proposal.id, "op_id": "r-1", "seq": replaced["seq"]})
    assert again == ack and op_count() == 3
    missing = wu.emit("draft_restore", {"proposal_id": proposal.id, "op_id": "r-2", "seq": 99})
    assert (missing["ok"], missing["error"]["code"]) == (False, "not_found")


def test_restoring_a_version_replaced_by_a_deletion_brings_the_feature_back(design_client, team, proposal):
    chen = opened(design_client, team["chen"], proposal)
    lin = opened(design_client, team["lin"], proposal)
    deletion = change(lin, proposal, "planter")
    restored = chen.emit("draft_restore", {"proposal_id": proposal.id, "op_id": "r", "seq": deletion["seq"]})
    assert restored["action"] == "upsert" and restored["feature"] == g.PLANTER
    assert draft_features(proposal)["planter"] == g.PLANTER


def test_an_op_id_sent_again_returns_the_first_answer_and_stores_nothing(design_client, team, proposal):
    chen = opened(design_client, team["chen"], proposal)
    lin = opened(design_client, team["lin"], proposal)
    move = bench("bench-1", 11, -4)
    first = change(chen, proposal, "bench-1", move, op_id="op-1")
    change(lin, proposal, "planter", base_seq=1)
    again = change(chen, proposal, "bench-1", move, op_id="op-1")  # a retry after a dropped connection
    assert again == first
    assert op_count() == 2
    other = change(chen, proposal, "bench-1", bench("bench-1", 1, 1), op_id="op-1")
    assert (other["ok"], other["error"]["code"]) == (False, "conflict")
    taken = change(lin, proposal, "bench-1", move, op_id="op-1")  # someone else's id
    assert (taken["ok"], taken["error"]["code"]) == (False, "conflict")
    assert op_count() == 2


def test_a_feature_is_deleted_and_a_later_change_of_it_says_it_brought_it_back(design_client, team, proposal):
    chen = opened(design_client, team["chen"], proposal)
    lin = opened(design_client, team["lin"], proposal)
    gone = change(chen, proposal, "planter")
    assert gone["ok"] and "planter" not in draft_features(proposal)
    assert "planter" not in opened(design_client, team["wu"], proposal).joined["features"]
    # Lin had not seen the deletion and moves the planter: it is back, and Lin is told
    moved = change(lin, proposal, "planter", g.feature("planter", "planter", g.rect(9, 4, 4, 2)))
    assert moved["overwrote"] == {"seq": gone["seq"], "by": team["chen"].id, "feature": None}
    # deleting what is deleted replaces nothing; deleting what never was is refused
    change(chen, proposal, "planter", base_seq=moved["seq"])
    assert "overwrote" not in change(lin, proposal, "planter", base_seq=0)
    never = change(chen, proposal, "never-drawn")
    assert (never["ok"], never["error"]["code"]) == (False, "not_found")


def test_undo_undoes_ones_own_changes_and_never_a_teammates(design_client, team, proposal):
    chen = opened(design_client, team["chen"], proposal)
    lin = opened(design_client, team["lin"], proposal)
    new_id = str(uuid.uuid4())
    change(chen, proposal, "bench-1", bench("bench-1", 11, -4, seats=3))
    change(chen, proposal, new_id, bench(new_id, 5, 5), base_seq=1)
    lins = g.feature("planter", "planter", g.rect(9, 4, 4, 2))
    change(lin, proposal, "planter", lins, base_seq=2)
    undone = chen.emit("draft_undo", {"proposal_id": proposal.id, "op_id": "u-1"})
    assert (undone["cause"], undone["undoes"], undone["action"]) == ("undo", 2, "delete")
    assert broadcasts(lin)[-1]["undoes"] == 2
    before = chen.emit("draft_undo", {"proposal_id": proposal.id, "op_id": "u-2"})
    assert (before["undoes"], before["feature"]) == (1, g.BENCH_EAST)
    now = draft_features(proposal)
    assert new_id not in now and now["bench-1"] == g.BENCH_EAST and now["planter"] == lins  # Lin's stays
    nothing = chen.emit("draft_undo", {"proposal_id": proposal.id, "op_id": "u-3"})
    assert (nothing["ok"], nothing["error"]["code"]) == (False, "conflict")
    assert chen.emit("draft_undo", {"proposal_id": proposal.id, "op_id": "u-2"}) == before  # a retry


def test_undoing_a_change_a_teammate_changed_since_says_whose_work_it_replaced(design_client, team, proposal):
    chen = opened(design_client, team["chen"], proposal)
    lin = opened(design_client, team["lin"], proposal)
    change(chen, proposal, "bench-1", bench("bench-1", 11, -4, seats=3))
    lins = bench("bench-1", 9, -2, seats=3)
    change(lin, proposal, "bench-1", lins, base_seq=1)
    undone = chen.emit("draft_undo", {"proposal_id": proposal.id, "op_id": "u"})
    assert undone["overwrote"] == {"seq": 2, "by": team["lin"].id, "feature": lins}
    assert broadcasts(lin)[-1]["overwrote"]["by"] == team["lin"].id


INVALID = {
    "self-intersecting": (g.feature("x", "planter", g.BOWTIE), "invalid_geometry"),
    "unknown kind": (g.feature("x", "swimming_pool", g.rect(0, 0, 4, 4)), "unknown_kind"),
    "site-only kind": (g.feature("x", "entrance", g.point(0, 0)), "site_kind_in_layout"),
    "kind and geometry": (g.feature("x", "hoop", g.rect(0, 0, 4, 4)), "kind_geometry_mismatch"),
    "label too long": (bench("x", 0, 0, label="长" * (geo.MAX_LABEL + 1)), "invalid_property"),
    "negative seats": (bench("x", 0, 0, seats=-1), "invalid_property"),
    "coordinates": (
        g.feature("x", "bench", {"type": "Point", "coordinates": [500, 31]}),
        "coordinates_out_of_range",
    ),
    "not a feature": ({"type": "Point", "coordinates": [121.5, 31.2]}, "not_a_feature"),
    "no geometry": (g.feature("x", "bench", None), "missing_geometry"),
    "too many vertices": (
        g.feature("x", "fence", g.line(*[(i / 1000, 0) for i in range(20_001)])),
        "too_many_vertices",
    ),
}


@pytest.mark.parametrize("case", INVALID, ids=list(INVALID))
def test_an_invalid_feature_is_refused_with_the_reason_and_nothing_is_stored(
    design_client, team, proposal, case
):
    feature, code = INVALID[case]
    chen = opened(design_client, team["chen"], proposal)
    before = draft_features(proposal)
    ack = change(chen, proposal, "x", feature)
    assert (ack["ok"], ack["error"]["code"]) == (False, "invalid_layout"), ack
    assert code in [e["code"] for e in ack["error"]["report"]["errors"]]
    assert ack["error"]["message"].endswith(ack["error"]["report"]["errors"][0]["message"])
    assert op_count() == 0 and draft_features(proposal) == before
    assert broadcasts(chen) == []
    assert db.session.get(Draft, proposal.id).last_seq == 0


@pytest.mark.parametrize(
    ("feature_id", "feature", "code"),
    [
        ("x", bench("y", 0, 0), "invalid_input"),  # the feature's own id differs
        (" x", bench(" x", 0, 0), "invalid_input"),
        ("x\n", bench("x\n", 0, 0), "invalid_input"),
        ("x", bench("x", 0, 0, label="nul\x00byte"), "invalid_input"),
    ],
)
def test_ids_and_numbers_are_checked(design_client, team, proposal, feature_id, feature, code):
    chen = opened(design_client, team["chen"], proposal)
    ack = change(chen, proposal, feature_id, feature)
    assert (ack["ok"], ack["error"]["code"]) == (False, code), ack
    assert op_count() == 0


def test_a_delete_carries_no_feature_and_an_upsert_needs_one(design_client, team, proposal):
    chen = opened(design_client, team["chen"], proposal)
    with_feature = change(chen, proposal, "bench-1", g.BENCH_EAST, action="delete")
    without = change(chen, proposal, "bench-1", action="upsert")
    assert with_feature["error"]["code"] == without["error"]["code"] == "invalid_input"
    assert op_count() == 0


def test_a_change_based_on_a_seq_the_draft_never_had_is_refused(design_client, team, proposal):
    chen = opened(design_client, team["chen"], proposal)
    ack = change(chen, proposal, "bench-1", g.BENCH_EAST, base_seq=5)
    assert (ack["ok"], ack["error"]["code"]) == (False, "conflict")
    assert op_count() == 0


def test_the_draft_keeps_a_layouts_limits(design_client, team, proposal, monkeypatch):
    chen = opened(design_client, team["chen"], proposal)
    monkeypatch.setattr(geo, "MAX_FEATURES", len(g.GOOD_LAYOUT_IDS) + 1)
    assert change(chen, proposal, "one-more", bench("one-more", 1, 1))["ok"]
    refused = change(chen, proposal, "too-many", bench("too-many", 2, 2), base_seq=1)
    assert (refused["ok"], refused["error"]["code"]) == (False, "limit_reached")
    assert change(chen, proposal, "one-more", bench("one-more", 3, 3), base_seq=1)["ok"]  # a move is fine
    monkeypatch.setattr(geo, "MAX_VERTICES", 30)
    big = g.feature("lawn", "lawn", g.circle(-15, 11, 3, 40))
    assert change(chen, proposal, "lawn", big, base_seq=2)["error"]["code"] == "limit_reached"
    assert op_count() == 2


def test_changes_wait_for_the_phase_that_takes_versions(design_client, team, proposal):
    chen = opened(design_client, team["chen"], proposal)
    proposal.round.phase = Phase.DECIDING.value
    db.session.commit()
    ack = change(chen, proposal, "bench-1", g.BENCH_EAST)
    assert (ack["ok"], ack["error"]["code"]) == (False, "wrong_phase")
    assert opened(design_client, team["lin"], proposal).joined["seq"] == 0  # reading it is fine


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_teammates_opening_a_new_draft_at_once_all_get_in_and_it_is_made_once(app, team, proposal):
    """Each thread is a join on a worker of its own (PostgreSQL: SQLite serialises writers)."""
    from deliberation.models import User

    proposal_id = proposal.id
    people = [team["chen"].id, team["lin"].id, team["wu"].id]
    barrier = threading.Barrier(len(people))
    answers: list[object] = []

    def open_draft(user_id: int) -> None:
        with app.app_context():
            user, draft_proposal = db.session.get(User, user_id), db.session.get(Proposal, proposal_id)
            barrier.wait()
            try:
                answers.append(codesign.join(user, draft_proposal)["seq"])
                db.session.commit()
            except Exception as error:  # what a teammate would be told instead
                db.session.rollback()
                answers.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=open_draft, args=(user_id,)) for user_id in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert answers == [0, 0, 0]
    db.session.expire_all()
    assert sorted(draft_features(proposal)) == sorted(f["id"] for f in g.GOOD_LAYOUT["features"])


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_changes_sent_at_once_by_several_workers_are_ordered_without_a_gap(app, team, proposal):
    """Real concurrency (PostgreSQL: SQLite serialises writers by itself): each thread is an
    event on a worker of its own, as the /design handler runs it."""
    from sqlalchemy.exc import IntegrityError

    from deliberation.models import User

    proposal_id = proposal.id
    people = [team["chen"].id, team["lin"].id, team["wu"].id]
    codesign.join(team["chen"], proposal)  # the draft exists (its making has a test of its own)
    db.session.commit()
    barrier = threading.Barrier(len(people) * 2 + 2)
    answers: list[tuple[str, int]] = []

    def send(user_id: int, op_id: str, feature_id: str, feature: dict) -> None:
        with app.app_context():
            user, draft_proposal = db.session.get(User, user_id), db.session.get(Proposal, proposal_id)
            barrier.wait()
            try:
                op, _new = codesign.apply_op(
                    user,
                    draft_proposal,
                    op_id=op_id,
                    base_seq=0,
                    action="upsert",
                    feature_id=feature_id,
                    feature=feature,
                    language="en",
                )
                seq = op.seq
                db.session.commit()
            except IntegrityError:  # the same op id, stored by the other thread meanwhile
                db.session.rollback()
                seq = codesign.find_op(proposal_id, op_id).seq
            answers.append((op_id, seq))
            db.session.remove()

    jobs = []
    for n, user_id in enumerate(people):
        jobs.append((user_id, f"shared-{n}", "bench-1", bench("bench-1", 10 - n, -4, seats=3)))
        jobs.append((user_id, f"own-{n}", f"own-{n}", bench(f"own-{n}", n, 5)))
    jobs += [(people[0], "twice", "hoop", g.HOOP)] * 2  # one change sent on two connections
    threads = [threading.Thread(target=send, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(answers) == len(jobs)
    db.session.expire_all()
    ops = db.session.scalars(select(DraftOp).order_by(DraftOp.seq)).all()
    assert [op.seq for op in ops] == list(range(1, len(jobs)))  # one each, no gap
    assert len({seq for op_id, seq in answers if op_id == "twice"}) == 1
    shared = [op for op in ops if op.feature_id == "bench-1"]
    assert [op.prev_seq for op in shared] == [0] + [op.seq for op in shared[:-1]]
    assert [op.overwrote for op in shared] == [False] + [
        op.author_id != before.author_id for before, op in itertools.pairwise(shared)
    ]
    start = {f["id"]: f for f in g.GOOD_LAYOUT["features"]}
    heard = [codesign.op_dict(op) for op in ops]
    assert replay(start, heard) == draft_features(proposal)
    assert db.session.get(Draft, proposal_id).last_seq == len(ops)


# --- catching up -----------------------------------------------------------------------


def test_joining_with_after_seq_gives_the_changes_since(design_client, team, proposal, monkeypatch):
    chen = opened(design_client, team["chen"], proposal)
    for n in range(3):
        change(chen, proposal, "bench-1", bench("bench-1", 10 - n, -4), base_seq=n)
    back = design_client(team["lin"]).emit("draft_join", {"proposal_id": proposal.id, "after_seq": 1})
    assert back["seq"] == 3 and "features" not in back
    assert [(op["seq"], op["feature"]["geometry"]) for op in back["ops"]] == [
        (2, g.point(9, -4)),
        (3, g.point(8, -4)),
    ]
    up_to_date = design_client(team["lin"]).emit("draft_join", {"proposal_id": proposal.id, "after_seq": 3})
    assert up_to_date["ops"] == []
    # from another database, or too far behind: the features as they stand
    ahead = design_client(team["lin"]).emit("draft_join", {"proposal_id": proposal.id, "after_seq": 9})
    assert "ops" not in ahead and ahead["features"]["bench-1"]["seq"] == 3
    monkeypatch.setattr(codesign, "REPLAY_OPS", 1)
    behind = design_client(team["lin"]).emit("draft_join", {"proposal_id": proposal.id, "after_seq": 1})
    assert "ops" not in behind and len(behind["features"]) == len(g.GOOD_LAYOUT_IDS)


def test_a_teammate_back_from_a_drop_sends_the_changes_drawn_meanwhile(design_client, team, proposal):
    chen = opened(design_client, team["chen"], proposal)
    lin = opened(design_client, team["lin"], proposal)
    seen = lin.joined["seq"]
    stored_before_the_drop = change(lin, proposal, "hoop", g.HOOP, op_id="q-1", base_seq=seen)
    lin.disconnect()  # the answer never arrived: q-1 stays in Lin's queue
    chens = bench("bench-1", 11, -4, seats=3)
    change(chen, proposal, "bench-1", chens, base_seq=1)
    back = opened(design_client, team["lin"], proposal, after_seq=seen)
    assert [op["op_id"] for op in back.joined["ops"]] == ["q-1", broadcasts(chen)[-1]["op_id"]]
    # the queue goes out in order, each change on the seq Lin had seen before the drop
    queued = [
        ("q-1", "hoop", g.HOOP),
        ("q-2", "bench-1", bench("bench-1", 9, -2, seats=3)),
        ("q-3", "planter", g.feature("planter", "planter", g.rect(9, 4, 4, 2))),
    ]
    acks = [
        change(back, proposal, fid, feature, op_id=op_id, base_seq=seen) for op_id, fid, feature in queued
    ]
    assert acks[0] == stored_before_the_drop  # already stored: the first answer
    assert acks[1]["overwrote"] == {"seq": 2, "by": team["chen"].id, "feature": chens}
    assert "overwrote" not in acks[2]
    assert broadcasts(chen)[-2]["overwrote"]["by"] == team["chen"].id
    assert op_count() == 4


def test_each_worker_tells_its_drafts_their_latest_seq(app, design_client, team, proposal):
    from deliberation import live_upkeep

    chen = opened(design_client, team["chen"], proposal)
    change(chen, proposal, "bench-1", g.BENCH_EAST)
    assert live_upkeep.sync_served(app) >= 1
    assert chen.received("draft_sync")[-1] == {"proposal_id": proposal.id, "seq": 1}


def test_a_designer_who_deletes_their_account_leaves_their_changes_without_their_name(
    client, design_client, team, proposal, token_for
):
    lin = opened(design_client, team["lin"], proposal)
    lins = g.feature("planter", "planter", g.rect(9, 4, 4, 2))
    change(lin, proposal, "planter", lins)
    lin.disconnect()
    headers = token_for(team["lin"])
    assert client.delete("/api/v1/me", json={"password": PASSWORD}, headers=headers).status_code == 204
    db.session.expire_all()
    ack = opened(design_client, team["chen"], proposal).joined
    assert ack["features"]["planter"] == {"feature": lins, "seq": 1, "by": None}
    assert {p["name"] for p in ack["team"]} == {"Chen", "Wu"}
    assert db.session.scalar(select(DraftOp)).author_id is None


# --- submitting ------------------------------------------------------------------------


def test_submitting_the_draft_makes_the_next_version_with_who_drew_what(
    client, design_client, team, proposal, token_for
):
    chen = opened(design_client, team["chen"], proposal)
    lin = opened(design_client, team["lin"], proposal)
    wu = opened(design_client, team["wu"], proposal)
    new_id = str(uuid.uuid4())
    change(chen, proposal, new_id, bench(new_id, 5, 5))
    lins = g.feature("planter", "planter", g.rect(9, 4, 4, 2), label="roses")
    change(lin, proposal, "planter", lins, base_seq=1)
    change(lin, proposal, "light-1", base_seq=2)
    ack = wu.emit("draft_submit", {"proposal_id": proposal.id, "note": "after the evening"})
    assert ack["ok"], ack
    assert ack["version"]["number"] == 2 and ack["report"]["valid"]
    drawn_by = ack["version"]["drawn_by"]
    assert drawn_by[new_id] == team["chen"].id and drawn_by["planter"] == team["lin"].id
    assert drawn_by["court"] == team["chen"].id and "light-1" not in drawn_by
    assert chen.received("draft_submitted")[-1] == {
        "proposal_id": proposal.id,
        "version": 2,
        "seq": 3,
        "by": team["wu"].id,
    }
    db.session.expire_all()
    version = db.session.scalar(select(ProposalVersion).where(ProposalVersion.number == 2))
    layout_ids = [f["id"] for f in version.layout["features"]]
    assert layout_ids == [i for i in g.GOOD_LAYOUT_IDS if i != "light-1"] + [new_id]  # the order kept
    assert version.author_id == team["wu"].id and version.note == "after the evening"
    assert version.drawn_by == drawn_by
    described = client.get(f"/api/v1/proposals/{proposal.id}", headers=token_for(team["resident"]))
    assert described.get_json()["versions"][1]["drawn_by"] == drawn_by
    assert described.get_json()["versions"][0]["drawn_by"] == {}
    diff = client.get(f"/api/v1/proposals/{proposal.id}/versions/2/diff", headers=token_for(team["resident"]))
    assert diff.status_code == 200
    # the draft goes on from there; a fresh draft of the same features keeps who drew them
    assert opened(design_client, team["chen"], proposal).joined["version"] == 2


def test_a_version_started_from_keeps_who_drew_its_features(design_client, team, proposal):
    chen = opened(design_client, team["chen"], proposal)
    lins = g.feature("planter", "planter", g.rect(9, 4, 4, 2))
    lin = opened(design_client, team["lin"], proposal)
    change(lin, proposal, "planter", lins)
    assert chen.emit("draft_submit", {"proposal_id": proposal.id})["ok"]
    db.session.execute(Draft.__table__.delete())  # a draft made afresh from version 2
    db.session.commit()
    features = opened(design_client, team["wu"], proposal).joined["features"]
    assert features["planter"]["by"] == team["lin"].id and features["court"]["by"] == team["chen"].id


def test_a_draft_with_errors_is_not_submitted(design_client, team, proposal):
    chen = opened(design_client, team["chen"], proposal)
    # outside the site: a finding of the whole layout, shown while drawing, blocking submission
    far = change(chen, proposal, "far-bench", bench("far-bench", 60, 60))
    assert far["ok"]
    ack = chen.emit("draft_submit", {"proposal_id": proposal.id})
    assert (ack["ok"], ack["error"]["code"]) == (False, "invalid_layout")
    assert "outside_site" in [e["code"] for e in ack["error"]["report"]["errors"]]
    db.session.expire_all()
    assert len(db.session.get(Proposal, proposal.id).versions) == 1


@pytest.mark.parametrize("who", ["resident", "designer"])
def test_only_the_team_submits(team, proposal, who):
    with pytest.raises(NotAllowed):
        codesign.submit(team[who], proposal, language="en")


# --- presence --------------------------------------------------------------------------


def wait_for(condition, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "waited in vain"
        time.sleep(0.02)


def test_the_team_sees_who_is_here_what_they_selected_and_where_they_point(design_client, team, proposal):
    lin = opened(design_client, team["lin"], proposal)
    chen = opened(design_client, team["chen"], proposal)
    arrival = lin.received("draft_presence")[-1]
    assert arrival["user"] == {"id": team["chen"].id, "name": "Chen"}
    assert chen.emit("draft_presence", {"proposal_id": proposal.id, "selected": ["bench-1"]}) == {"ok": True}
    wait_for(lambda: lin.received("draft_presence")[-1]["selected"] == ["bench-1"])
    # fast moves reach the team at most 5 times a second, ending with the latest
    before = len(lin.received("draft_presence"))
    for n in range(20):
        chen.emit("draft_presence", {"proposal_id": proposal.id, "cursor": g.lonlat(n, 0)})
    started = time.monotonic()
    wait_for(lambda: lin.received("draft_presence")[-1]["cursor"] == g.lonlat(19, 0))
    relayed = len(lin.received("draft_presence")) - before
    assert relayed <= 1 + 5 * (time.monotonic() - started + 0.25)
    assert relayed < 20
    assert not [p for p in chen.received("draft_presence") if p["user"]["id"] == team["chen"].id]
    wu = opened(design_client, team["wu"], proposal)
    here = {p["user"]["name"]: p for p in wu.joined["presence"]}
    assert set(here) == {"Chen", "Lin"} and here["Chen"]["cursor"] == g.lonlat(19, 0)
    chen.disconnect()
    wait_for(lambda: lin.received("draft_presence")[-1].get("left"))
    assert lin.received("draft_presence")[-1]["user"]["id"] == team["chen"].id


def test_presence_is_forgotten_after_thirty_seconds_of_silence():
    board = codesign.PresenceBoard()
    chen = {"id": 1, "name": "Chen"}
    board.note(7, chen, "a", ["court"], None, now=100.0)
    assert [p["selected"] for p in board.present(7, now=129.0)] == [["court"]]
    assert board.present(7, now=131.0) == []
    board.note(7, chen, "a", [], None, now=140.0)  # speaking again brings the person back
    assert board.present(7, now=141.0, besides=2)[0]["user"] == chen
    assert board.leave("a")[0]["left"] is True
    assert board.present(7, now=142.0) == []


def test_an_open_draft_is_closed_when_its_person_logs_out(app, client, team, proposal, token_for):
    socket = DesignClient(app, auth={"token": accounts.issue_token(team["chen"])})
    assert socket.emit("draft_join", {"proposal_id": proposal.id})["ok"]
    client.post("/api/v1/auth/logout", headers=token_for(team["chen"]))
    wait_for(lambda: not socket.connected)


# --- the migration ---------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'codesign.sqlite3'}"
        return
    with fresh_postgres_database("codesign") as url:
        yield url


def test_migration_0010_adds_the_draft_tables_and_takes_them_away(empty_database_url):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    new_tables = {"drafts", "draft_features", "draft_ops", "version_feature_authors"}
    with app.app_context():
        upgrade(revision="0009_hearing_revision")
        assert not new_tables & set(inspect(db.engine).get_table_names())
        upgrade(revision="0010_codesign")
        assert new_tables <= set(inspect(db.engine).get_table_names())
        # a draft lives in the migrated tables: a deletion is SQL NULL, as their checks expect
        community = accounts.create_community("Migrated", by=None)
        chen = accounts.sign_up("chen@example.org", "correct horse battery", "Chen")
        accounts.grant_role(community, chen, Role.DESIGNER, by=None)
        moderator = accounts.sign_up("mod@example.org", "correct horse battery", "Mod")
        accounts.grant_role(community, moderator, Role.MODERATOR, by=None)
        site = Site(
            community=community,
            name="Court",
            kind="half_court",
            boundary=g.SITE_BOUNDARY,
            constraints=g.SITE_CONSTRAINTS,
        )
        db.session.add(site)
        db.session.flush()
        round_ = rounds.create_round(site, "Renewing", by=moderator, brief="", budget_cny=500_000)
        round_.phase = Phase.PROPOSING.value
        proposal, _report = proposals.submit_proposal(round_, "P", "", g.GOOD_LAYOUT, by=chen, language="en")
        codesign.join(chen, proposal)
        codesign.apply_op(
            chen, proposal, op_id="d", base_seq=0, action="delete", feature_id="planter", language="en"
        )
        codesign.submit(chen, proposal, language="en")
        db.session.commit()
        with db.engine.connect() as conn:
            deleted = conn.execute(text("SELECT count(*) FROM draft_features WHERE feature IS NULL")).scalar()
            authors = conn.execute(text("SELECT count(*) FROM version_feature_authors")).scalar()
        assert (deleted, authors) == (1, len(g.GOOD_LAYOUT_IDS) - 1)
        db.session.remove()
        downgrade(revision="0009_hearing_revision")
        assert not new_tables & set(inspect(db.engine).get_table_names())
        assert "proposal_versions" in inspect(db.engine).get_table_names()
        db.session.remove()
        db.engine.dispose()
