"""axe-core over every page of the product, with data in it, in both languages, on a desktop
and a phone, with normal and large text.

The demo is brought to what a neighbourhood really holds: a hearing with many comments
(one carrying a long link), a round in each phase up to a decided one. Every page is
checked in four settings that together cover every pair of the three choices (language,
screen, text size): Chinese on a desktop with normal text, Chinese on a phone with large
text, English on a desktop with large text, English on a phone with normal text. No serious
or critical violation anywhere; the count per page is printed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
import socketio

from tests.e2e.axe import AxeLog
from tests.e2e.conftest import LiveServer, free_port, new_context, prepare_database, server_environment
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
    large_text: bool

    @property
    def viewport(self) -> dict:
        return PHONE if self.screen == "phone" else DESKTOP

    @property
    def name(self) -> str:
        return f"{self.language} {self.screen} {'large' if self.large_text else 'normal'}"


SETTINGS = [
    Setting("zh-CN", "desktop", False),
    Setting("zh-CN", "phone", True),
    Setting("en", "desktop", True),
    Setting("en", "phone", False),
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

    def __init__(self, browser, base: str, email: str | None, setting: Setting, axe: AxeLog):
        self.context = new_context(browser, viewport=setting.viewport, locale=setting.language)
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.base, self.setting, self.axe = base, setting, axe
        if email is not None:
            self.page.goto(base + "/login")
            self.page.fill("input[name=email]", email)
            self.page.fill("input[name=password]", PASSWORD)
            self.page.click("form button[type=submit].primary")
            self.page.wait_for_url(base + "/")
        else:
            self.page.goto(base + "/login")
        self.page.click(f"[data-testid=language-{setting.language}]")
        self.page.wait_for_load_state("load")
        if (
            self.page.get_attribute("[data-testid=large-text]", "aria-pressed") == "true"
        ) != setting.large_text:
            self.page.click("[data-testid=large-text]")
            self.page.wait_for_load_state("load")

    def check(self, path: str, note: str = "") -> None:
        response = self.page.goto(self.base + path)
        assert response is not None and response.status < 400, (path, response and response.status)
        self.axe.check(self.page, f"{path}{note} ({self.setting.name})")

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
    visitors: dict[tuple[str | None, Setting], Visitor] = {}
    try:
        for whom, paths in pages_for(world).items():
            for setting in SETTINGS:
                visitor = Visitor(browser, world.base, whom, setting, axe)
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
    assert len(axe.pages) == 4 * (sum(len(p) for p in pages_for(world).values()) + len(DECIDED_PAGES))
    assert axe.blocking() == {}, axe.blocking()
