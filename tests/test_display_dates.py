"""Pages give dates as the neighbourhood's calendar has them, whatever the hour.

Shanghai is UTC+8, so from 16:00 to 24:00 UTC its date is a day ahead of UTC's. Each test
runs at a fixed clock on either side of that midnight and reads the pages that show
dates: the decision, the notice, the round's deadline and history, the audit log and the
hearing's start.
"""

from __future__ import annotations

import html as html_lib
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from deliberation import ballots, decisions, hearings, proposals, rounds
from deliberation.enums import Phase
from deliberation.extensions import db
from tests import geo_layouts as g

RATIONALE = "Plan A keeps the plane tree and gives older neighbours seats in the shade."

# (the clock in UTC, the day in Shanghai then, that day in Chinese, seven days later)
CLOCKS = {
    "23:30 in Shanghai, the same day as UTC": (
        datetime(2026, 3, 14, 15, 30, tzinfo=UTC),
        "Mar 14, 2026",
        "2026年3月14日",
        "March 21, 2026",
    ),
    "00:30 in Shanghai, a day ahead of UTC": (
        datetime(2026, 3, 14, 16, 30, tzinfo=UTC),
        "Mar 15, 2026",
        "2026年3月15日",
        "March 22, 2026",
    ),
    "07:30 in Shanghai, a day ahead of UTC": (
        datetime(2026, 3, 14, 23, 30, tzinfo=UTC),
        "Mar 15, 2026",
        "2026年3月15日",
        "March 22, 2026",
    ),
}


def plain(response) -> str:
    assert response.status_code == 200, response.status_code
    page = response.get_data(as_text=True)
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", page)).split())


@pytest.fixture
def decided_at_the_clock(request, make_round, people):
    """A round decided at the test's clock, with a hearing and a deadline that same day."""
    instant = request.param[0]
    with time_machine.travel(instant, tick=False):
        round_ = make_round(Phase.PROPOSING)
        plan, _ = proposals.submit_proposal(
            round_, "Plan A", "", g.GOOD_LAYOUT, by=people["designer"], language="en"
        )
        round_.phase = Phase.HEARING.value
        hearings.create_hearing(round_, "Evening talk", instant, "Room 1", [], by=people["moderator"])
        rounds.set_deadlines(
            round_, {Phase.DECIDING.value: instant + timedelta(minutes=10)}, by=people["moderator"]
        )
        round_.phase = Phase.DECIDING.value
        ballots.cast_ballot(round_, [plan.id], by=people["resident"])
        ballots.close_ballots(round_, by=people["moderator"])
        decisions.decide(round_, plan.id, RATIONALE, by=people["secretary"])
        db.session.commit()
    return round_, request.param


def read(client, login, user, path: str, language: str = "en") -> str:
    login(user)
    client.post("/preferences/language", data={"language": language})
    return plain(client.get(path))


@pytest.mark.parametrize("decided_at_the_clock", CLOCKS.values(), ids=CLOCKS.keys(), indirect=True)
def test_the_decision_and_its_notice_carry_the_date_in_shanghai(client, login, people, decided_at_the_clock):
    round_, (instant, day, day_zh, week_later) = decided_at_the_clock
    with time_machine.travel(instant + timedelta(minutes=5), tick=False):
        decision = read(client, login, people["resident"], f"/rounds/{round_.id}/decision")
        assert f"The notice period ends on {week_later}." in decision
        assert re.search(rf"Decided by Sec on {day}, \d", decision)

        notice = read(client, login, people["resident"], f"/rounds/{round_.id}/notice")
        spelled = day.replace("Mar", "March")
        assert f"Decided on {spelled} Notice period ends on {week_later}" in notice
        assert f"Printed on {spelled}" in notice

        notice_zh = read(client, login, people["resident"], f"/rounds/{round_.id}/notice", "zh-CN")
        assert day_zh in notice_zh


@pytest.mark.parametrize("decided_at_the_clock", CLOCKS.values(), ids=CLOCKS.keys(), indirect=True)
def test_deadlines_history_and_hearings_carry_the_date_in_shanghai(
    client, login, people, decided_at_the_clock
):
    round_, (instant, day, _day_zh, _week_later) = decided_at_the_clock
    with time_machine.travel(instant + timedelta(minutes=5), tick=False):
        page = read(client, login, people["moderator"], f"/rounds/{round_.id}")
        assert f"until {day}" in page  # the deciding phase's deadline, in the stepper
        audit = read(client, login, people["moderator"], f"/rounds/{round_.id}/audit")
        assert re.search(rf"{day}, \d", audit)
        listing = read(client, login, people["moderator"], f"/rounds/{round_.id}/hearings")
        assert re.search(rf"Evening talk .*{day}, \d", listing)


@pytest.mark.parametrize("app_overrides", [{"BABEL_DEFAULT_TIMEZONE": "UTC"}])
@pytest.mark.parametrize(
    "decided_at_the_clock", [CLOCKS["00:30 in Shanghai, a day ahead of UTC"]], indirect=True
)
def test_a_neighbourhood_whose_display_zone_is_utc_sees_utc_dates(
    client, login, people, decided_at_the_clock
):
    round_, (instant, _day, _day_zh, _week_later) = decided_at_the_clock
    with time_machine.travel(instant + timedelta(minutes=5), tick=False):
        notice = read(client, login, people["resident"], f"/rounds/{round_.id}/notice")
        assert "Decided on March 14, 2026 Notice period ends on March 21, 2026" in notice
