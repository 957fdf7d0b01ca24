"""Ballots and ask-whether answers are secret: the differencing attack learns nothing.

An observer (a resident of another community, or a neighbour of the same one) reads every
view of a round (the API, the pages, the record and the export) just before and just after
a known neighbour votes. Between the two readings only the turnout may change: no
ranking, no answer, no age band. Once voting closes, no breakdown shows fewer than five.
"""

from __future__ import annotations

import difflib
import json
import re
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deliberation import asking, ballots, proposals, rounds
from deliberation.age_groups import MINIMUM_GROUP, group_bands
from deliberation.enums import AgeBand, Phase, Role, reporting_age_bands
from deliberation.extensions import db
from tests import geo_layouts as g

# what differs on every render: CSRF tokens and CSP nonces
CSRF = re.compile(
    r'name="csrf_token" value="[^"]+"|"csrf_token": "[^"]+"|name="csrf-token" content="[^"]+"|nonce="[^"]+"'
)
TIMESTAMPS = re.compile(r'"exported_at": "[^"]+"')
RANDOM_IDS = re.compile(r"_[0-9a-f]{32}")  # a folium map's element names, new on every render
# eleven neighbours, and the one over 80 whom everybody knows
NEIGHBOURS = ["under_14"] * 2 + ["14_34"] * 3 + ["35_59"] * 3 + ["60_79"] * 3


@pytest.fixture
def observers(make_community, make_user, community):
    elsewhere = make_community("Liangcheng")
    return {
        "another community": make_user(Role.RESIDENT, community=elsewhere, name="Curious outsider"),
        "the same community": make_user(Role.RESIDENT, community=community, name="Curious neighbour"),
    }


def views(client, token_for, viewer, round_) -> dict[str, str]:
    """Everything this viewer can read about the round, as text."""
    headers = token_for(viewer)
    api = {
        path: json.dumps(
            client.get(f"/api/v1/rounds/{round_.id}{path}", headers=headers).get_json(), sort_keys=True
        )
        for path in ("", "/tally", "/whether", "/participation", "/audit", "/export")
    }
    pages = {}
    for path in ("", "/tally", "/audit", "/participation", "/export.json"):
        response = client.get(f"/rounds/{round_.id}{path}", headers=headers)
        assert response.status_code == 200, path
        pages["page " + path] = response.get_data(as_text=True)
    return {
        name: RANDOM_IDS.sub("_ID", TIMESTAMPS.sub("", CSRF.sub("", text)))
        for name, text in (api | pages).items()
    }


def changes(before: dict[str, str], after: dict[str, str]) -> list[tuple[str, str, str]]:
    """Every changed line of every view: (view, before, after)."""
    found = []
    for name in before:
        old, new = before[name].splitlines(), after[name].splitlines()
        matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag != "equal":
                found.append((name, "\n".join(old[i1:i2]), "\n".join(new[j1:j2])))
    return found


def only_turnout_moved(found, before: int, after: int, fields: tuple[str, ...]) -> None:
    """Each change must read the same once the turnout numbers and their ratio are masked."""
    for name, old, new in found:
        masked_old = mask(old, before, fields)
        masked_new = mask(new, after, fields)
        if masked_old != masked_new:
            where = next(i for i, (a, b) in enumerate(zip(masked_old, masked_new, strict=False)) if a != b)
            around = slice(max(0, where - 60), where + 60)
            pytest.fail(f"{name} changed: …{masked_old[around]}… became …{masked_new[around]}…")


def mask(text: str, turnout: int, fields: tuple[str, ...]) -> str:
    for field in fields:
        text = re.sub(rf'("{field}": )[0-9.]+', r"\1#", text)
    text = re.sub(rf"(?<![\w.:-]){turnout}(?![\w.:-])", "#", text)  # a number of its own, not in a date
    return re.sub(r"\d+%", "#%", text)


@pytest.fixture
def deciding_round(make_round, make_user, community, people):
    round_ = make_round(Phase.PROPOSING)
    plans = [
        proposals.submit_proposal(round_, title, "", g.GOOD_LAYOUT, by=people["designer"], language="en")[0]
        for title in ("Plan A", "Plan B")
    ]
    round_.phase = Phase.DECIDING.value
    for n, band in enumerate(NEIGHBOURS):
        voter = make_user(Role.RESIDENT, community=community, age_band=band)
        ballots.cast_ballot(round_, [plans[n % 2].id], by=voter)
    db.session.commit()
    return round_, plans


@pytest.mark.parametrize("observer", ["another community", "the same community"])
def test_reading_every_view_around_a_vote_learns_nothing_of_it(
    client, token_for, people, observers, deciding_round, observer
):
    round_, (plan_a, _plan_b) = deciding_round
    grandma = people["resident"]  # over 80, the only one: her band would name her
    watcher = observers[observer]
    before = views(client, token_for, watcher, round_)
    ballots.cast_ballot(round_, [plan_a.id], by=grandma)
    db.session.commit()
    after = views(client, token_for, watcher, round_)

    found = changes(before, after)
    assert found, "the turnout should have moved"
    only_turnout_moved(found, len(NEIGHBOURS), len(NEIGHBOURS) + 1, ("ballots", "people"))
    record = json.loads(after["/audit"])["entries"]
    assert all(e["action"] not in ("ballot.cast", "whether.answered") for e in record)
    assert all(e["actor_id"] != grandma.id for e in record)


def test_nobody_sees_the_count_while_ballots_are_open_staff_included(
    client, token_for, people, deciding_round
):
    round_, _plans = deciding_round
    for role in ("moderator", "secretary", "outsider", "resident"):
        tally = client.get(f"/api/v1/rounds/{round_.id}/tally", headers=token_for(people[role])).get_json()
        assert tally == {
            "candidates": tally["candidates"],
            "ballots": len(NEIGHBOURS),
            "sealed": True,
            "winner": None,
            "first_preferences": {},
            "rounds": [],
            "by_age_band": {},
            "closes_at": None,
            "closed_at": None,
        }, role


def test_the_secretary_decides_only_once_the_ballots_close(client, token_for, people, deciding_round):
    round_, (plan_a, _b) = deciding_round
    decide = {"proposal_id": plan_a.id, "rationale": "The residents' choice, kept as it is."}
    url = f"/api/v1/rounds/{round_.id}"
    early = client.post(url + "/decision", json=decide, headers=token_for(people["secretary"]))
    assert early.status_code == 409
    assert client.post(url + "/ballots/close", headers=token_for(people["resident"])).status_code == 403
    assert client.post(url + "/ballots/close", headers=token_for(people["moderator"])).status_code == 200
    again = client.post(url + "/ballots/close", headers=token_for(people["moderator"]))
    assert again.status_code == 409
    late = client.put(url + "/ballot", json={"ranking": [plan_a.id]}, headers=token_for(people["neighbour"]))
    assert late.status_code == 409  # nobody ranks once they are closed
    assert (
        client.post(url + "/decision", json=decide, headers=token_for(people["secretary"])).status_code == 201
    )


def test_ballots_close_by_themselves_at_the_deadline_and_the_record_says_so(
    client, token_for, people, deciding_round, runner
):
    from datetime import timedelta

    import time_machine

    from deliberation.models.types import utcnow

    round_, (plan_a, _b) = deciding_round
    deadline = utcnow() + timedelta(hours=2)
    rounds.set_deadline(round_, Phase.DECIDING, deadline)
    db.session.commit()
    url = f"/api/v1/rounds/{round_.id}"
    assert client.get(url + "/tally", headers=token_for(people["outsider"])).get_json()["sealed"] is True
    with time_machine.travel(deadline + timedelta(minutes=1), tick=False):
        refused = client.put(
            url + "/ballot", json={"ranking": [plan_a.id]}, headers=token_for(people["resident"])
        )
        assert refused.status_code == 409
        tally = client.get(url + "/tally", headers=token_for(people["outsider"])).get_json()
        assert tally["sealed"] is False and tally["ballots"] == len(NEIGHBOURS)
        assert tally["closed_at"] == deadline.isoformat()
        entries = client.get(url + "/audit", headers=token_for(people["outsider"])).get_json()["entries"]
        closing = [e for e in entries if e["action"] == "ballots.closed"]
        assert len(closing) == 1 and closing[0]["data"] == {"ballots": len(NEIGHBOURS)}


def test_after_closing_every_age_breakdown_holds_five_or_more(client, token_for, people, deciding_round):
    round_, _plans = deciding_round
    ballots.cast_ballot(round_, [_plans[0].id], by=people["resident"])  # the only one over 80
    ballots.close_ballots(round_, by=people["moderator"])
    db.session.commit()
    headers = token_for(people["outsider"])
    tally = client.get(f"/api/v1/rounds/{round_.id}/tally", headers=headers).get_json()
    assert {k: v["ballots"] for k, v in tally["by_age_band"].items()} == {
        "under_14+14_34": 5,
        "35_59+60_79+80_plus+unknown": 7,  # grandma is one of seven, not one alone
    }
    participation = client.get(f"/api/v1/rounds/{round_.id}/participation", headers=headers).get_json()
    assert participation["ballots"]["by_age_band"] == {"under_14+14_34": 5, "35_59+60_79+80_plus+unknown": 7}
    page = client.get(f"/rounds/{round_.id}/tally", headers=headers).get_data(as_text=True)
    assert 'data-band="80_plus"' not in page and "80 and over<" not in page


def test_ask_whether_answers_are_sealed_until_the_question_closes_and_leave_no_trace(
    client, token_for, people, observers, make_round, make_user, community
):
    round_ = make_round(Phase.ASKING)
    for n, band in enumerate(NEIGHBOURS):
        asking.answer_whether(
            round_, n % 3 != 0, by=make_user(Role.RESIDENT, community=community, age_band=band)
        )
    db.session.commit()
    watcher = observers["the same community"]
    before = views(client, token_for, watcher, round_)
    asking.answer_whether(round_, False, by=people["resident"])
    db.session.commit()
    after = views(client, token_for, watcher, round_)
    only_turnout_moved(changes(before, after), len(NEIGHBOURS), len(NEIGHBOURS) + 1, ("answers", "turnout"))

    rounds.advance(round_, Phase.NEEDS, actor=people["moderator"])
    db.session.commit()
    results = client.get(f"/api/v1/rounds/{round_.id}/whether", headers=token_for(watcher)).get_json()
    assert results["sealed"] is False and results["answers"] == len(NEIGHBOURS) + 1
    assert all(sum(group.values()) >= MINIMUM_GROUP for group in results["by_age_band"].values())


@given(st.lists(st.sampled_from([*reporting_age_bands()]), max_size=60))
def test_age_groups_always_hold_five_and_cover_everyone(bands: list[str]) -> None:
    counts = Counter(bands)
    groups = group_bands(counts)
    if groups:
        assert len(groups) >= 2
        assert [b for group in groups for b in group] == reporting_age_bands()  # a partition, in order
        assert all(sum(counts[b] for b in group) >= MINIMUM_GROUP for group in groups)
    else:
        # fewer than two groups of five could be made
        assert sum(counts.values()) < 2 * MINIMUM_GROUP or len(set(bands)) >= 1


def test_a_single_person_in_a_band_is_merged_with_the_neighbouring_band():
    counts = {AgeBand.AGE_60_79.value: 9, AgeBand.OVER_80.value: 1, AgeBand.AGE_14_34.value: 6}
    assert group_bands(counts) == [
        ("under_14", "14_34"),
        ("35_59", "60_79", "80_plus", "unknown"),
    ]


def test_a_closed_question_cannot_be_opened_again_by_moving_its_deadline(
    client, token_for, people, make_round, make_user, community
):
    from datetime import timedelta

    import time_machine

    from deliberation.models.types import utcnow

    round_ = make_round(Phase.ASKING)
    deadline = utcnow() + timedelta(hours=1)
    url = f"/api/v1/rounds/{round_.id}/deadlines"
    headers = token_for(people["moderator"])
    assert (
        client.put(url, json={"deadlines": {"asking": deadline.isoformat()}}, headers=headers).status_code
        == 200
    )
    with time_machine.travel(deadline + timedelta(minutes=5), tick=False):
        later = (deadline + timedelta(days=1)).isoformat()
        moved = client.put(url, json={"deadlines": {"asking": later}}, headers=headers)
        assert moved.status_code == 409
        removed = client.put(url, json={"deadlines": {"asking": None}}, headers=headers)
        assert removed.status_code == 409
        past = client.put(
            url, json={"deadlines": {"needs": (deadline - timedelta(days=1)).isoformat()}}, headers=headers
        )
        assert past.status_code == 422
        late = client.put(
            f"/api/v1/rounds/{round_.id}/whether",
            json={"support": True},
            headers=token_for(people["resident"]),
        )
        assert late.status_code == 409


def test_withdrawing_an_age_band_after_the_count_leaves_the_count_as_published(
    client, token_for, people, deciding_round
):
    round_, (plan_a, _b) = deciding_round
    ballots.cast_ballot(round_, [plan_a.id], by=people["resident"])
    ballots.close_ballots(round_, by=people["moderator"])
    db.session.commit()
    url = f"/api/v1/rounds/{round_.id}/tally"
    before = client.get(url, headers=token_for(people["outsider"])).get_json()
    from deliberation import accounts

    accounts.update_profile(people["resident"], age_band="")  # withdraws the band
    db.session.commit()
    assert people["resident"].age_band is None
    assert client.get(url, headers=token_for(people["outsider"])).get_json() == before
