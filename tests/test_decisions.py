"""Closing a round: only the branch secretary decides, once; the notice period; asking how well."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from deliberation import ballots, decisions, proposals
from deliberation.enums import Phase, Role
from deliberation.extensions import db
from deliberation.models import Decision, Evaluation, Objection, Round
from deliberation.models.types import utcnow
from tests import geo_layouts as g

RATIONALE = "The shaded plan keeps the camphor tree and serves older neighbours best."
LONG_RATIONALE = (
    "The residents ranked plan A first, but plan B keeps the fire lane to building 12 clear, "
    "which the fire brigade requires; so the branch chooses plan B."
)
RATINGS = {"usability": 4, "safety": 5, "beauty": 3, "all_ages": 4}


@pytest.fixture
def people(community, make_user):
    return {
        "secretary": make_user(Role.SECRETARY, Role.RESIDENT, community=community, name="Zhang"),
        "moderator": make_user(Role.MODERATOR, community=community),
        "designer": make_user(Role.DESIGNER, community=community),
        "resident": make_user(Role.RESIDENT, community=community, age_band="80_plus"),
        "neighbour": make_user(Role.RESIDENT, community=community, age_band="under_14"),
        "outsider": make_user(),
    }


@pytest.fixture
def deciding(make_round, people):
    """A deciding round with plans A and B; the residents' ballots, now closed, make A the tally's winner."""
    round_ = make_round(Phase.PROPOSING)
    a, _ = proposals.submit_proposal(
        round_, "Plan A", "", g.GOOD_LAYOUT, by=people["designer"], language="en"
    )
    b, _ = proposals.submit_proposal(
        round_, "Plan B", "", g.GOOD_LAYOUT, by=people["designer"], language="en"
    )
    round_.phase = Phase.DECIDING.value
    db.session.flush()
    ballots.cast_ballot(round_, [a.id, b.id], by=people["resident"])
    ballots.cast_ballot(round_, [a.id], by=people["neighbour"])
    ballots.close_ballots(round_, by=people["moderator"])
    db.session.commit()
    return round_, a, b


def decide_over_http(client, token_for, user, round_, proposal, rationale=RATIONALE, **extra):
    return client.post(
        f"/api/v1/rounds/{round_.id}/decision",
        json={"proposal_id": proposal.id, "rationale": rationale, **extra},
        headers=token_for(user),
    )


def decisions_stored() -> int:
    return db.session.scalar(select(func.count()).select_from(Decision))


# --- deciding -------------------------------------------------------------------------------


def test_the_secretary_decides_and_the_round_enters_its_notice_period(client, token_for, people, deciding):
    round_, a, _b = deciding
    response = decide_over_http(client, token_for, people["secretary"], round_, a)
    assert response.status_code == 201
    body = response.get_json()
    assert (body["proposal_id"], body["version"], body["rationale"]) == (a.id, 1, RATIONALE)
    assert body["departs_from_tally"] is False
    assert body["tally"]["winner"] == a.id and body["tally"]["ballots"] == 2
    db.session.expire_all()
    round_ = db.session.get(Round, round_.id)
    assert round_.phase == "notice"
    ends = db.session.scalar(select(Decision.notice_ends_at))
    assert timedelta(days=6, hours=23) < ends - utcnow() <= timedelta(days=7)


@pytest.mark.parametrize("role", ["moderator", "designer", "resident", "outsider"])
def test_only_the_secretary_decides_over_http(client, token_for, people, deciding, role):
    round_, a, _b = deciding
    response = decide_over_http(client, token_for, people[role], round_, a)
    assert response.status_code == 403
    assert decisions_stored() == 0


@pytest.mark.parametrize("role", ["moderator", "designer", "resident", "outsider"])
def test_only_the_secretary_decides_over_socketio(live_client, people, deciding, role):
    round_, a, _b = deciding
    ack = live_client(people[role]).emit(
        "decide", {"round_id": round_.id, "proposal_id": a.id, "rationale": RATIONALE}
    )
    assert (ack["ok"], ack["error"]["code"]) == (False, "forbidden")
    assert decisions_stored() == 0


def test_the_secretary_decides_over_socketio_and_the_room_hears_it(live_client, make_user, people, deciding):
    round_, a, _b = deciding
    from datetime import UTC, datetime

    from deliberation import hearings

    round_.phase = Phase.HEARING.value
    hearing = hearings.create_hearing(round_, "Last word", datetime.now(UTC), "", [], by=people["moderator"])
    round_.phase = Phase.DECIDING.value
    db.session.commit()
    watcher = live_client(people["resident"])
    assert watcher.emit("join", {"hearing_id": hearing.id})["ok"]
    ack = live_client(people["secretary"]).emit(
        "decide", {"round_id": round_.id, "proposal_id": a.id, "rationale": RATIONALE}
    )
    assert ack["ok"], ack
    closed = watcher.received("closed")
    assert closed[-1]["decision"]["proposal_id"] == a.id
    assert watcher.received("phase")[-1]["phase"] == "notice"


def test_a_second_decision_is_a_conflict(client, token_for, people, deciding):
    round_, a, b = deciding
    assert decide_over_http(client, token_for, people["secretary"], round_, a).status_code == 201
    again = decide_over_http(client, token_for, people["secretary"], round_, b, rationale=LONG_RATIONALE)
    assert again.status_code == 409
    assert decisions_stored() == 1


def test_choosing_against_the_tally_needs_a_rationale_that_says_why(client, token_for, people, deciding):
    round_, _a, b = deciding
    short = client.post(
        f"/api/v1/rounds/{round_.id}/decision",
        json={"proposal_id": b.id, "rationale": RATIONALE},
        headers={**token_for(people["secretary"]), "Accept-Language": "en"},
    )
    assert short.status_code == 422
    assert "differs from the residents' ranking" in short.get_json()["error"]["message"]
    assert decisions_stored() == 0
    response = decide_over_http(client, token_for, people["secretary"], round_, b, rationale=LONG_RATIONALE)
    assert response.status_code == 201
    assert response.get_json()["departs_from_tally"] is True


@pytest.mark.parametrize(
    "body",
    [
        {"rationale": RATIONALE},
        {"proposal_id": 999, "rationale": RATIONALE},
        {"proposal_id": "1", "rationale": "x"},
    ],
)
def test_bad_decisions_are_refused(client, token_for, people, deciding, body):
    round_, _a, _b = deciding
    response = client.post(
        f"/api/v1/rounds/{round_.id}/decision", json=body, headers=token_for(people["secretary"])
    )
    assert response.status_code == 422
    assert decisions_stored() == 0


def test_a_missing_version_is_404_and_a_round_not_deciding_is_409(
    client, token_for, people, deciding, make_round
):
    round_, a, _b = deciding
    assert decide_over_http(client, token_for, people["secretary"], round_, a, version=7).status_code == 404
    early = make_round(Phase.HEARING)
    response = client.post(
        f"/api/v1/rounds/{early.id}/decision",
        json={"proposal_id": a.id, "rationale": RATIONALE},
        headers=token_for(people["secretary"]),
    )
    assert response.status_code == 409


def test_the_decision_is_immutable(people, deciding):
    round_, a, _b = deciding
    decision = decisions.decide(round_, a.id, RATIONALE, by=people["secretary"])
    db.session.commit()
    decision.rationale = "rewritten"
    with pytest.raises(Exception, match="cannot change"):
        db.session.flush()
    db.session.rollback()


def test_the_chosen_layout_is_served_by_default(client, token_for, people, deciding):
    round_, a, _b = deciding
    round_.phase = Phase.PROPOSING.value
    db.session.commit()
    moved = g.with_features(
        g.GOOD_LAYOUT, g.feature("bench-1", "bench", g.point(10, -1), seats=3), drop=["bench-1"]
    )
    proposals.revise_proposal(a, moved, by=people["designer"], language="en")
    round_.phase = Phase.DECIDING.value
    db.session.commit()
    decide_over_http(client, token_for, people["secretary"], round_, a, version=1)
    layout = client.get(
        f"/api/v1/proposals/{a.id}/layout.geojson", headers=token_for(people["resident"])
    ).get_json()
    assert layout["properties"]["version"] == 1


# --- the notice period, as a table --------------------------------------------------------------

# (state of the round, action, actor) -> expected HTTP status
NOTICE_TABLE = [
    ("notice", "object", "resident", 201),
    ("notice", "object", "outsider", 403),
    ("notice-ended", "object", "resident", 409),
    ("deciding", "object", "resident", 409),
    ("notice", "answer", "secretary", 200),
    ("notice", "answer", "moderator", 403),
    ("notice", "answer", "resident", 403),
    ("notice", "answer-twice", "secretary", 409),
    ("notice", "reopen", "secretary", 200),
    ("notice", "reopen", "moderator", 403),
    ("notice", "reopen-without-reason", "secretary", 422),
    ("decided", "reopen", "secretary", 409),
    ("notice", "in-use", "secretary", 409),
    ("decided", "in-use", "secretary", 200),
    ("decided", "in-use", "moderator", 403),
]


def bring_to(state: str, round_, a, people) -> Objection | None:
    if state == "deciding":
        return None
    decision = decisions.decide(round_, a.id, RATIONALE, by=people["secretary"])
    objection = decisions.file_objection(round_, "The pergola blocks my window", by=people["neighbour"])
    db.session.commit()
    if state == "notice-ended":
        decision_row = db.session.get(Decision, decision.id)
        db.session.execute(
            Decision.__table__.update()
            .where(Decision.id == decision_row.id)
            .values(notice_ends_at=utcnow() - timedelta(minutes=1))
        )
        db.session.commit()
    if state == "decided":
        decisions.answer_objection(objection, "It will be 3 m from the wall.", by=people["secretary"])
        decisions.finalise_if_due(round_, utcnow() + timedelta(days=8))
        db.session.commit()
    return objection


@pytest.mark.parametrize(("state", "action", "actor", "status"), NOTICE_TABLE)
def test_notice_period_transitions(client, token_for, people, deciding, state, action, actor, status):
    round_, a, _b = deciding
    objection = bring_to(state, round_, a, people)
    headers = token_for(people[actor])
    if action == "object":
        response = client.post(
            f"/api/v1/rounds/{round_.id}/objections", json={"text": "Too loud"}, headers=headers
        )
    elif action.startswith("answer"):
        url = f"/api/v1/objections/{objection.id}/answer"
        if action == "answer-twice":
            client.post(url, json={"answer": "First answer"}, headers=headers)
        response = client.post(url, json={"answer": "We will plant a hedge."}, headers=headers)
    elif action.startswith("reopen"):
        reason = "" if action == "reopen-without-reason" else "The fire brigade objected"
        response = client.post(f"/api/v1/rounds/{round_.id}/reopen", json={"reason": reason}, headers=headers)
    else:
        response = client.post(f"/api/v1/rounds/{round_.id}/in-use", headers=headers)
    assert response.status_code == status, response.get_json()


def test_reopening_returns_to_deciding_and_allows_a_new_decision(client, token_for, people, deciding):
    round_, a, b = deciding
    bring_to("notice", round_, a, people)
    response = client.post(
        f"/api/v1/rounds/{round_.id}/reopen",
        json={"reason": "New facts"},
        headers=token_for(people["secretary"]),
    )
    assert response.get_json()["phase"] == "deciding"
    assert (
        decide_over_http(
            client, token_for, people["secretary"], round_, b, rationale=LONG_RATIONALE
        ).status_code
        == 201
    )
    assert decisions_stored() == 2  # the reopened one stays in the record


def test_finalising_waits_for_the_period_and_the_answers_and_is_idempotent(runner, people, deciding):
    round_, a, _b = deciding
    objection = bring_to("notice", round_, a, people)
    later = utcnow() + timedelta(days=8)
    assert decisions.finalise_due(utcnow()) == []  # the period is still running
    assert decisions.finalise_due(later) == []  # an objection has no answer yet
    decisions.answer_objection(objection, "Answered.", by=people["secretary"])
    db.session.commit()
    assert decisions.finalise_due(later) == [round_.id]
    db.session.commit()
    assert decisions.finalise_due(later) == []
    assert db.session.get(Round, round_.id).phase == "decided"
    result = runner.invoke(args=["rounds", "finalize-notices"])
    assert result.exit_code == 0 and "finalised 0" in result.output


def test_the_finalise_command_finalises_what_is_due(runner, people, deciding):
    round_, a, _b = deciding
    decisions.decide(round_, a.id, RATIONALE, by=people["secretary"])
    db.session.commit()
    db.session.execute(Decision.__table__.update().values(notice_ends_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    first = runner.invoke(args=["rounds", "finalize-notices"])
    assert first.exit_code == 0 and f"finalised 1 round(s): [{round_.id}]" in first.output
    second = runner.invoke(args=["rounds", "finalize-notices"])
    assert "finalised 0" in second.output
    db.session.expire_all()
    assert db.session.get(Round, round_.id).phase == "decided"


def test_a_decision_becomes_final_on_read(client, token_for, people, deciding):
    round_, a, _b = deciding
    decisions.decide(round_, a.id, RATIONALE, by=people["secretary"])
    db.session.commit()
    db.session.execute(Decision.__table__.update().values(notice_ends_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    body = client.get(
        f"/api/v1/rounds/{round_.id}/decision", headers=token_for(people["resident"])
    ).get_json()
    assert body["finalised_at"] is not None
    db.session.expire_all()
    assert db.session.get(Round, round_.id).phase == "decided"


# --- ask how well ------------------------------------------------------------------------------


def in_use(round_, a, people):
    bring_to("decided", round_, a, people)
    decisions.mark_in_use(round_, by=people["secretary"])
    db.session.commit()


def test_residents_rate_the_built_space_once_each(client, token_for, people, deciding):
    round_, a, _b = deciding
    in_use(round_, a, people)
    url = f"/api/v1/rounds/{round_.id}/evaluations"
    first = client.post(
        url, json={"ratings": RATINGS, "comment": "Great"}, headers=token_for(people["resident"])
    )
    assert first.status_code == 201
    changed = client.post(
        url, json={"ratings": {**RATINGS, "beauty": 5}}, headers=token_for(people["resident"])
    ).get_json()
    assert changed["count"] == 1
    assert changed["criteria"]["beauty"] == {"average": 5.0, "distribution": [0, 0, 0, 0, 1]}
    client.post(url, json={"ratings": {**RATINGS, "safety": 1}}, headers=token_for(people["neighbour"]))
    results = client.get(url, headers=token_for(people["outsider"])).get_json()
    assert results["count"] == 2 and results["criteria"]["safety"]["average"] == 3.0
    assert db.session.scalar(select(func.count()).select_from(Evaluation)) == 2


@pytest.mark.parametrize(
    "body",
    [
        {"ratings": {**RATINGS, "safety": 6}},
        {"ratings": {**RATINGS, "safety": 0}},
        {"ratings": {"usability": 3}},
        {"ratings": {**RATINGS, "beauty": "4"}},
        {},
    ],
)
def test_bad_evaluations_are_422(client, token_for, people, deciding, body):
    round_, a, _b = deciding
    in_use(round_, a, people)
    response = client.post(
        f"/api/v1/rounds/{round_.id}/evaluations", json=body, headers=token_for(people["resident"])
    )
    assert response.status_code == 422


def test_evaluations_wait_until_the_space_is_in_use(client, token_for, people, deciding):
    round_, _a, _b = deciding
    response = client.post(
        f"/api/v1/rounds/{round_.id}/evaluations",
        json={"ratings": RATINGS},
        headers=token_for(people["resident"]),
    )
    assert response.status_code == 409


def test_participation_counts_people_and_shows_no_small_age_group(client, token_for, people, deciding):
    round_, _a, _b = deciding
    table = client.get(
        f"/api/v1/rounds/{round_.id}/participation", headers=token_for(people["resident"])
    ).get_json()
    assert table["ballots"]["people"] == 2 and table["needs"]["people"] == 0
    # two voters, one over 80 and one under 14: no breakdown could hide either
    assert table["ballots"]["by_age_band"] == {} and table["needs"]["by_age_band"] == {}


def test_the_audit_log_and_the_export_keep_the_record(client, token_for, people, deciding):
    round_, a, _b = deciding
    bring_to("notice", round_, a, people)
    headers = token_for(people["outsider"])
    actions = [
        e["action"]
        for e in client.get(f"/api/v1/rounds/{round_.id}/audit", headers=headers).get_json()["entries"]
    ]
    assert {
        "round.created",
        "proposal.submitted",
        "ballots.closed",
        "round.decided",
        "objection.filed",
    } <= set(actions)
    assert "ballot.cast" not in actions  # nobody's vote is in the record
    export = client.get(f"/api/v1/rounds/{round_.id}/export", headers=headers).get_json()
    assert export["decisions"][0]["proposal_id"] == a.id
    assert export["chosen_layout"] == g.GOOD_LAYOUT
    assert export["proposals"][0]["versions"][0]["layout"]["type"] == "FeatureCollection"
    assert export["tally"]["ballots"] == 2
    assert "ranking" not in str(export["tally"])


# --- concurrency ---------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_concurrent_decisions_store_exactly_one(app, people, deciding, token_for):
    round_, a, b = deciding
    round_id, a_id, b_id = round_.id, a.id, b.id  # the threads must not touch the test's session
    secretary_headers = token_for(people["secretary"])
    barrier = threading.Barrier(8)
    statuses: list[int] = []

    def fire(proposal_id: int, rationale: str) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post(
            f"/api/v1/rounds/{round_id}/decision",
            json={"proposal_id": proposal_id, "rationale": rationale},
            headers=secretary_headers,
        )
        statuses.append(response.status_code)

    threads = [
        threading.Thread(target=fire, args=(a_id, RATIONALE) if n % 2 else (b_id, LONG_RATIONALE))
        for n in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(statuses) == [201] + [409] * 7
    db.session.expire_all()
    assert decisions_stored() == 1
    assert db.session.get(Round, round_id).phase == "notice"


@pytest.mark.parametrize("target", ["decided", "deciding"])
def test_a_bare_phase_request_cannot_finalise_or_reopen(client, token_for, people, deciding, target):
    round_, a, _b = deciding
    bring_to("notice", round_, a, people)
    response = client.post(
        f"/api/v1/rounds/{round_.id}/phase",
        json={"phase": target, "reason": "skip it"},
        headers=token_for(people["secretary"]),
    )
    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.get(Round, round_.id).phase == "notice"
    assert decisions.standing_decision(round_).finalised_at is None
