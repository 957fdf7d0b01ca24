"""A screen reader hears the hearing: one polite live region says what arrives while the page
is open, sums up a burst, never reads out the history, and never moves the focus."""

from __future__ import annotations

import time

import pytest
import socketio

from tests.e2e.test_browser_foundation import log_in
from tests.e2e.test_live_servers import create_hearing, token

pytestmark = pytest.mark.e2e


class Speaker:
    """A neighbour commenting from another device (a python-socketio client)."""

    def __init__(self, base: str, email: str, hearing_id: int):
        self.hearing_id = hearing_id
        self.client = socketio.Client()
        self.client.connect(base, namespaces=["/hearing"], auth={"token": token(base, email)})
        assert self.client.call("join", {"hearing_id": hearing_id}, namespace="/hearing", timeout=10)["ok"]
        self.sent = 0

    def say(self, body: str) -> None:
        self.sent += 1
        ack = self.client.call(
            "comment",
            {"hearing_id": self.hearing_id, "client_id": f"announce-{self.sent}-{time.time()}", "body": body},
            namespace="/hearing",
            timeout=10,
        )
        assert ack["ok"], ack

    def close(self) -> None:
        self.client.disconnect()


def announced(page, timeout: float = 6.0) -> str:
    """The live region's words once they come (they are gathered for a moment first)."""
    page.wait_for_function(
        "() => document.querySelector('[data-testid=announcer]').textContent.trim() !== ''",
        timeout=timeout * 1000,
    )
    return page.inner_text("[data-testid=announcer]")


def test_new_comments_are_announced_politely_history_is_not_and_focus_stays(page, live_server):
    base = live_server.url
    hearing_id = create_hearing(base)
    first = Speaker(base, "resident3@demo.jiayuan.cn", hearing_id)
    second = Speaker(base, "resident4@demo.jiayuan.cn", hearing_id)
    try:
        for n in range(3):
            first.say(f"history {n}: the old benches face the wall")

        log_in(page, base, "resident2@demo.jiayuan.cn")
        page.goto(f"{base}/hearings/{hearing_id}")
        page.wait_for_selector("[data-testid=connection][data-state=connected]")
        page.locator("[data-testid=thread] li").nth(2).wait_for()
        assert page.get_attribute("[data-testid=thread]", "aria-live") is None
        assert page.get_attribute("[data-testid=announcer]", "aria-live") == "polite"
        page.focus("[data-testid=compose-body]")
        page.wait_for_timeout(2000)
        assert page.inner_text("[data-testid=announcer]").strip() == ""  # the history is not read out

        second.say("Put the table tennis table under the plane tree")
        words = announced(page)
        assert "Put the table tennis table under the plane tree" in words
        assert page.evaluate("document.activeElement.dataset.testid") == "compose-body"

        page.evaluate("document.querySelector('[data-testid=announcer]').textContent = ''")
        for n in range(4):
            second.say(f"burst {n}")
        words = announced(page)
        assert "4" in words and "burst" not in words, words  # summed up, not read one by one
        assert page.evaluate("document.activeElement.dataset.testid") == "compose-body"
    finally:
        first.close()
        second.close()
