"""In a real browser: a demo designer draws a half court, benches and a planter, sees a finding
appear and go as a bench leaves the site and comes back, and submits the proposal."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
import requests
from playwright.sync_api import expect

from deliberation import demo
from tests.e2e.conftest import new_context, wait_until

pytestmark = pytest.mark.e2e

HALF_COURT_SITE = "12号楼旁半场"
PASSWORD = demo.DEMO_PASSWORD


def other_hosts(urls: list[str], base: str) -> list[str]:
    app = urlparse(base).netloc
    return [
        u for u in urls if urlparse(u).scheme in ("http", "https", "ws", "wss") and urlparse(u).netloc != app
    ]


def api_session(base: str, email: str) -> requests.Session:
    session = requests.Session()
    response = session.post(
        base + "/api/v1/auth/login", json={"email": email, "password": PASSWORD}, timeout=10
    )
    response.raise_for_status()
    session.headers["Authorization"] = "Bearer " + response.json()["token"]
    return session


def open_proposing_round(moderator: requests.Session, base: str, title: str, **fields) -> dict:
    """A new round on the demo half court, moved straight to proposals by the moderator."""
    community = moderator.get(base + "/api/v1/communities", timeout=10).json()["communities"][0]
    sites = moderator.get(f"{base}/api/v1/communities/{community['id']}/sites", timeout=10).json()["sites"]
    site = next(s for s in sites if s["name"].startswith(HALF_COURT_SITE))
    body = {"site_id": site["id"], "title": title, "brief": "", **fields}
    response = moderator.post(base + "/api/v1/rounds", json=body, timeout=10)
    assert response.status_code == 201, response.text
    round_ = response.json()
    response = moderator.post(
        f"{base}/api/v1/rounds/{round_['id']}/phase",
        json={"phase": "proposing", "reason": "需求已在上一轮收集 Needs gathered in the last round"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return round_


@pytest.fixture(scope="module")
def proposing_round(live_server) -> dict:
    """A new round on the demo half court, moved straight to proposals by the moderator."""
    moderator = api_session(live_server.url, "moderator@demo.jiayuan.cn")
    return open_proposing_round(moderator, live_server.url, "编辑器测试 Editor test", budget_cny=180_000)


def at(x: float, y: float) -> tuple[float, float]:
    """Latitude and longitude of a point given in metres from the half court site's south-west corner."""
    dx, dy = demo.HALF_COURT_OFFSET
    lon, lat = demo.ORIGIN.to_lonlat_xy(x + dx, y + dy)
    return lat, lon


def screen_point(page, x: float, y: float) -> tuple[float, float]:
    """Where a site point is on the screen, with the map scrolled into view."""
    lat, lon = at(x, y)
    point = page.evaluate(
        """([lat, lon]) => {
            const map = window.jiayuanEditor.map;
            const frame = map.getContainer().getBoundingClientRect();
            if (frame.top < 0 || frame.bottom > window.innerHeight) {
                map.getContainer().scrollIntoView({block: "center", behavior: "instant"});
            }
            const p = map.latLngToContainerPoint([lat, lon]);
            const box = map.getContainer().getBoundingClientRect();
            return {x: box.left + p.x, y: box.top + p.y};
        }""",
        [lat, lon],
    )
    return point["x"], point["y"]


def click_map(page, x: float, y: float) -> None:
    page.mouse.click(*screen_point(page, x, y))


def drag_on_map(page, start: tuple[float, float], end: tuple[float, float]) -> None:
    page.mouse.move(*screen_point(page, *start))
    page.mouse.down()
    target = screen_point(page, *end)
    page.mouse.move(*target, steps=12)
    page.mouse.up()


def log_in(page, base: str, email: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit].primary")
    page.wait_for_url(base + "/")


def open_editor(page, base: str, round_id: int) -> None:
    page.goto(f"{base}/rounds/{round_id}/proposals/new")
    wait_until(page, "window.jiayuanEditor !== undefined")
    page.wait_for_selector("[data-testid=findings][data-state=done]")
    page.evaluate(
        "document.querySelector('.editor-map').scrollIntoView({block: 'center', behavior: 'instant'})"
    )


def settled(page) -> None:
    """Wait until the map has stopped panning and zooming."""
    page.wait_for_selector(".editor-map .folium-map:not([data-moving])")


def wait_checked(page) -> None:
    """Wait until the findings reflect the latest change (debounced, then answered)."""
    page.wait_for_selector("[data-testid=findings][data-state=done]")


def test_a_designer_draws_sees_a_finding_come_and_go_and_submits(page, live_server, proposing_round):
    base = live_server.url
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, base, "designer1@demo.jiayuan.cn")
    open_editor(page, base, proposing_round["id"])
    # A new layout starts with the site's kept camphor tree.
    assert page.evaluate("Object.keys(window.jiayuanEditor.layers)") == ["camphor"]

    # A 15 x 14 m half court as a rectangle, corner to corner.
    page.click("[data-testid=kind-half_court]")
    click_map(page, 4.5, 3)
    click_map(page, 19.5, 17)
    page.wait_for_selector('path[data-feature-id="half_court-1"]')

    # Two benches (points keep coming until drawing stops) and a planter.
    page.click("[data-testid=kind-bench]")
    click_map(page, 8, 21.5)
    click_map(page, 12, 21.5)
    page.wait_for_selector('path[data-feature-id="bench-2"]')
    page.click("#draw-stop")
    page.click("[data-testid=kind-planter]")
    click_map(page, 18, 20.5)
    click_map(page, 22.5, 23)
    page.wait_for_selector('path[data-feature-id="planter-1"]')
    wait_checked(page)
    assert page.get_attribute("[data-testid=findings]", "data-valid") == "true", page.inner_text(
        "[data-testid=findings]"
    )
    assert page.locator("#findings-list li.error").count() == 0
    metrics = page.inner_text("[data-testid=metrics]")
    court_area = float(re.search(r"半场篮球场 \(m²\)\s+([\d.]+)", metrics).group(1))
    assert court_area == pytest.approx(15 * 14, abs=4)  # clicks land within a few centimetres
    kinds = sorted(page.evaluate("window.jiayuanEditor.collection().features.map(f => f.properties.kind)"))
    assert kinds == ["bench", "bench", "half_court", "planter", "tree_existing"]

    # Move a bench out of the site with the mouse: the finding appears, on the map and in the list.
    page.click(".editor-tools [data-mode=move]")
    drag_on_map(page, (12, 21.5), (-3, 21.5))
    wait_checked(page)
    finding = page.locator('#findings-list li[data-code="outside_site"]')
    finding.wait_for()
    assert finding.get_attribute("data-feature-ids") == "bench-2"
    assert finding.get_attribute("data-severity") == "error"
    marked = page.locator('path[data-feature-id="bench-2"]')
    assert "finding-error" in (marked.get_attribute("class") or "")
    assert marked.get_attribute("stroke-dasharray") == "6 4"
    assert page.get_attribute("[data-testid=findings]", "data-valid") == "false"

    # Clicking the finding zooms to the bench and selects it.
    finding.locator("button").click()
    page.wait_for_selector("[data-testid=selected-panel]:not([hidden])")
    settled(page)
    assert page.inner_text("#selected-id") == "bench-2"
    page.evaluate(
        "document.querySelector('.editor-map').scrollIntoView({block: 'center', behavior: 'instant'})"
    )
    page.click("#fit-site")
    settled(page)

    # Move it back: the finding disappears.
    drag_on_map(page, (-3, 21.5), (12, 21.5))
    page.locator('#findings-list li[data-code="outside_site"]').wait_for(state="detached")
    wait_checked(page)
    assert "finding-error" not in (page.get_attribute('path[data-feature-id="bench-2"]', "class") or "")
    assert page.get_attribute("[data-testid=findings]", "data-valid") == "true"
    page.click(".editor-tools [data-mode=move]")  # leave move mode

    # Submit: the proposal page shows it.
    page.fill("#p-title", "编辑器里的半场 A court from the editor")
    page.fill("#p-summary", "A half court, two benches and a planter.")
    page.fill("#p-note", "First version")
    page.click("[data-testid=submit]")
    page.wait_for_url(re.compile(r".*/proposals/\d+$"))
    assert page.inner_text("[data-testid=proposal-title]") == "编辑器里的半场 A court from the editor"
    assert "陈明" in page.inner_text("[data-testid=designers]")
    assert page.locator('[data-testid=metrics] tr[data-metric="seats"]').count() == 1
    page.wait_for_selector('path[data-feature-id="half_court-1"]')
    assert page.locator('path[data-feature-id="bench-2"]').count() == 1

    assert page.requested_urls, "the page made no requests at all"
    assert other_hosts(page.requested_urls, base) == []
    assert errors == []


def test_a_layout_goes_out_as_a_file_and_comes_back_in(page, live_server, proposing_round, tmp_path):
    base = live_server.url
    log_in(page, base, "designer2@demo.jiayuan.cn")
    open_editor(page, base, proposing_round["id"])
    page.click("[data-testid=kind-lawn]")
    click_map(page, 2, 2)
    click_map(page, 8, 6)
    page.wait_for_selector('path[data-feature-id="lawn-1"]')

    with page.expect_download() as download:
        page.click("[data-testid=export]")
    exported = json.loads(Path(download.value.path()).read_text())
    assert exported["type"] == "FeatureCollection"
    assert sorted(f["id"] for f in exported["features"]) == ["camphor", "lawn-1"]
    lawn = next(f for f in exported["features"] if f["id"] == "lawn-1")
    assert lawn["properties"] == {"id": "lawn-1", "kind": "lawn"}
    assert lawn["geometry"]["type"] == "Polygon"

    # Brought back in beside what is drawn, the file's features get ids of their own.
    file = tmp_path / "layout.geojson"
    file.write_text(json.dumps(exported))
    page.set_input_files("[data-testid=import-file]", str(file))
    page.wait_for_selector("#import-choice:not([hidden])")
    page.click("[data-import=merge]")
    wait_checked(page)
    ids = sorted(page.evaluate("Object.keys(window.jiayuanEditor.layers)"))
    assert ids == ["camphor", "lawn-1", "lawn-2", "tree_existing-1"]

    # Replacing the layout with the file leaves just the file's features.
    page.set_input_files("[data-testid=import-file]", str(file))
    page.click("[data-import=replace]")
    wait_checked(page)
    assert sorted(page.evaluate("Object.keys(window.jiayuanEditor.layers)")) == ["camphor", "lawn-1"]

    # A file that is no layout is refused with a message.
    bad = tmp_path / "notes.json"
    bad.write_text('{"hello": "world"}')
    page.set_input_files("[data-testid=import-file]", str(bad))
    wait_until(page, "document.getElementById('editor-status').textContent.length > 0")
    assert sorted(page.evaluate("Object.keys(window.jiayuanEditor.layers)")) == ["camphor", "lawn-1"]


def test_a_court_is_rotated_by_its_handle_and_checked_again(page, live_server, proposing_round):
    base = live_server.url
    log_in(page, base, "designer2@demo.jiayuan.cn")
    open_editor(page, base, proposing_round["id"])
    page.click("[data-testid=kind-court_3x3]")
    click_map(page, 4.5, 3)
    click_map(page, 19.5, 14)
    page.wait_for_selector('path[data-feature-id="court_3x3-1"]')
    wait_checked(page)
    before = page.evaluate("window.jiayuanEditor.layers['court_3x3-1'].toGeoJSON(8).geometry.coordinates[0]")

    page.click(".editor-tools [data-mode=rotate]")
    handle = page.locator(".leaflet-marker-pane .marker-icon").first
    page.evaluate(
        "document.querySelector('.editor-map').scrollIntoView({block: 'center', behavior: 'instant'})"
    )
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    with page.expect_request(lambda request: "/validate" in request.url):  # checked again
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + 60, y + 30, steps=10)
        page.mouse.up()
    wait_checked(page)
    after = page.evaluate("window.jiayuanEditor.layers['court_3x3-1'].toGeoJSON(8).geometry.coordinates[0]")
    assert after != before
    # Turned, the court's sides no longer run along the meridians and parallels.
    assert len({round(lon, 6) for lon, _lat in after[:4]}) == 4
    # A 3x3 court is 15 x 11 m: the one drawn here (15 x 11) stays within its standard, turned or not.
    assert page.locator('#findings-list li[data-code="court_dimensions"]').count() == 0
    page.keyboard.press("Escape")
    page.wait_for_selector('.editor-tools [data-mode=rotate][aria-pressed="false"]')


def test_a_layout_with_errors_is_refused_with_its_findings_on_the_map(page, live_server, proposing_round):
    base = live_server.url
    log_in(page, base, "designer2@demo.jiayuan.cn")
    open_editor(page, base, proposing_round["id"])
    page.click("[data-testid=kind-bench]")
    click_map(page, -3, 10)  # outside the site
    page.wait_for_selector('path[data-feature-id="bench-1"]')
    page.click("#draw-stop")
    page.fill("#p-title", "出界的座椅 A bench outside")
    page.click("[data-testid=submit]")
    wait_until(page, "document.getElementById('submit-status').textContent.includes('地图')")
    assert page.locator('#findings-list li[data-code="outside_site"]').count() == 1
    assert "finding-error" in (page.get_attribute('path[data-feature-id="bench-1"]', "class") or "")
    assert page.url.endswith(f"/rounds/{proposing_round['id']}/proposals/new")


def test_a_designer_withdraws_a_proposal_from_its_page(page, live_server, proposing_round):
    base = live_server.url
    designer = api_session(base, "designer2@demo.jiayuan.cn")
    site = designer.get(f"{base}/api/v1/sites/{proposing_round['site_id']}", timeout=10).json()
    trees = [
        f for f in site["properties"]["constraints"]["features"] if f["properties"]["kind"] == "tree_existing"
    ]
    response = designer.post(
        f"{base}/api/v1/rounds/{proposing_round['id']}/proposals",
        json={
            "title": "只留香樟 Just the camphor",
            "layout": {"type": "FeatureCollection", "features": trees},
        },
        timeout=10,
    )
    assert response.status_code == 201, response.text
    proposal = response.json()
    log_in(page, base, "designer2@demo.jiayuan.cn")
    page.goto(f"{base}/proposals/{proposal['id']}")
    assert page.inner_text("[data-testid=proposal-status]") == "有效"
    # Asked in the page, not in a pop-up window: Escape (or Cancel) withdraws nothing and
    # gives the focus back to the button; "Yes" withdraws.
    page.click("[data-testid=withdraw]")
    expect(page.get_by_test_id("confirm-box")).to_contain_text("撤回")
    assert page.evaluate("document.activeElement.dataset.testid") == "confirm-yes"
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("confirm-box")).to_have_count(0)
    assert page.evaluate("document.activeElement.dataset.testid") == "withdraw"
    assert page.inner_text("[data-testid=proposal-status]") == "有效"
    page.click("[data-testid=withdraw]")
    page.click("[data-testid=confirm-yes]")
    wait_until(
        page, "document.querySelector('[data-testid=proposal-status]')?.textContent.trim() === '已撤回'"
    )
    assert page.locator("[data-testid=withdraw]").count() == 0
    assert page.locator("[data-testid=new-version]").count() == 0


def test_the_editor_fits_a_phone(browser, live_server, proposing_round):
    context = new_context(browser, viewport={"width": 360, "height": 740}, has_touch=True)
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.set_default_timeout(10_000)
    base = live_server.url
    log_in(page, base, "designer2@demo.jiayuan.cn")
    open_editor(page, base, proposing_round["id"])
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the editor scrolls sideways by {overflow}px on a phone"
    map_width = page.evaluate("window.jiayuanEditor.map.getContainer().getBoundingClientRect().width")
    assert map_width == 360  # the whole width of the screen
    # The palette scrolls sideways on its own, with buttons big enough for a finger.
    palette = page.locator("[data-testid=palette]")
    assert palette.evaluate("p => p.scrollWidth > p.clientWidth")
    height = page.evaluate(
        "document.querySelector('[data-testid=kind-bench]').getBoundingClientRect().height"
    )
    assert height >= 44
    assert other_hosts(requested, base) == []
    context.close()
