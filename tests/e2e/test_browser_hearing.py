"""In a real browser, live: the moderator runs a pitch slot from the console, a resident on a
phone comments on a feature of the running proposal, and everyone else sees it at once; a
dropped connection catches up with exactly what it missed and sends its comment once."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import requests

from tests.e2e.conftest import new_context, wait_until
from tests.e2e.test_browser_foundation import log_in, other_hosts

pytestmark = pytest.mark.e2e

PASSWORD = "jiayuan-demo"
MODERATOR = "moderator@demo.jiayuan.cn"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
CLOCK = re.compile(r"^\d\d:\d\d$")
SECONDS_LEFT = """() => {
  const [m, s] = document.querySelector('[data-testid=countdown]').textContent.split(':').map(Number);
  return m * 60 + s;
}"""


def bearer(base: str, email: str) -> dict[str, str]:
    answer = requests.post(
        base + "/api/v1/auth/login", json={"email": email, "password": PASSWORD}, timeout=10
    )
    answer.raise_for_status()
    return {"Authorization": "Bearer " + answer.json()["token"]}


def schedule_hearing(base: str) -> dict:
    """A hearing for the demo's half-court round (round 1, in its hearing phase), as the moderator."""
    headers = bearer(base, MODERATOR)
    round_ = requests.get(base + "/api/v1/rounds/1", headers=headers, timeout=10).json()
    assert "半场改造" in round_["title"] and round_["phase"] == "hearing"
    found = requests.get(base + "/api/v1/rounds/1/proposals", headers=headers, timeout=10).json()["proposals"]
    active = [p["id"] for p in found if p["status"] == "active"]
    assert len(active) == 2
    answer = requests.post(
        base + "/api/v1/rounds/1/hearings",
        headers=headers,
        json={
            "title": "嘉园夜话 " + uuid.uuid4().hex[:6],
            "starts_at": "2026-06-01T19:00:00+08:00",
            "place": "12号楼活动室",
            "slots": [{"proposal_id": pid, "seconds": 300} for pid in active],
        },
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def stored_comments(base: str, hearing_id: int, body: str) -> int:
    headers = bearer(base, MODERATOR)
    page = requests.get(f"{base}/api/v1/hearings/{hearing_id}/comments", headers=headers, timeout=10).json()
    return sum(1 for c in page["comments"] if c["body"] == body)


@dataclass
class Person:
    """One browser context: a person logged in on one page, recording every URL it asked for."""

    page: object
    urls: list[str] = field(default_factory=list)


@pytest.fixture
def people(browser, live_server) -> Iterator:
    contexts = []

    def open_as(email: str, path: str, viewport: dict) -> Person:
        context = new_context(browser, viewport=viewport)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        person = Person(page)
        page.on("request", lambda request: person.urls.append(request.url))
        page.on("websocket", lambda socket: person.urls.append(socket.url))
        log_in(page, live_server.url, email)
        page.goto(live_server.url + path)
        page.wait_for_selector("[data-testid=connection][data-state=connected]")
        return person

    yield open_as
    for context in contexts:
        context.close()


def comment_in(page, body: str):
    return page.locator("[data-testid=thread] [data-testid=comment]", has_text=body)


def test_a_slot_runs_and_a_comment_on_a_feature_reaches_everyone_live(live_server, people):
    base = live_server.url
    hearing = schedule_hearing(base)
    first_proposal = hearing["slots"][0]["proposal_id"]
    resident = people("resident1@demo.jiayuan.cn", f"/hearings/{hearing['id']}", PHONE)
    moderator = people(MODERATOR, f"/hearings/{hearing['id']}/console", DESKTOP)
    neighbour = people("resident2@demo.jiayuan.cn", f"/hearings/{hearing['id']}", DESKTOP)
    moderator.page.wait_for_selector("[data-testid=presence][data-count='3']")

    # The moderator starts the first pitch: every page counts down from the server's deadline.
    assert moderator.page.inner_text("[data-testid=countdown]") == "--:--"
    moderator.page.click("[data-testid=slot-start]")
    for person in (resident, moderator, neighbour):
        page = person.page
        page.wait_for_selector("[data-testid=slot][data-state=running]")
        clock = page.inner_text("[data-testid=countdown]")
        assert CLOCK.match(clock), clock
        left = page.evaluate(SECONDS_LEFT)
        assert 270 <= left <= 300, clock
        wait_until(page, f"({SECONDS_LEFT})() < {left}", timeout=5, interval=0.2)
        assert hearing["slots"][0]["title"] in page.inner_text("[data-testid=slot-title]")
    assert moderator.page.locator("[data-testid=running-order] li.is-current[data-position='0']").count() == 1

    # The resident's map shows the running proposal; tapping its court anchors the comment there.
    phone = resident.page
    phone.wait_for_selector(f".hearing-map [data-shown-proposal='{first_proposal}']")
    phone.evaluate("document.querySelector('.hearing-map').scrollIntoView({block: 'end'})")
    phone.click(".hearing-map path.leaflet-interactive[data-feature-id=court]")
    anchor = phone.locator("[data-testid=compose-anchor][data-state=feature]")
    assert "半场" in anchor.inner_text()
    assert phone.locator(".hearing-map path.is-selected[data-feature-id=court]").count() == 1
    body = "球场边能不能加遮阳棚？" + uuid.uuid4().hex[:4]
    phone.fill("[data-testid=compose-body]", body)
    phone.click("[data-testid=compose-send]")
    comment_in(phone, body).locator(".send-state[data-state=sent]").wait_for()

    # The moderator sees it live, with what it points at.
    live = comment_in(moderator.page, body)
    live.wait_for()
    assert live.locator("[data-testid=anchor][data-feature-id=court]").count() == 1
    assert "半场" in live.locator("[data-testid=anchor]").inner_text()
    assert "小杰" in live.inner_text()

    # So does a neighbour on another page: in the thread and on the map.
    seen = comment_in(neighbour.page, body)
    seen.wait_for()
    assert seen.locator("[data-testid=anchor][data-feature-id=court]").count() == 1
    neighbour.page.wait_for_selector(".hearing-map path.is-anchored[data-feature-id=court]")

    # The neighbour (a merchant) replies: the reply sits under the comment, tagged, everywhere.
    seen.locator("[data-testid=reply]").first.click()
    reply = "同意，顺便加几张长椅 " + uuid.uuid4().hex[:4]
    neighbour.page.fill("[data-testid=compose-body]", reply)
    neighbour.page.click("[data-testid=compose-send]")
    nested = comment_in(phone, body).locator(".replies [data-testid=comment]", has_text=reply)
    nested.wait_for()
    assert nested.locator("[data-testid=stakeholder]").inner_text() == "商户"

    # A straw poll: opened in the console, answered on the phone, counted live in the console.
    console = moderator.page
    console.fill("#poll-question", "要不要保留篮球架？")
    console.click("[data-testid=poll-open] button[type=submit]")
    phone.click("[data-testid=tab-poll]")
    phone.click("[data-testid=poll] button.poll-option[data-option='0']")
    console.wait_for_selector("[data-testid=poll] [data-option='0'] [data-testid=poll-count]:text-is('1')")

    for person in (resident, moderator, neighbour):
        assert person.urls, "no requests recorded"
        assert other_hosts(person.urls, base) == []


def test_a_dropped_connection_catches_up_and_sends_its_comment_once(live_server, people):
    base = live_server.url
    hearing = schedule_hearing(base)
    path = f"/hearings/{hearing['id']}"
    speaker = people("resident3@demo.jiayuan.cn", path, DESKTOP)
    listener = people("resident4@demo.jiayuan.cn", path, DESKTOP)
    page = listener.page
    earlier = "先说一句 " + uuid.uuid4().hex[:4]
    speaker.page.fill("[data-testid=compose-body]", earlier)
    speaker.page.click("[data-testid=compose-send]")
    comment_in(page, earlier).wait_for()

    # The listener loses its connection (and is kept off it) while a neighbour comments.
    page.evaluate(
        "() => { const live = window.jiayuanLive.current;"
        " live.socket.io.reconnection(false); live.socket.io.engine.close(); }"
    )
    page.wait_for_selector("[data-testid=connection][data-state=reconnecting]")
    missed = "错过的评论 " + uuid.uuid4().hex[:4]
    speaker.page.fill("[data-testid=compose-body]", missed)
    speaker.page.click("[data-testid=compose-send]")
    comment_in(speaker.page, missed).wait_for()

    # What the listener writes meanwhile waits in its outbox.
    queued = "离线时写的 " + uuid.uuid4().hex[:4]
    page.fill("[data-testid=compose-body]", queued)
    page.click("[data-testid=compose-send]")
    page.wait_for_selector("[data-testid=outbox] [data-state=waiting]")
    assert comment_in(page, missed).count() == 0

    seen_before = page.evaluate("() => window.jiayuanLive.current.lastSeq")
    assert seen_before == int(comment_in(page, earlier).get_attribute("data-seq"))
    page.evaluate(
        "() => { const live = window.jiayuanLive.current, socket = live.socket, emit = socket.emit;"
        " window.joins = [];"
        " socket.emit = function (name, ...args) {"
        "   if (name === 'join') window.joins.push(args[0]);"
        "   return emit.call(this, name, ...args); };"
        " socket.io.reconnection(true); socket.connect(); }"
    )
    page.wait_for_selector("[data-testid=connection][data-state=connected]")
    # It asked for what came after the last comment it had seen, no more.
    assert page.evaluate("() => window.joins") == [{"hearing_id": hearing["id"], "after_seq": seen_before}]
    comment_in(page, missed).wait_for()
    comment_in(page, queued).locator(".send-state[data-state=sent]").wait_for()
    comment_in(speaker.page, queued).wait_for()

    # The connection drops again right after a comment leaves, before its acknowledgement.
    page.evaluate(
        "() => { const socket = window.jiayuanLive.current.socket, emit = socket.emit;"
        " socket.emit = function (name, ...args) {"
        "   const result = emit.call(this, name, ...args);"
        "   if (name === 'comment') { delete socket.emit; socket.io.engine.close(); }"
        "   return result; }; }"
    )
    dropped = "断线时发的 " + uuid.uuid4().hex[:4]
    page.fill("[data-testid=compose-body]", dropped)
    page.click("[data-testid=compose-send]")
    comment_in(page, dropped).locator(".send-state[data-state=sent]").wait_for(timeout=20_000)
    comment_in(speaker.page, dropped).wait_for()
    page.wait_for_selector("[data-testid=connection][data-state=connected]")

    # Everything exactly once, on each page and in the database.
    for body in (earlier, missed, queued, dropped):
        assert comment_in(page, body).count() == 1, body
        assert comment_in(speaker.page, body).count() == 1, body
        assert stored_comments(base, hearing["id"], body) == 1, body
    for person in (speaker, listener):
        assert other_hosts(person.urls, base) == []


def test_a_moderator_schedules_a_hearing_in_local_time_and_lands_on_its_console(browser, live_server):
    base = live_server.url
    context = new_context(browser, viewport=DESKTOP)
    page = context.new_page()
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    try:
        log_in(page, base, MODERATOR)
        page.goto(base + "/rounds/1/hearings")
        page.click("[data-testid=schedule-link]")
        title = "周末听取会 " + uuid.uuid4().hex[:4]
        page.fill("[name=title]", title)
        page.fill("[name=starts_at]", "2026-06-06T10:30")
        page.fill("[name=place]", "5号楼共享客厅")
        page.locator(".slot-row [name=minutes]").first.fill("8")
        page.click("[data-testid=schedule-submit]")
        page.wait_for_url(re.compile(r".*/hearings/\d+/console$"))
        assert title in page.inner_text("h1")
        page.wait_for_selector("[data-testid=connection][data-state=connected]")
        hearing_id = int(page.url.rsplit("/", 2)[-2])
        stored = requests.get(
            f"{base}/api/v1/hearings/{hearing_id}", headers=bearer(base, MODERATOR), timeout=10
        )
        data = stored.json()
        assert data["starts_at"].startswith("2026-06-06T02:30")  # 10:30 in Shanghai
        assert [s["seconds"] for s in data["slots"]] == [480, 300]
        assert other_hosts(urls, base) == []
    finally:
        context.close()
