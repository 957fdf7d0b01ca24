"""Accessibility in the browser, every page with data in it: axe-core, the elder mode
measured against the aging-friendly figures, high contrast, read-aloud, and no pop-ups.

The demo is brought to what a neighbourhood really holds: a hearing with many comments
(one carrying a long link), a round in each phase up to a decided one. Every page is
checked in four settings that together cover every pair of language, screen and text size
(and every pair of each with contrast, but for screen and contrast): Chinese on a desktop,
normal text and contrast; Chinese on a phone in the elder mode with high contrast; English
on a desktop in the elder mode; English on a phone with high contrast. No serious or
critical violation anywhere (in high contrast, text under WCAG's enhanced 7:1 is one);
the count per page is printed. In the elder mode every page is also measured against the
MIIT figures (tests/e2e/elder.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
import socketio

from tests.e2e.axe import AxeLog
from tests.e2e.conftest import LiveServer, free_port, new_context, prepare_database, server_environment
from tests.e2e.elder import measure
from tests.e2e.test_live_servers import decide_demo_round

pytestmark = pytest.mark.e2e

PASSWORD = "jiayuan-demo"
MODERATOR = "moderator@demo.jiayuan.cn"
DESIGNER = "designer1@demo.jiayuan.cn"
RESIDENT = "resident2@demo.jiayuan.cn"
# Residents aged 14 and over, who may comment (the demo's under-14s only watch).
COMMENTERS = [f"resident{n}@demo.jiayuan.cn" for n in range(2, 7)] + [
    f"neighbour{n:02d}@demo.jiayuan.cn" for n in range(5, 25)
]
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 375, "height": 760}
LONG_LINK = "https://example.org/" + "court-plan-" * 30


@dataclass(frozen=True)
class Setting:
    language: str
    screen: str  # "desktop" or "phone"
    large_text: bool  # the elder mode
    high_contrast: bool = False

    @property
    def viewport(self) -> dict:
        return PHONE if self.screen == "phone" else DESKTOP

    @property
    def name(self) -> str:
        return f"{self.language} {self.screen} {'elder' if self.large_text else 'normal'}" + (
            " high-contrast" if self.high_contrast else ""
        )


SETTINGS = [
    Setting("zh-CN", "desktop", large_text=False),
    Setting("zh-CN", "phone", large_text=True, high_contrast=True),
    Setting("en", "desktop", large_text=True),
    Setting("en", "phone", large_text=False, high_contrast=True),
]


@dataclass
class World:
    base: str
    hearing_id: int
    join_code: str
    proposal_id: int
    site_id: int


def api_token(base: str, email: str) -> dict[str, str]:
    response = requests.post(
        f"{base}/api/v1/auth/login", json={"email": email, "password": PASSWORD}, timeout=10
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['token']}"}


def fill_hearing(base: str, hearing_id: int) -> None:
    """Two comments from each of 25 neighbours, one of them with a long link."""
    for index, email in enumerate(COMMENTERS):
        client = socketio.Client()
        client.connect(
            base, namespaces=["/hearing"], auth={"token": api_token(base, email)["Authorization"].split()[1]}
        )
        try:
            joined = client.call("join", {"hearing_id": hearing_id}, namespace="/hearing", timeout=10)
            assert joined["ok"], joined
            for n in range(2):
                body = f"第{index * 2 + n + 1}条意见：篮球场边多放几张长椅，晚上的灯也要亮一点。"
                if index == 0 and n == 0:
                    body += f" See {LONG_LINK}"
                ack = client.call(
                    "comment",
                    {"hearing_id": hearing_id, "client_id": f"sweep-{index}-{n}", "body": body},
                    namespace="/hearing",
                    timeout=10,
                )
                assert ack["ok"], ack
        finally:
            client.disconnect()


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[World]:
    """The demo on a server of this module's own (it decides a round), with a full hearing."""
    folder = tmp_path_factory.mktemp("axe-sweep")
    env = server_environment(f"sqlite:///{folder / 'jiayuan.sqlite3'}", free_port())
    prepare_database(env)
    server = LiveServer(env, folder / "server.log")
    try:
        base = server.url
        moderator = api_token(base, MODERATOR)
        hearing = requests.post(
            f"{base}/api/v1/rounds/1/hearings",
            json={
                "title": "第一次方案听证会",
                "starts_at": "2026-12-01T10:00:00+08:00",
                "place": "社区活动室",
            },
            headers=moderator,
            timeout=10,
        )
        hearing.raise_for_status()
        fill_hearing(base, hearing.json()["id"])
        round_1 = requests.get(f"{base}/api/v1/rounds/1", headers=moderator, timeout=10).json()
        proposals = requests.get(f"{base}/api/v1/rounds/1/proposals", headers=moderator, timeout=10).json()
        designed = [p for p in proposals["proposals"] if DESIGNER in str(p)] or proposals["proposals"]
        yield World(
            base=base,
            hearing_id=hearing.json()["id"],
            join_code=hearing.json()["join_code"],
            proposal_id=designed[0]["id"],
            site_id=round_1["site_id"],
        )
    finally:
        server.stop()


class Visitor:
    """Someone in one setting: their own browser context, language and text size chosen on the page."""

    def __init__(
        self, browser, base: str, email: str | None, setting: Setting, axe: AxeLog, short_of: dict[str, list]
    ):
        self.context = new_context(browser, viewport=setting.viewport, locale=setting.language)
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.base, self.setting, self.axe, self.short_of = base, setting, axe, short_of
        # No pop-up window anywhere (the aging-friendly rules): a dialog would fail the run.
        self.page.on("dialog", lambda dialog: short_of.setdefault("pop-ups", []).append(dialog.message))
        if email is not None:
            self.page.goto(base + "/login")
            self.page.fill("input[name=email]", email)
            self.page.fill("input[name=password]", PASSWORD)
            self.page.click("form button[type=submit].primary")
            self.page.wait_for_url(base + "/")
        else:
            self.page.goto(base + "/login")
        with self.page.expect_navigation():
            self.page.click(f"[data-testid=language-{setting.language}]")
        for choice, on in (("large-text", setting.large_text), ("high-contrast", setting.high_contrast)):
            # Chosen in this browser, kept in its session: without a choice of its own a
            # browser follows the account, which the same person's other settings change.
            pressed = self.page.get_attribute(f"[data-testid={choice}]", "aria-pressed") == "true"
            for _ in range(2 if pressed == on else 1):
                with self.page.expect_navigation():
                    self.page.click(f"[data-testid={choice}]")

    def check(self, path: str, note: str = "") -> None:
        response = self.page.goto(self.base + path)
        assert response is not None and response.status < 400, (path, response and response.status)
        name = f"{path}{note} ({self.setting.name})"
        self.axe.check(self.page, name, enhanced_contrast=self.setting.high_contrast)
        if self.setting.large_text:
            self.short_of[name] = measure(self.page)

    def close(self) -> None:
        self.context.close()


def pages_for(world: World) -> dict[str | None, list[str]]:
    """Every page, by whom it is visited (None: nobody logged in)."""
    hearing, proposal, site = world.hearing_id, world.proposal_id, world.site_id
    return {
        None: ["/login", "/signup", f"/j/{world.join_code}", "/privacy"],
        MODERATOR: [
            "/",
            "/communities/1/map",
            "/communities/1/members",
            "/communities/1/sites/new",
            f"/hearings/{hearing}",
            f"/hearings/{hearing}/console",
            f"/hearings/{hearing}/screen",
            "/j",
            "/profile",
            *(f"/rounds/{n}" for n in (1, 2, 3, 4)),
            "/rounds/1/compare?p=1&p=2",
            "/rounds/1/hearings",
            "/rounds/1/hearings/new",
            "/rounds/1/paper",
            "/rounds/3/participation",
            "/rounds/4/tally",
            "/rounds/1/audit",
            f"/sites/{site}",
            f"/sites/{site}/rounds/new",
            f"/proposals/{proposal}",
        ],
        DESIGNER: [f"/proposals/{proposal}/edit"],
        RESIDENT: ["/rounds/4/ballot"],
    }


DECIDED_PAGES = [
    "/rounds/4",
    "/rounds/4/decision",
    "/rounds/4/notice",
    "/rounds/4/tally",
    "/rounds/4/participation",
]


def test_every_page_in_every_setting_has_no_serious_accessibility_violation(browser, world):
    axe = AxeLog()
    short_of: dict[str, list] = {}  # what falls short of the elder mode's figures, by page
    visitors: dict[tuple[str | None, Setting], Visitor] = {}
    try:
        for whom, paths in pages_for(world).items():
            for setting in SETTINGS:
                visitor = Visitor(browser, world.base, whom, setting, axe, short_of)
                visitors[(whom, setting)] = visitor
                for path in paths:
                    visitor.check(path)
        decide_demo_round(world.base, "居民排序第一，保留了树荫和老人们每次会上都提到的座椅。")
        for setting in SETTINGS:
            for path in DECIDED_PAGES:
                visitors[(MODERATOR, setting)].check(path, ", decided")
    finally:
        for visitor in visitors.values():
            visitor.close()
        print(axe.report())
        print(f"elder mode: {len(short_of)} pages measured, {sum(map(len, short_of.values()))} shortfalls")
        for name, found in short_of.items():
            if found:
                print(f"  {name}: {len(found)}", *sorted(set(found))[:8], sep="\n    ")
    assert len(axe.pages) == 4 * (sum(len(p) for p in pages_for(world).values()) + len(DECIDED_PAGES))
    assert axe.blocking() == {}, axe.blocking()
    # Half the settings are in the elder mode: each of their pages was measured.
    assert len(short_of) == len(axe.pages) // 2
    assert {name: found for name, found in short_of.items() if found} == {}
