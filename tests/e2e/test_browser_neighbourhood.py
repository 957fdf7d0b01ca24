"""A neighbourhood that runs itself, in a real browser, from an empty database.

Only the branch secretary exists, made at the command line. Everything else is done
through the pages: the secretary appoints a moderator; the moderator draws a site with a
kept tree and its context, starts a round, lets in two neighbours who asked to join from a
hearing's QR code and registers one without a phone; a designer draws and submits two
proposals; residents pin a need, comment in the hearing and rank; the ballots close; the
secretary decides; the round page then leads with the chosen plan. Every page of the story
is checked with axe-core: no serious or critical violation.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.e2e.axe import AxeLog
from tests.e2e.conftest import ROOT, LiveServer, free_port, new_context, server_environment, wait_until

pytestmark = pytest.mark.e2e

COMMUNITY = "春晖社区"
PASSWORD = "a long enough password"
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 375, "height": 760}
SECRETARY = "secretary@chunhui.example"


def into_view(page, selector: str) -> None:
    page.evaluate(
        "s => document.querySelector(s).scrollIntoView({block: 'center', behavior: 'instant'})", selector
    )


def flask(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, env=env, check=True, capture_output=True)


@pytest.fixture(scope="module")
def empty_server(tmp_path_factory) -> Iterator[LiveServer]:
    """The app on a new SQLite file holding one community and its branch secretary, nothing else."""
    folder = tmp_path_factory.mktemp("neighbourhood")
    env = server_environment(f"sqlite:///{folder / 'jiayuan.sqlite3'}", free_port())
    flask(env, "db", "upgrade")
    flask(env, "communities", "create", COMMUNITY, "--district", "虹口区")
    flask(env, "users", "create", SECRETARY, "--name", "周书记", "--password", PASSWORD)
    flask(env, "users", "grant", SECRETARY, COMMUNITY, "secretary")
    server = LiveServer(env, folder / "server.log")
    yield server
    server.stop()


class Person:
    """Someone with their own browser (cookies of their own), on a desktop or a phone."""

    def __init__(self, browser, base: str, email: str, viewport: dict, axe: AxeLog):
        self.context = new_context(browser, viewport=viewport)
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.base, self.email, self.axe = base, email, axe

    def go(self, path: str) -> None:
        self.page.goto(self.base + path)

    def check(self, name: str) -> None:
        self.axe.check(self.page, name)

    def log_in(self) -> None:
        self.go("/login")
        self.page.fill("input[name=email]", self.email)
        self.page.fill("input[name=password]", PASSWORD)
        self.page.click("form button[type=submit].primary")
        self.page.wait_for_url(self.base + "/")

    def fill_signup(self, name: str) -> None:
        self.page.fill("input[name=name]", name)
        self.page.fill("input[name=email]", self.email)
        self.page.fill("input[name=password]", PASSWORD)
        self.page.fill("input[name=confirm]", PASSWORD)
        self.page.click("form button[type=submit].primary")

    def flashes(self) -> str:
        return " ".join(self.page.locator("[data-testid=flash]").all_inner_texts())

    def close(self) -> None:
        self.context.close()


def move_round_on(person: Person, target: str, reason: str = "") -> None:
    """The moderator moves the round on from its page: choose, read what it does, confirm."""
    page = person.page
    page.check(f"#phase-form input[name=phase][value={target}]")
    if reason:
        page.fill("#phase-reason", reason)
    page.click("[data-testid=move-phase]")
    confirm = page.locator("[data-testid=phase-confirm]")
    confirm.wait_for()
    assert confirm.inner_text().strip()  # it says what the move does before it is made
    with page.expect_navigation():
        page.click("[data-testid=phase-confirm-yes]")
    assert page.get_attribute("[data-testid=round-phase]", "class").endswith(f"phase-{target}")


# --- drawing on a plain Leaflet map (the new site) and on the editor's folium map ----------------

METRES_PER_DEGREE = 111_320.0


def site_point(page, east: float, north: float) -> tuple[float, float]:
    """Screen position of a point ``east``/``north`` metres from the new-site map's starting centre."""
    point = page.evaluate(
        """([east, north, perDegree]) => {
            const map = window.jiayuanSiteEditor.map;
            const origin = window.jiayuanSiteOrigin || (window.jiayuanSiteOrigin = map.getCenter());
            const at = L.latLng(origin.lat + north / perDegree,
                                origin.lng + east / (perDegree * Math.cos(origin.lat * Math.PI / 180)));
            const p = map.latLngToContainerPoint(at);
            const box = map.getContainer().getBoundingClientRect();
            return {x: box.left + p.x, y: box.top + p.y};
        }""",
        [east, north, METRES_PER_DEGREE],
    )
    return point["x"], point["y"]


def draw_on_site_map(page, kind: str, corners: list[tuple[float, float]], *, close: bool) -> None:
    page.click(f"[data-testid=draw-{kind}]")
    for east, north in corners:
        page.mouse.click(*site_point(page, east, north))
    if close:
        page.mouse.click(*site_point(page, *corners[0]))
    page.locator(f"[data-testid=drawn] li[data-kind={kind}]").last.wait_for()


def editor_point(page, east_share: float, north_share: float) -> tuple[float, float]:
    """Screen position of a point given as shares of the site's extent from its south-west."""
    point = page.evaluate(
        """([e, n]) => {
            const map = window.jiayuanEditor.map;
            const entry = Object.values(window.jiayuanMaps)[0];
            const b = entry.groups.site.getBounds();
            const at = L.latLng(b.getSouth() + n * (b.getNorth() - b.getSouth()),
                                b.getWest() + e * (b.getEast() - b.getWest()));
            const p = map.latLngToContainerPoint(at);
            let box = map.getContainer().getBoundingClientRect();
            if (box.top + p.y < 40 || box.top + p.y > window.innerHeight - 40) {  // bring it into view
                window.scrollBy(0, box.top + p.y - window.innerHeight / 2);
                box = map.getContainer().getBoundingClientRect();
            }
            return {x: box.left + p.x, y: box.top + p.y};
        }""",
        [east_share, north_share],
    )
    return point["x"], point["y"]


def submit_proposal(designer: Person, round_id: int, title: str, shapes: list[tuple[str, list]]) -> None:
    page = designer.page
    designer.go(f"/rounds/{round_id}")
    page.click("[data-testid=draw-now]")
    page.wait_for_url(re.compile(r".*/proposals/new$"))
    wait_until(page, "window.jiayuanEditor !== undefined")
    page.wait_for_selector("[data-testid=findings][data-state=done]")
    into_view(page, ".editor-map")
    for kind, points in shapes:
        page.click(f"[data-testid=kind-{kind}]")
        for share in points:
            page.mouse.click(*editor_point(page, *share))
        page.wait_for_selector(f'path[data-feature-id="{kind}-1"]')
        if page.locator("#draw-stop").is_visible():
            page.click("#draw-stop")
    page.wait_for_selector("[data-testid=findings][data-state=done]")
    assert page.get_attribute("[data-testid=findings]", "data-valid") == "true", page.inner_text(
        "[data-testid=findings]"
    )
    designer.check("the editor")
    page.fill("#p-title", title)
    page.fill("#p-summary", f"{title}: drawn in the browser.")
    page.click("[data-testid=submit]")
    page.wait_for_url(re.compile(r".*/proposals/\d+$"))
    assert page.inner_text("[data-testid=proposal-title]") == title


# --- the story ---------------------------------------------------------------------------------


def test_a_neighbourhood_reaches_a_decided_round_through_its_pages_alone(browser, empty_server, tmp_path):
    base = empty_server.url
    screenshots = tmp_path
    axe = AxeLog()
    people: list[Person] = []

    def person(email: str, viewport: dict = DESKTOP) -> Person:
        people.append(Person(browser, base, email, viewport, axe))
        return people[-1]

    try:
        run_the_story(base, axe, person)
    except Exception:
        for number, someone in enumerate(people):  # where each one was when the story broke
            print(someone.email, someone.page.url, someone.errors)
            someone.page.screenshot(path=str(screenshots / f"{number}.png"))
        print("screenshots in", screenshots)
        raise
    finally:
        print(axe.report())
        for someone in people:
            someone.close()
    assert axe.blocking() == {}, axe.blocking()
    assert [e for someone in people for e in someone.errors] == []


def run_the_story(base: str, axe: AxeLog, person) -> None:
    # --- the secretary appoints a moderator ------------------------------------------------
    wang = person("wang@chunhui.example")
    wang.go("/")
    wang.check("home, a visitor")
    wang.go("/signup")
    wang.check("sign-up")
    wang.fill_signup("王副主任")
    wang.page.wait_for_url(base + "/")
    wang.page.click("[data-testid=ask-to-join] summary")
    wang.page.fill("input[name=building]", "3号楼")
    wang.page.click("[data-testid=send-join]")
    wang.page.locator("[data-testid=join-waiting]").wait_for()
    wang.check("home, waiting to join")

    zhou = person(SECRETARY)
    zhou.go("/login")
    zhou.check("login")
    zhou.log_in()
    zhou.page.click("[data-testid=members-link]")
    request = zhou.page.locator("[data-testid=join-request]", has_text="王副主任")
    assert "3号楼" in request.inner_text()
    zhou.check("members, with a request to join")
    request.locator("[data-testid=approve]").click()
    zhou.page.wait_for_load_state()
    wang_row = zhou.page.locator("[data-testid=member]", has_text="王副主任")
    wang_row.locator("summary").click()
    wang_row.locator("[data-testid=grant-role]").select_option("moderator")
    wang_row.locator("[data-testid=grant]").click()
    zhou.page.wait_for_load_state()
    wang_row = zhou.page.locator("[data-testid=member]", has_text="王副主任")
    assert wang_row.locator(".tag[data-role=moderator]").count() == 1
    assert zhou.page.locator("[data-testid=role-record] [data-action='member.role_granted']").count() >= 2
    zhou.check("members, after appointing")

    # --- a designer asks to join; the new moderator lets her in ----------------------------
    chen = person("chen@chunhui.example", PHONE)
    chen.go("/signup")
    chen.fill_signup("陈设计")
    chen.page.wait_for_url(base + "/")
    chen.page.click("[data-testid=ask-to-join] summary")
    chen.page.fill("input[name=message]", "我是建筑师，想画方案")
    chen.page.click("[data-testid=send-join]")
    chen.page.locator("[data-testid=join-waiting]").wait_for()

    wang.go("/")
    assert COMMUNITY in wang.flashes()  # told of the answer on the next visit
    wang.page.click("[data-testid=members-link]")
    request = wang.page.locator("[data-testid=join-request]", has_text="陈设计")
    request.locator("select").select_option("designer")
    request.locator("[data-testid=approve]").click()
    wang.page.wait_for_load_state()
    chen_row = wang.page.locator("[data-testid=member]", has_text="陈设计")
    assert chen_row.locator(".tag[data-role=designer]").count() == 1

    # --- the moderator draws the site: boundary, a kept tree, the context around it ---------
    wang.go("/")
    wang.page.click("[data-testid=new-site-link]")
    wang.page.locator("#site-map.leaflet-container").wait_for()
    wang.page.fill("[data-testid=site-name]", "8号楼前庭院")
    wang.page.select_option("[data-testid=site-kind]", "courtyard")
    into_view(wang.page, "#site-map")
    draw_on_site_map(wang.page, "boundary", [(-15, -12), (15, -12), (15, 12), (-15, 12)], close=True)
    draw_on_site_map(wang.page, "tree_existing", [(-10, 8)], close=False)
    draw_on_site_map(wang.page, "building_face", [(-15, 14), (15, 14), (15, 22), (-15, 22)], close=True)
    draw_on_site_map(wang.page, "entrance", [(0, -12)], close=False)
    tree = wang.page.locator("[data-testid=drawn] li[data-kind=tree_existing]")
    assert tree.locator("input[type=checkbox]").is_checked()  # a tree drawn here is kept
    tree.locator("input[aria-label]").fill("老香樟")
    wang.check("drawing a new site")
    with wang.page.expect_navigation():
        wang.page.click("[data-testid=save-site]")
    assert re.search(r"/sites/\d+$", wang.page.url), wang.page.inner_text("[data-testid=site-findings]")
    wang.check("the site")

    # --- a round on it, moved on to needs ----------------------------------------------------
    wang.page.click("[data-testid=new-round-link]")
    wang.check("starting a round")
    wang.page.fill("input[name=title]", "庭院改造")
    wang.page.fill("textarea[name=brief]", "这片庭院怎么改？")
    wang.page.fill("input[name=budget_cny]", "120000")
    with wang.page.expect_navigation():
        wang.page.click("[data-testid=start-round]")
    round_id = int(re.search(r"/rounds/(\d+)$", wang.page.url).group(1))
    wang.check("a round in draft, for its moderator")
    move_round_on(wang, "asking")
    move_round_on(wang, "needs")

    # --- a need pinned (the designer lives here too) -----------------------------------------
    chen.go("/")
    assert COMMUNITY in chen.flashes()
    chen.go(f"/rounds/{round_id}")
    chen.page.locator("[data-testid=pin-panel]").wait_for()
    into_view(chen.page, "[data-testid=round-map]")
    map_box = chen.page.locator("[data-testid=round-map] .folium-map").bounding_box()
    x, y = chen.page.evaluate(
        """() => {
          const entry = Object.values(window.jiayuanMaps)[0];
          const b = entry.groups.site.getBounds();
          const p = entry.map.latLngToContainerPoint(b.getCenter());
          return [p.x, p.y];
        }"""
    )
    chen.page.mouse.click(map_box["x"] + x, map_box["y"] + y)
    chen.page.select_option("#need-category", "shade")
    chen.page.fill("#need-text", "夏天需要遮阴的座位")
    chen.page.click("[data-testid=pin-need]")
    chen.page.locator("[data-testid=need-message][data-kind=ok]").wait_for()
    chen.check("the round in needs, on a phone")

    # --- two proposals drawn and submitted -----------------------------------------------------
    wang.go(f"/rounds/{round_id}")
    move_round_on(wang, "proposing")
    chen_desk = person("chen@chunhui.example")
    chen_desk.log_in()
    submit_proposal(chen_desk, round_id, "草坪方案", [("lawn", [(0.45, 0.2), (0.9, 0.6)])])
    chen_desk.check("a proposal")
    submit_proposal(
        chen_desk,
        round_id,
        "花坛方案",
        [("planter", [(0.55, 0.25), (0.8, 0.45)])],
    )

    # --- the hearing, and two neighbours who join from its QR code ------------------------------
    wang.go(f"/rounds/{round_id}")
    move_round_on(wang, "hearing")
    wang.page.click("[data-testid=hearings-link]")
    wang.check("the round's hearings")
    wang.page.click("[data-testid=schedule-link]")
    wang.page.fill("[name=title]", "庭院方案听证会")
    wang.page.fill("[name=starts_at]", "2026-12-05T19:00")
    wang.page.fill("[name=place]", "8号楼共享客厅")
    wang.check("scheduling a hearing")
    wang.page.click("[data-testid=schedule-submit]")
    wang.page.wait_for_url(re.compile(r".*/hearings/\d+/console$"))
    hearing_id = int(wang.page.url.rsplit("/", 2)[-2])
    wang.page.wait_for_selector("[data-testid=connection][data-state=connected]")
    code = wang.page.inner_text("[data-testid=join-code]").strip()
    wang.page.click("[data-testid=slot-start]")
    wang.page.wait_for_selector("[data-testid=slot][data-state=running]")
    wang.check("the hearing console")

    neighbours = {}
    for name, email in (("李阿姨", "li@chunhui.example"), ("赵同学", "zhao@chunhui.example")):
        neighbour = person(email, PHONE)
        neighbour.go(f"/j/{code}")  # what the QR code holds
        neighbour.page.wait_for_url(re.compile(r".*/login\?next=.*"))
        neighbour.page.click("[data-testid=signup-link]")
        neighbour.fill_signup(name)
        neighbour.page.wait_for_url(re.compile(rf".*/hearings/{hearing_id}$"))
        watching = neighbour.page.locator("[data-testid=watching]")
        assert "居委会" in watching.inner_text()  # their request is filed and waiting
        neighbours[name] = neighbour
    neighbours["李阿姨"].check("a hearing, watching on a phone")

    wang.go(f"/communities/{_community_id(wang)}/members")
    for name in neighbours:
        request = wang.page.locator("[data-testid=join-request]", has_text=name)
        assert request.locator(".tag").count() == 1  # "from a hearing"
        request.locator("[data-testid=approve]").click()
        wang.page.wait_for_load_state()
    wang.page.fill("#offline-name", "张奶奶")
    wang.page.fill("#offline-building", "8号楼")
    wang.page.select_option("#offline-age", "80_plus")
    wang.page.check("#offline-consent")
    wang.page.click("[data-testid=register-offline]")
    wang.page.wait_for_load_state()
    assert wang.page.locator("[data-testid=member]", has_text="张奶奶").count() == 1
    wang.check("members, with neighbours let in")

    li = neighbours["李阿姨"]
    li.go(f"/hearings/{hearing_id}")
    li.page.wait_for_selector("[data-testid=connection][data-state=connected]")
    li.page.fill("[data-testid=compose-body]", "草坪旁边能不能多放几张长椅？")
    li.page.click("[data-testid=compose-send]")
    li.page.locator("[data-testid=thread] li", has_text="多放几张长椅").first.wait_for()
    li.check("a hearing, taking part on a phone")
    wang.go(f"/hearings/{hearing_id}/console")
    wang.page.locator("[data-testid=thread] li", has_text="多放几张长椅").first.wait_for()

    # --- ranking: two neighbours online, one on paper; the ballots close ------------------------
    wang.go(f"/rounds/{round_id}")
    move_round_on(wang, "deciding")
    for name, neighbour in neighbours.items():
        neighbour.go(f"/rounds/{round_id}")
        neighbour.page.click("[data-testid=rank-now]")
        neighbour.page.wait_for_url(re.compile(rf".*/rounds/{round_id}/ballot$"))
        if name == "李阿姨":
            neighbour.check("the ballot, on a phone")
        ranking = neighbour.page.locator("#ranking > li")
        if "草坪方案" not in ranking.first.inner_text():  # the lawn first, with the arrow buttons
            neighbour.page.locator("#ranking > li", has_text="草坪方案").locator("[data-move=up]").click()
        assert "草坪方案" in ranking.first.inner_text()
        neighbour.page.click("[data-testid=submit-ballot]")
        neighbour.page.locator("[data-testid=ballot-message][data-kind=ok]").wait_for()

    wang.go(f"/rounds/{round_id}")
    wang.page.click("[data-testid=paper-link]")
    paper = wang.page.locator("[data-testid=paper-ballot]")
    paper.locator("select").first.select_option(label="草坪方案")
    wang.check("paper entries")
    paper.locator("button[type=submit]").click()
    wang.page.wait_for_load_state()
    assert "张奶奶" in wang.flashes()
    wang.go(f"/rounds/{round_id}/tally")
    assert wang.page.inner_text("[data-testid=tally-ballots]").strip() == "3"
    wang.page.click("[data-testid=close-ballots]")
    # asked in the page, not in a pop-up window
    with wang.page.expect_navigation():
        wang.page.click("[data-testid=confirm-yes]")
    wang.page.locator("[data-testid=tally-summary]").wait_for()
    wang.check("the count, once the ballots closed")

    # a ballot link kept from before explains rather than refusing
    neighbours["赵同学"].go(f"/rounds/{round_id}/ballot")
    neighbours["赵同学"].page.locator("[data-testid=ballot-closed]").wait_for()
    neighbours["赵同学"].check("a stale ballot link")

    # --- the secretary decides; the round page leads with the plan ------------------------------
    zhou.go(f"/rounds/{round_id}/decision")
    zhou.page.locator("[data-testid=decide-form]").wait_for()
    zhou.check("deciding")
    zhou.page.fill(
        "[data-testid=rationale-input]",
        "多数居民把草坪方案排在第一；它保留了老香樟，预算之内，也留出了消防和出入口的通道。",
    )
    zhou.page.click("[data-testid=decide-submit]")
    zhou.page.locator("[data-testid=notice-period]").wait_for()
    zhou.check("the decision")

    li.go(f"/rounds/{round_id}")
    lead = li.page.locator("[data-testid=round-now]")
    assert lead.get_attribute("data-lead") == "plan"
    assert li.page.inner_text("[data-testid=now-plan]") == "草坪方案"
    assert "老香樟" in li.page.inner_text("[data-testid=now-rationale]")
    assert li.page.locator("[data-testid=object-now]").is_visible()
    first_card = li.page.evaluate(
        "[...document.querySelectorAll('main .card, main section')].find(e => e.offsetParent)?.dataset.testid"
    )
    assert first_card in ("round-head", "round-now")
    above_map = li.page.evaluate(
        """() => document.querySelector('[data-testid=round-now]').getBoundingClientRect().top
                < document.querySelector('[data-testid=round-map]').getBoundingClientRect().top"""
    )
    assert above_map
    li.check("the round in its notice period, on a phone")
    li.go(f"/rounds/{round_id}/notice")
    li.check("the decision notice")
    li.go("/")
    assert "草坪方案" in li.page.inner_text("[data-testid=round-lead]")
    li.check("home, a member")


def _community_id(someone: Person) -> int:
    someone.go("/")
    href = someone.page.get_attribute("[data-testid=members-link]", "href")
    return int(re.search(r"/communities/(\d+)/members", href).group(1))
