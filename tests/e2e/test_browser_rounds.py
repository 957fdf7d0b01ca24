"""In a real browser: the round pages with the demo data.

A resident sees both half-court proposals on the round page and compares them; a
resident ranks the pocket-garden proposals and sees the tally count the ballot with
its chart drawn; a resident pins a need on the courtyard by clicking its map.
Nothing is requested from another host. The live server is shared with the other
browser tests, so numbers are compared before and after, never taken as given.
"""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.conftest import new_context
from tests.e2e.test_browser_closing import fresh_deciding_round

pytestmark = pytest.mark.e2e

PASSWORD = "jiayuan-demo"
HALF_COURT = "半场改造 Renewing the half court"
HALF_COURT_PROPOSALS = ("树荫半场 Shaded half court", "全龄半场 A court for all ages")
GARDEN = "口袋花园绿化 Greening the pocket garden"
COURTYARD = "院子里的阴凉 Shade in the courtyard"


def other_hosts(urls: list[str], base: str) -> list[str]:
    app = urlparse(base).netloc
    return [
        u for u in urls if urlparse(u).scheme in ("http", "https", "ws", "wss") and urlparse(u).netloc != app
    ]


def log_in(page, base: str, email: str, password: str = PASSWORD) -> None:
    page.goto(base + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit].primary")
    page.wait_for_url(base + "/")


def open_round(page, title: str) -> int:
    """From the home page, follow the link to a round; its id."""
    page.get_by_role("link", name=title, exact=True).click()
    page.wait_for_url("**/rounds/*")
    expect(page.get_by_test_id("round-head")).to_contain_text(title)
    return int(urlparse(page.url).path.rsplit("/", 1)[1])


def new_member(base: str) -> str:
    """A new resident of the demo community (signed up, added by the moderator); their email."""
    email = f"e2e-{uuid.uuid4().hex[:10]}@example.org"
    user = requests.post(
        base + "/api/v1/auth/signup",
        json={"email": email, "password": PASSWORD, "name": "E2E 居民", "age_band": "60_79"},
        timeout=10,
    )
    assert user.status_code == 201, user.text
    login = requests.post(
        base + "/api/v1/auth/login",
        json={"email": "moderator@demo.jiayuan.cn", "password": PASSWORD},
        timeout=10,
    )
    headers = {"Authorization": f"Bearer {login.json()['token']}"}
    communities = requests.get(base + "/api/v1/communities", headers=headers, timeout=10).json()
    community_id = communities["communities"][0]["id"]  # the demo's, seeded first
    added = requests.post(
        f"{base}/api/v1/communities/{community_id}/members",
        json={"user_id": user.json()["user"]["id"], "role": "resident"},
        headers=headers,
        timeout=10,
    )
    assert added.status_code == 201, added.text
    return email


def test_a_resident_sees_both_half_court_proposals_and_compares_them(page, live_server):
    base = live_server.url
    log_in(page, base, "resident1@demo.jiayuan.cn")
    open_round(page, HALF_COURT)

    panel = page.get_by_test_id("proposals-panel")
    for title in HALF_COURT_PROPOSALS:
        expect(panel.get_by_role("link", name=title)).to_be_visible()
        # each proposal is a layer of the round map's switcher
        expect(page.locator(".leaflet-control-layers-overlays")).to_contain_text(title)
    expect(page.locator('[data-testid=round-map] [data-layer-group="proposal-0"]').first).to_be_attached()
    expect(page.locator('[data-testid=round-map] [data-layer-group="needs"]')).to_have_count(2)

    page.get_by_test_id("compare").click()
    page.wait_for_url("**/compare?*")
    assert len(parse_qs(urlparse(page.url).query)["p"]) == 2
    maps = page.get_by_test_id("compare-map")
    expect(maps).to_have_count(2)
    for index in range(2):
        expect(maps.nth(index).locator(".leaflet-container")).to_be_visible()
        expect(maps.nth(index).locator('[data-feature-id="court"]')).to_be_attached()
    table = page.get_by_test_id("compare-metrics")
    expect(table).to_be_visible()
    for title in HALF_COURT_PROPOSALS:
        expect(table.locator("thead")).to_contain_text(title)
    expect(table.locator('tr[data-metric="seats"] td.best')).to_have_count(1)

    assert page.requested_urls
    assert other_hosts(page.requested_urls, base) == []


def test_a_resident_ranks_the_garden_proposals_and_the_tally_counts_the_ballot(page, live_server):
    base = live_server.url
    email = new_member(base)
    log_in(page, base, email)
    round_id = open_round(page, GARDEN)
    before = page.request.get(f"{base}/api/v1/rounds/{round_id}/tally").json()

    page.get_by_test_id("ballot-link").click()
    page.wait_for_url(f"**/rounds/{round_id}/ballot")
    items = page.locator("#ranking > li")
    expect(items).to_have_count(3)
    start = items.evaluate_all("items => items.map(i => Number(i.dataset.proposalId))")

    # the last to the top with the mouse, then the (new) second one down by keyboard
    items.nth(2).locator(".rank-up").click()
    items.nth(1).locator(".rank-up").click()
    expect(page.locator("#ranking-announce")).not_to_be_empty()
    items.nth(1).locator(".rank-down").focus()
    page.keyboard.press("Enter")
    wanted = [start[2], start[1], start[0]]
    assert items.evaluate_all("items => items.map(i => Number(i.dataset.proposalId))") == wanted

    page.get_by_test_id("submit-ballot").click()
    expect(page.get_by_test_id("ballot-message")).to_have_attribute("data-kind", "ok")
    expect(page.locator("#current-ranking > li")).to_have_count(3)
    assert (
        page.locator("#current-ranking > li").evaluate_all(
            "items => items.map(i => Number(i.dataset.proposalId))"
        )
        == wanted
    )
    assert page.request.get(f"{base}/api/v1/rounds/{round_id}/ballot").json()["ranking"] == wanted

    # the ballots are still open: the tally says how many have ranked, and nothing more
    page.goto(f"{base}/rounds/{round_id}/tally")
    expect(page.get_by_test_id("tally-sealed")).to_be_visible()
    expect(page.get_by_test_id("tally-ballots")).to_have_text(str(before["ballots"] + 1))
    assert page.get_by_test_id("first-chart").count() == 0
    assert other_hosts(page.requested_urls, base) == []


def test_once_the_ballots_close_the_tally_is_charted(page, live_server):
    base = live_server.url
    round_ = fresh_deciding_round(base)  # two ballots, closed by the moderator
    log_in(page, base, "resident3@demo.jiayuan.cn")
    page.goto(f"{base}/rounds/{round_['id']}/tally")
    expect(page.get_by_test_id("tally-ballots")).to_have_text("2")
    chart = page.get_by_test_id("first-chart")
    expect(chart).to_have_attribute("data-chart-ready", "1")
    drawn = chart.evaluate("c => Chart.getChart(c).data.datasets[0].data.reduce((a, b) => a + b, 0)")
    assert drawn == 2
    assert chart.evaluate("c => c.width > 0 && c.height > 0")
    expect(page.get_by_test_id("rounds-chart")).to_have_attribute("data-chart-ready", "1")
    expect(page.get_by_test_id("tie-rule")).to_be_visible()
    expect(page.get_by_test_id("no-age-groups")).to_be_visible()  # two voters: no breakdown
    assert other_hosts(page.requested_urls, base) == []


def test_a_resident_pins_a_need_on_the_courtyard_map(page, live_server):
    base = live_server.url
    log_in(page, base, "resident1@demo.jiayuan.cn")
    round_id = open_round(page, COURTYARD)
    before = len(page.request.get(f"{base}/api/v1/rounds/{round_id}/needs").json()["features"])
    expect(page.get_by_test_id("pin-panel")).to_be_visible()

    # A point a quarter of the way into the courtyard from its south-west corner.
    map_element = page.locator("[data-testid=round-map] .leaflet-container")
    map_element.scroll_into_view_if_needed()
    map_box = map_element.bounding_box()
    x, y = page.evaluate(
        """() => {
          const entry = Object.values(window.jiayuanMaps)[0];
          const b = entry.groups.site.getBounds();
          const at = L.latLng(b.getSouth() + 0.25 * (b.getNorth() - b.getSouth()),
                              b.getWest() + 0.25 * (b.getEast() - b.getWest()));
          const p = entry.map.latLngToContainerPoint(at);
          return [p.x, p.y];
        }"""
    )
    page.mouse.click(map_box["x"] + x, map_box["y"] + y)
    expect(page.get_by_test_id("place-status")).to_have_attribute("data-kind", "ok")

    text = f"<b>秋千</b> a swing, please {uuid.uuid4().hex[:6]}"
    page.select_option("#need-category", "play")
    page.fill("#need-text", text)
    page.get_by_test_id("pin-need").click()
    expect(page.get_by_test_id("need-message")).to_have_attribute("data-kind", "ok")
    item = page.get_by_test_id("needs-list").locator("li.need", has_text=text)
    expect(item).to_have_count(1)
    expect(item.locator("b")).to_have_count(0)  # shown as text, never as markup
    need_id = item.get_attribute("data-need-id")
    expect(page.locator(f'[data-layer-group="needs"][data-feature-id="{need_id}"]')).to_be_attached()
    expect(page.locator("#needs-count")).to_have_text(str(before + 1))

    layer = page.request.get(f"{base}/api/v1/rounds/{round_id}/needs").json()
    mine = next(f for f in layer["features"] if f["properties"]["text"] == text)
    assert mine["geometry"]["type"] == "Point" and mine["properties"]["category"] == "play"

    assert other_hosts(page.requested_urls, base) == []


@pytest.mark.parametrize("viewport", [{"width": 360, "height": 740}, {"width": 1920, "height": 1080}])
def test_the_round_pages_fit_a_phone_and_a_projector(browser, live_server, viewport):
    context = new_context(browser, viewport=viewport)
    page = context.new_page()
    base = live_server.url
    log_in(page, base, new_member(base))
    page.click("[data-testid=large-text]")
    page.wait_for_load_state()
    round_id = open_round(page, GARDEN)
    proposal_ids = page.locator("[data-testid=proposal]").evaluate_all(
        "items => items.map(i => i.dataset.proposalId)"
    )
    query = "&".join(f"p={pid}" for pid in proposal_ids)
    paths = [
        f"/rounds/{round_id}",
        f"/rounds/{round_id}/compare?{query}",
        f"/rounds/{round_id}/compare?p={proposal_ids[0]}&p={proposal_ids[1]}",
        f"/rounds/{round_id}/ballot",
        f"/rounds/{round_id}/tally",
        "/communities/1/map",
        "/sites/1",
    ]
    for path in paths:
        page.goto(base + path)
        page.wait_for_load_state("load")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {viewport}"
    assert "large-text" in (page.get_attribute("html", "class") or "")
    context.close()
