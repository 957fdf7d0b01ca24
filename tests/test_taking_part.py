"""Taking part in a round needs membership of the round's own community: a resident of the
neighbouring community can watch, but not comment, rank, object or pin a need here."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from deliberation import ballots, decisions, proposals
from deliberation.enums import Phase, Role
from deliberation.extensions import db
from deliberation.models import Ballot, Comment, Need, Objection
from tests import geo_layouts as g

RATIONALE = "Plan A keeps the plane tree and gives older neighbours seats in the shade."


@pytest.fixture
def neighbour_elsewhere(make_community, make_user):
    """A resident and designer of another community, with every role a neighbour could hold there."""
    elsewhere = make_community("Liangcheng")
    return make_user(Role.RESIDENT, Role.DESIGNER, community=elsewhere, name="From next door")


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("who", ["neighbour_elsewhere", "member"])
def test_only_members_comment_in_a_hearing(live_client, people, hearing, neighbour_elsewhere, who):
    person = neighbour_elsewhere if who == "neighbour_elsewhere" else people["resident"]
    client = live_client(person)
    assert client.emit("join", {"hearing_id": hearing.id})["ok"]  # watching is open to every login
    ack = client.emit("comment", {"hearing_id": hearing.id, "client_id": "c-1", "body": "Shade, please"})
    if who == "member":
        assert ack["ok"] and count(Comment) == 1
    else:
        assert (ack["ok"], ack["error"]["code"]) == (False, "forbidden")
        assert count(Comment) == 0


@pytest.mark.parametrize("who", ["neighbour_elsewhere", "member"])
def test_only_members_rank_the_proposals(client, token_for, make_round, people, neighbour_elsewhere, who):
    round_ = make_round(Phase.PROPOSING)
    plan, _ = proposals.submit_proposal(
        round_, "Plan A", "", g.GOOD_LAYOUT, by=people["designer"], language="en"
    )
    round_.phase = Phase.DECIDING.value
    db.session.commit()
    person = neighbour_elsewhere if who == "neighbour_elsewhere" else people["resident"]
    response = client.put(
        f"/api/v1/rounds/{round_.id}/ballot", json={"ranking": [plan.id]}, headers=token_for(person)
    )
    assert response.status_code == (200 if who == "member" else 403)
    assert count(Ballot) == (1 if who == "member" else 0)


@pytest.mark.parametrize("who", ["neighbour_elsewhere", "member"])
def test_only_members_object_to_a_decision(client, token_for, make_round, people, neighbour_elsewhere, who):
    round_ = make_round(Phase.PROPOSING)
    plan, _ = proposals.submit_proposal(
        round_, "Plan A", "", g.GOOD_LAYOUT, by=people["designer"], language="en"
    )
    round_.phase = Phase.DECIDING.value
    ballots.cast_ballot(round_, [plan.id], by=people["resident"])
    ballots.close_ballots(round_, by=people["moderator"])
    decisions.decide(round_, plan.id, RATIONALE, by=people["secretary"])
    db.session.commit()
    person = neighbour_elsewhere if who == "neighbour_elsewhere" else people["neighbour"]
    response = client.post(
        f"/api/v1/rounds/{round_.id}/objections",
        json={"text": "Too loud at night"},
        headers=token_for(person),
    )
    assert response.status_code == (201 if who == "member" else 403)
    assert count(Objection) == (1 if who == "member" else 0)


@pytest.mark.parametrize("who", ["neighbour_elsewhere", "member"])
def test_only_members_pin_a_need(client, token_for, make_round, people, neighbour_elsewhere, who):
    round_ = make_round(Phase.NEEDS)
    person = neighbour_elsewhere if who == "neighbour_elsewhere" else people["resident"]
    response = client.post(
        f"/api/v1/rounds/{round_.id}/needs",
        json={"text": "Seats in the shade", "category": "seating"},
        headers=token_for(person),
    )
    assert response.status_code == (201 if who == "member" else 403)
    assert count(Need) == (1 if who == "member" else 0)
