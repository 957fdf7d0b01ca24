"""In real browsers: a design team of three draws one proposal's next version together, live.

Three designers, each in a browser context of their own (one of them on a phone), open the
proposal's shared draft. They draw different features at once and all three maps come to
the same layout; two move the same bench at once (one of them offline for that moment) and
both are told whose move replaced whose, and the version put back reaches all three; one
goes offline, draws, closes the page and comes back, and the features drawn offline arrive;
a resident of the community who is not in the team is refused."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
import requests

from tests.e2e.axe import BLOCKING, axe_violations
from tests.e2e.conftest import new_context, wait_until
from tests.e2e.test_browser_editor import PASSWORD, api_session, at, click_map, log_in, open_proposing_round

pytestmark = pytest.mark.e2e

CHEN = "designer1@demo.jiayuan.cn"
LIN = "designer2@demo.jiayuan.cn"
WU = "codesign-wu@example.org"  # signed up here, made a designer by the moderator
RESIDENT = "resident2@demo.jiayuan.cn"  # a member of the community, not in the team
BENCH = "bench-by-the-wall"

# The layout as each page holds it: every feature's content, by id (jiayuanEditor.canon).
LAYOUT = (
    "JSON.stringify(window.jiayuanEditor.order().slice().sort()"
    ".map(id => [id, window.jiayuanEditor.canon(id)]))"
)
SETTLED = "window.jiayuanCodesign && window.jiayuanCodesign.joined() && window.jiayuanCodesign.queued() === 0"


def user_id(session: requests.Session, base: str) -> int:
    return session.get(base + "/api/v1/auth/me", timeout=10).json()["user"]["id"]


@pytest.fixture(scope="module")
def team_proposal(live_server) -> dict:
    """A proposal of a team of three (Chen, Lin and Wu) in a new round taking proposals on the
    demo half court, starting with the site's trees and one bench."""
    base = live_server.url
    moderator = api_session(base, "moderator@demo.jiayuan.cn")
    community = moderator.get(base + "/api/v1/communities", timeout=10).json()["communities"][0]
    round_ = open_proposing_round(moderator, base, "共同设计测试 Co-design test", budget_cny=180_000)
    response = requests.post(
        base + "/api/v1/auth/signup",
        json={"email": WU, "password": PASSWORD, "name": "吴桐 Wu Tong"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    wu = response.json()["user"]
    response = moderator.post(
        f"{base}/api/v1/communities/{community['id']}/members",
        json={"user_id": wu["id"], "role": "designer"},
        timeout=10,
    )
    assert response.status_code == 201, response.text

    chen = api_session(base, CHEN)
    lin_id = user_id(api_session(base, LIN), base)
    found = chen.get(f"{base}/api/v1/sites/{round_['site_id']}", timeout=10).json()
    trees = [
        f
        for f in found["properties"]["constraints"]["features"]
        if f["properties"]["kind"] == "tree_existing"
    ]
    lat, lon = at(12, 21.5)
    bench = {
        "type": "Feature",
        "id": BENCH,
        "properties": {"id": BENCH, "kind": "bench"},
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
    }
    response = chen.post(
        f"{base}/api/v1/rounds/{round_['id']}/proposals",
        json={
            "title": "三人共绘 Drawn by three",
            "layout": {"type": "FeatureCollection", "features": [*trees, bench]},
            "co_designers": [lin_id, wu["id"]],
        },
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return response.json()


class Designer:
    """A team member's browser context and the editor page in it."""

    def __init__(self, browser, base: str, email: str, proposal_id: int, **options):
        self.context = new_context(browser, **{"viewport": {"width": 1280, "height": 800}, **options})
        self.base, self.email, self.proposal_id = base, email, proposal_id
        self.errors: list[str] = []
        self.page = self.new_page()
        log_in(self.page, base, email)
        self.open()

    def new_page(self):
        page = self.context.new_page()
        page.set_default_timeout(10_000)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        return page

    def open(self) -> None:
        self.page.goto(f"{self.base}/proposals/{self.proposal_id}/edit")
        wait_until(self.page, "window.jiayuanCodesign !== undefined && window.jiayuanCodesign.joined()")
        self.page.evaluate(
            "document.querySelector('.editor-map').scrollIntoView({block: 'center', behavior: 'instant'})"
        )

    def ids(self) -> set[str]:
        return set(self.page.evaluate("Object.keys(window.jiayuanEditor.layers)"))

    def layout(self) -> str:
        return self.page.evaluate(LAYOUT)

    def point_of(self, feature_id: str) -> list[float]:
        return self.page.evaluate(
            f"window.jiayuanEditor.featureOf({json.dumps(feature_id)}).geometry.coordinates"
        )

    def draw_bench(self, x: float, y: float) -> str:
        """Draw a bench; its id (the editor selects what it just drew)."""
        before = self.ids()
        self.page.click("[data-testid=kind-bench]")
        click_map(self.page, x, y)
        wait_until(
            self.page, f"![null, ...{json.dumps(sorted(before))}].includes(window.jiayuanEditor.selected())"
        )
        self.page.click("#draw-stop")
        return self.page.evaluate("window.jiayuanEditor.selected()")

    def select(self, feature_id: str) -> None:
        self.page.click(f'#feature-list [data-feature-id="{feature_id}"] [data-action=select]')
        self.page.wait_for_selector("[data-testid=selected-panel]:not([hidden])")

    def nudge(self, direction: str) -> None:
        self.page.click(f"[data-nudge={direction}]")

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def team(browser, live_server, team_proposal) -> Iterator[dict[str, Designer]]:
    base, proposal_id = live_server.url, team_proposal["id"]
    people: dict[str, Designer] = {}
    try:
        people["chen"] = Designer(browser, base, CHEN, proposal_id)
        people["lin"] = Designer(browser, base, LIN, proposal_id)
        # Wu draws on a phone.
        people["wu"] = Designer(
            browser, base, WU, proposal_id, viewport={"width": 375, "height": 760}, has_touch=True
        )
        yield people
        for person in people.values():
            assert person.errors == [], (person.email, person.errors)
    finally:
        for person in people.values():
            person.close()


def converged(team: dict[str, Designer], timeout: float = 15) -> str:
    """Wait until every page has sent all it drew and holds the same layout; that layout."""
    deadline = time.monotonic() + timeout
    while True:
        settled = all(p.page.evaluate(SETTLED) for p in team.values())
        layouts = {name: p.layout() for name, p in team.items()}
        if settled and len(set(layouts.values())) == 1:
            return next(iter(layouts.values()))
        if time.monotonic() > deadline:
            raise AssertionError(f"the maps never converged: {layouts}")
        time.sleep(0.1)


def test_three_designers_draw_together_and_their_maps_converge(team, tmp_path):
    chen, lin, wu = team["chen"], team["lin"], team["wu"]
    start = converged(team)
    assert BENCH in {feature_id for feature_id, _content in json.loads(start)}
    # Everyone sees who is here, themselves included.
    for person in team.values():
        wait_until(person.page, "document.querySelectorAll('#codesign-people li').length === 3")
    # The phone's editor still fits its screen.
    assert wu.page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0

    # All three draw a bench of their own at the same time.
    for person in team.values():
        person.page.click("[data-testid=kind-bench]")
    drawn = {}
    for (name, person), x in zip(team.items(), (6, 9, 15), strict=True):
        click_map(person.page, x, 20)
        wait_until(person.page, "window.jiayuanEditor.selected() !== null")  # a new one is selected
        drawn[name] = person.page.evaluate("window.jiayuanEditor.selected()")
    for person in team.values():
        person.page.click("#draw-stop")
    layout = {feature_id for feature_id, _content in json.loads(converged(team))}
    assert set(drawn.values()) <= layout
    assert len(set(drawn.values())) == 3
    # The findings and metrics follow the shared draft: four benches' seats on every page.
    for person in team.values():
        person.page.wait_for_selector("[data-testid=findings][data-state=done]")

    # Chen selects his bench and points at the map: Lin sees both, in Chen's colour, with his name.
    chen.select(drawn["chen"])
    outline = f'[data-presence=selection][data-feature-id="{drawn["chen"]}"]'
    lin.page.wait_for_selector(outline)
    box = chen.page.locator(".editor-map .folium-map").bounding_box()
    chen.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    chen.page.mouse.move(box["x"] + box["width"] / 2 + 20, box["y"] + box["height"] / 2 + 10, steps=3)
    label = lin.page.locator(".presence-cursor-label").first
    label.wait_for()
    assert "陈明" in label.inner_text()
    assert "陈明" in lin.page.inner_text("#codesign-people")

    # Lin and Wu move the same bench at once: Wu's move, drawn while the network was away,
    # reaches the server after Lin's, and replaces it.
    wu.context.set_offline(True)
    wait_until(wu.page, "document.getElementById('codesign').dataset.state === 'offline'")
    wu.select(BENCH)
    wu.nudge("south")
    wait_until(wu.page, "window.jiayuanCodesign.pending() === 1")
    lin.select(BENCH)
    lin.nudge("north")
    lin.nudge("north")
    wait_until(lin.page, "window.jiayuanCodesign.queued() === 0")
    lins_bench = lin.point_of(BENCH)
    wu.context.set_offline(False)
    for person in team.values():
        person.page.wait_for_selector("[data-testid=overwrite-notice]")
    # "Wu's move of the bench replaced yours: restore yours?" and "Your move ... replaced Lin's";
    # Chen, who may restore it too, reads "Wu's move of the bench replaced Lin's".
    assert "吴桐" in lin.page.inner_text("[data-testid=overwrite-notice]")
    assert "林晓" in wu.page.inner_text("[data-testid=overwrite-notice]")
    told_chen = chen.page.inner_text("[data-testid=overwrite-notice]")
    assert told_chen.index("吴桐") < told_chen.index("林晓")
    for person in team.values():
        assert "座椅的移动" in person.page.inner_text("[data-testid=overwrite-notice]")
    converged(team)
    assert chen.point_of(BENCH) == wu.point_of(BENCH) != lins_bench
    # With teammates, pointers and notices on it, the editor stays accessible (desktop and phone).
    for person in (lin, wu):
        person.page.wait_for_selector("[data-testid=findings][data-state=done]")  # (not dimmed, checking)
        serious = [v for v in axe_violations(person.page) if v["impact"] in BLOCKING]
        assert serious == [], (person.email, serious)
    # A teammate's change has the findings checked again; read meanwhile, they stay legible.
    lin.page.evaluate("document.querySelector('[data-testid=findings]').dataset.state = 'checking'")
    serious = [v for v in axe_violations(lin.page) if v["impact"] in BLOCKING]
    assert serious == [], serious
    # Lin restores hers: every map shows it, and the notices go on both sides.
    lin.page.click("[data-testid=overwrite-notice] [data-action=restore]")
    for person in team.values():
        person.page.wait_for_selector("[data-testid=overwrite-notice]", state="detached")
    converged(team)
    for person in team.values():
        assert person.point_of(BENCH) == lins_bench

    # Undo takes back one's own latest change: Chen's bench goes from every map.
    chen.page.click("[data-testid=draft-undo]")
    for person in team.values():
        wait_until(person.page, f"!({json.dumps(drawn['chen'])} in window.jiayuanEditor.layers)")
    converged(team)

    # Wu goes offline, draws two benches, closes the page; back online, they arrive.
    wu.context.set_offline(True)
    wait_until(wu.page, "document.getElementById('codesign').dataset.state === 'offline'")
    offline = [wu.draw_bench(18, 23), wu.draw_bench(20, 23)]
    wait_until(wu.page, "window.jiayuanCodesign.pending() === 2")
    queued = wu.page.evaluate(f"localStorage.getItem('jiayuan-draft:{wu.proposal_id}:' + {wu_user(wu)})")
    assert [item["feature_id"] for item in json.loads(queued)] == offline
    wu.page.close()
    for person in (chen, lin):
        assert not set(offline) & person.ids()
    wu.context.set_offline(False)
    wu.page = wu.new_page()
    wu.open()
    for person in team.values():
        wait_until(person.page, f"{json.dumps(offline)}.every(id => id in window.jiayuanEditor.layers)")
    converged(team)

    # A change the server refuses (a planter whose outline crosses itself, from a file) says
    # why, and the map goes back to the draft as the server holds it.
    corners = [at(2, 2), at(8, 6), at(8, 2), at(2, 6), at(2, 2)]
    planter = {
        "type": "Feature",
        "id": "crossed-planter",
        "properties": {"kind": "planter"},
        "geometry": {"type": "Polygon", "coordinates": [[[lon, lat] for lat, lon in corners]]},
    }
    file = tmp_path / "planter.geojson"
    file.write_text(json.dumps({"type": "FeatureCollection", "features": [planter]}))
    lin.page.set_input_files("[data-testid=import-file]", str(file))
    lin.page.click("[data-import=merge]")
    refused = lin.page.locator("[data-testid=codesign-notice][data-kind=refused]")
    refused.wait_for()
    wait_until(lin.page, "!('crossed-planter' in window.jiayuanEditor.layers)")
    assert "crossed-planter" not in converged(team)

    # Chen submits the draft: it becomes version 2; his teammates are told.
    chen.page.fill("#p-note", "三人一起画的 Drawn by three")
    chen.page.click("[data-testid=submit]")
    chen.page.wait_for_url(f"**/proposals/{chen.proposal_id}")
    submitted = lin.page.locator("[data-testid=codesign-notice][data-kind=submitted]")
    submitted.wait_for()
    assert "2" in submitted.inner_text() and "陈明" in submitted.inner_text()


def wu_user(wu: Designer) -> int:
    return wu.page.evaluate("JSON.parse(document.getElementById('editor-data').textContent).live.userId")


def test_a_resident_outside_the_team_is_refused(page, live_server, team_proposal):
    base = live_server.url
    log_in(page, base, RESIDENT)
    response = page.goto(f"{base}/proposals/{team_proposal['id']}/edit")
    assert response.status == 403
    assert "设计" in page.inner_text("main")
    assert page.evaluate("window.jiayuanCodesign === undefined")
