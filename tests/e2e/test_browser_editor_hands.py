"""In a real browser, the editor for every hand: a list of the layout's features beside the map,
a chooser where features overlap, undo after a delete, and moving, turning and sizing a feature
with keys and numbers instead of a drag (WCAG 2.2, 2.5.7)."""

from __future__ import annotations

import math
import re

import pytest

from deliberation import demo
from tests.e2e.conftest import new_context, wait_until
from tests.e2e.test_browser_editor import (
    api_session,
    click_map,
    log_in,
    open_editor,
    open_proposing_round,
    wait_checked,
)

pytestmark = pytest.mark.e2e

DESIGNER = "designer2@demo.jiayuan.cn"
GEOMETRY = "id => window.jiayuanEditor.layers[id].toGeoJSON(false).geometry"


@pytest.fixture(scope="module")
def editing_round(live_server) -> dict:
    """A round of its own on the demo half court, taking proposals."""
    moderator = api_session(live_server.url, "moderator@demo.jiayuan.cn")
    return open_proposing_round(moderator, live_server.url, "人人能用的编辑器 Editor for every hand")


@pytest.fixture
def editor(page, live_server, editing_round):
    """The editor of a new proposal, open for a designer."""
    log_in(page, live_server.url, DESIGNER)
    open_editor(page, live_server.url, editing_round["id"])
    return page


def draw_rectangle(page, kind: str, corner: tuple[float, float], opposite: tuple[float, float]) -> str:
    """Draw a rectangle of a kind from corner to corner; its new feature id."""
    before = set(page.evaluate("window.jiayuanEditor.order()"))
    page.click(f"[data-testid=kind-{kind}]")
    click_map(page, *corner)
    click_map(page, *opposite)
    wait_until(page, f"window.jiayuanEditor.order().length === {len(before) + 1}")
    (new,) = set(page.evaluate("window.jiayuanEditor.order()")) - before
    page.wait_for_selector(shape(new))
    return new


def draw_lawn_and_planter(page) -> None:
    """A lawn, and a planter drawn after it over its north-east corner."""
    assert draw_rectangle(page, "lawn", (2, 2), (8, 6)) == "lawn-1"
    assert draw_rectangle(page, "planter", (5, 4), (10, 8)) == "planter-1"
    wait_checked(page)


def shape(feature_id: str) -> str:
    """The selector of a layout feature's shape on the map (the site may have one of that id)."""
    return f'path[data-layer-group="layout"][data-feature-id="{feature_id}"]'


def row(page, feature_id: str):
    return page.locator(f'#feature-list li[data-feature-id="{feature_id}"]')


def listed(page) -> list[str]:
    return page.eval_on_selector_all("#feature-list li", "items => items.map(i => i.dataset.featureId)")


def selected(page) -> str | None:
    return page.evaluate("window.jiayuanEditor.selected()")


def metres(page, feature_id: str) -> list[tuple[float, float]]:
    """The vertices of a feature (a polygon's outer ring without its closing point, a line's
    points, or a point) in metres east and north of the demo's origin."""
    geometry = page.evaluate(GEOMETRY, feature_id)
    coordinates = geometry["coordinates"]
    if geometry["type"] == "Point":
        coordinates = [coordinates]
    elif geometry["type"] == "Polygon":
        coordinates = coordinates[0][:-1]
    return [demo.ORIGIN.to_metres_xy(lon, lat) for lon, lat in coordinates]


def shift(before: list[tuple[float, float]], after: list[tuple[float, float]]) -> tuple[float, float]:
    """How far every vertex moved, east and north (the same for all, or the test fails)."""
    moves = [(x1 - x0, y1 - y0) for (x0, y0), (x1, y1) in zip(before, after, strict=True)]
    east, north = moves[0]
    for e, n in moves:
        assert e == pytest.approx(east, abs=0.002) and n == pytest.approx(north, abs=0.002), moves
    return east, north


def sides(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """A ring's sides: (length in metres, direction in degrees anticlockwise from east, 0..180)."""
    out = []
    for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1], strict=True):
        out.append((math.hypot(x1 - x0, y1 - y0), math.degrees(math.atan2(y1 - y0, x1 - x0)) % 180))
    return out


def centre(points: list[tuple[float, float]]) -> tuple[float, float]:
    return sum(x for x, _ in points) / len(points), sum(y for _, y in points) / len(points)


def test_the_list_shows_every_feature_and_selects_and_renames_from_it(editor):
    page = editor
    # Loaded with the layout: the site's kept camphor tree.
    assert listed(page) == ["camphor"]
    assert "现状树" in row(page, "camphor").inner_text()

    draw_lawn_and_planter(page)
    page.click("[data-testid=kind-bench]")
    click_map(page, 12, 21.5)
    page.wait_for_selector(shape("bench-1"))
    page.click("#draw-stop")
    assert listed(page) == ["camphor", "lawn-1", "planter-1", "bench-1"]
    assert "草坪" in row(page, "lawn-1").inner_text()
    assert page.inner_text("#feature-count") == "(4)"

    # A click on a row selects its feature, as a click on the map does.
    row(page, "camphor").locator("[data-action=select]").click()
    assert selected(page) == "camphor"
    assert page.inner_text("#selected-id") == "camphor"
    assert row(page, "camphor").locator("[data-action=select]").get_attribute("aria-current") == "true"
    assert "is-selected" in (page.get_attribute(shape("camphor"), "class") or "")

    # So does Enter on a row, and focus stays on it as the list is drawn again.
    row(page, "lawn-1").locator("[data-action=select]").focus()
    page.keyboard.press("Enter")
    assert selected(page) == "lawn-1"
    assert page.evaluate("document.activeElement.closest('li')?.dataset.featureId") == "lawn-1"
    assert row(page, "camphor").locator("[data-action=select]").get_attribute("aria-current") is None
    assert "is-selected" not in (page.get_attribute(shape("camphor"), "class") or "")

    # Rename: the row's button selects the planter and puts the keyboard in its label field.
    row(page, "planter-1").locator("[data-action=rename]").click()
    assert selected(page) == "planter-1"
    assert page.evaluate("document.activeElement.id") == "f-label"
    page.keyboard.type("东边花坛")
    wait_until(
        page,
        "document.querySelector('#feature-list [data-feature-id=\"planter-1\"]')"
        ".textContent.includes('东边花坛')",
    )
    labels = page.evaluate(
        "Object.fromEntries(window.jiayuanEditor.collection().features.map(f => [f.id, f.properties.label]))"
    )
    assert labels["planter-1"] == "东边花坛"
    assert "东边花坛" in row(page, "planter-1").locator("[data-action=delete]").get_attribute("aria-label")


def test_reordering_the_list_reorders_the_checked_layout_and_the_drawing(editor):
    page = editor
    draw_lawn_and_planter(page)
    assert row(page, "camphor").locator("[data-action=up]").is_disabled()
    assert row(page, "planter-1").locator("[data-action=down]").is_disabled()

    with page.expect_request(lambda request: "/validate" in request.url) as checked:
        row(page, "planter-1").locator("[data-action=up]").click()
    sent = [f["id"] for f in checked.value.post_data_json["features"]]
    assert sent == ["camphor", "planter-1", "lawn-1"]
    assert listed(page) == ["camphor", "planter-1", "lawn-1"]
    assert [f["id"] for f in page.evaluate("window.jiayuanEditor.collection().features")] == sent
    # The lawn, now later, is drawn over the planter.
    assert page.evaluate(
        "([planter, lawn]) => Boolean(document.querySelector(planter)"
        ".compareDocumentPosition(document.querySelector(lawn)) & Node.DOCUMENT_POSITION_FOLLOWING)",
        [shape("planter-1"), shape("lawn-1")],
    )
    # Focus follows the moved row; at the top of its climb, to its own name.
    assert page.evaluate("document.activeElement.closest('li')?.dataset.featureId") == "planter-1"
    page.keyboard.press("Enter")  # the "up" button again: now second of three
    wait_checked(page)
    assert listed(page) == ["planter-1", "camphor", "lawn-1"]
    assert page.evaluate("document.activeElement.dataset.action") == "select"
    row(page, "planter-1").locator("[data-action=down]").click()
    assert listed(page) == ["camphor", "planter-1", "lawn-1"]

    # The order travels with the submission.
    page.fill("#p-title", "换了顺序 Reordered")
    with page.expect_request(lambda r: r.url.endswith("/proposals") and r.method == "POST") as submitted:
        page.click("[data-testid=submit]")
    features = submitted.value.post_data_json["layout"]["features"]
    assert [f["id"] for f in features] == ["camphor", "planter-1", "lawn-1"]
    page.wait_for_url(re.compile(r".*/proposals/\d+$"))


def test_a_deleted_feature_comes_back_with_undo(editor):
    page = editor
    draw_lawn_and_planter(page)
    row(page, "lawn-1").locator("[data-action=rename]").click()
    page.keyboard.type("草坪甲")
    lawn = page.evaluate(GEOMETRY, "lawn-1")
    assert page.is_hidden("[data-testid=undo-delete]")

    # From the list: gone from the map, the list and the layout, with a way back.
    row(page, "lawn-1").locator("[data-action=delete]").click()
    page.wait_for_selector(shape("lawn-1"), state="detached")
    assert listed(page) == ["camphor", "planter-1"]
    assert "草坪甲" in page.inner_text("[data-testid=editor-status]")
    assert page.evaluate("document.activeElement.closest('li')?.dataset.featureId") == "planter-1"
    page.click("[data-testid=undo-delete]")
    page.wait_for_selector(shape("lawn-1"))
    assert listed(page) == ["camphor", "lawn-1", "planter-1"]
    assert page.evaluate(GEOMETRY, "lawn-1") == lawn
    props = page.evaluate("window.jiayuanEditor.collection().features[1].properties")
    assert props == {"id": "lawn-1", "kind": "lawn", "label": "草坪甲"}
    assert selected(page) == "lawn-1"
    assert page.is_hidden("[data-testid=undo-delete]")
    assert page.evaluate("document.activeElement.closest('li')?.dataset.featureId") == "lawn-1"

    # From the selected feature's panel: no dialog, the same undo, which takes the focus.
    page.click("#f-delete")
    page.wait_for_selector(shape("lawn-1"), state="detached")
    assert page.evaluate("document.activeElement.id") == "undo-delete"
    page.keyboard.press("Enter")
    page.wait_for_selector(shape("lawn-1"))
    assert listed(page) == ["camphor", "lawn-1", "planter-1"]

    # With Geoman's delete mode: two deletes come back one by one, the last first.
    page.click(".editor-tools [data-mode=remove]")
    click_map(page, 9, 7)  # the planter only
    page.wait_for_selector(shape("planter-1"), state="detached")
    click_map(page, 3, 3)  # the lawn only
    page.wait_for_selector(shape("lawn-1"), state="detached")
    assert listed(page) == ["camphor"]
    page.click("[data-testid=undo-delete]")
    page.wait_for_selector(shape("lawn-1"))
    assert listed(page) == ["camphor", "lawn-1"]
    page.click("[data-testid=undo-delete]")
    page.wait_for_selector(shape("planter-1"))
    assert listed(page) == ["camphor", "lawn-1", "planter-1"]
    page.click(".editor-tools [data-mode=remove]")  # leave the mode
    page.wait_for_selector('.editor-tools [data-mode=remove][aria-pressed="false"]')
    # Brought back, the planter is a feature like any other: a click selects it, no more.
    click_map(page, 9, 7)
    assert selected(page) == "planter-1"
    assert listed(page) == ["camphor", "lawn-1", "planter-1"]
    wait_checked(page)
    ids = [f["id"] for f in page.evaluate("window.jiayuanEditor.collection().features")]
    assert ids == ["camphor", "lawn-1", "planter-1"]


def test_where_features_overlap_a_click_offers_each_and_picks_the_one_below(editor):
    page = editor
    draw_lawn_and_planter(page)

    # A click where only the lawn lies selects it, with no question.
    click_map(page, 3, 3)
    assert selected(page) == "lawn-1"
    assert page.locator("[data-testid=feature-chooser]").count() == 0

    # Where the planter covers the lawn, the chooser names both, the topmost first.
    click_map(page, 6.5, 5)
    chooser = page.locator("[data-testid=feature-chooser]")
    chooser.wait_for()
    options = chooser.locator(".chooser-option")
    assert [options.nth(i).get_attribute("data-feature-id") for i in range(options.count())] == [
        "planter-1",
        "lawn-1",
    ]
    assert "草坪" in options.nth(1).inner_text()
    options.nth(1).click()
    chooser.wait_for(state="detached")
    assert selected(page) == "lawn-1"
    assert page.inner_text("#selected-id") == "lawn-1"

    # By keyboard: the chooser takes the focus, the arrow keys go down its list, Enter picks.
    click_map(page, 6.5, 5)
    chooser.wait_for()
    assert page.evaluate("document.activeElement.dataset.featureId") == "planter-1"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    chooser.wait_for(state="detached")
    assert selected(page) == "lawn-1"
    # and focus is back on the map, where the arrow keys move the lawn.
    assert page.evaluate("document.activeElement === window.jiayuanEditor.map.getContainer()")

    # Escape closes it, keeping what the click selected.
    click_map(page, 6.5, 5)
    chooser.wait_for()
    page.keyboard.press("Escape")
    chooser.wait_for(state="detached")
    assert selected(page) == "planter-1"


def test_arrow_keys_nudges_and_distances_move_the_selected_feature(editor):
    page = editor
    assert draw_rectangle(page, "lawn", (2, 2), (8, 6)) == "lawn-1"
    wait_checked(page)
    click_map(page, 4, 4)
    assert selected(page) == "lawn-1"
    assert page.evaluate("window.jiayuanEditor.map.getContainer().contains(document.activeElement)")
    centre_before = page.evaluate("window.jiayuanEditor.map.getCenter()")

    # An arrow key moves the lawn by half a metre, and the layout is checked again.
    start = metres(page, "lawn-1")
    with page.expect_request(lambda request: "/validate" in request.url):
        page.keyboard.press("ArrowRight")
    east, north = shift(start, metres(page, "lawn-1"))
    assert east == pytest.approx(0.5, abs=0.005)
    assert north == pytest.approx(0, abs=0.002)
    # The map itself stayed put, and the lawn is still selected.
    assert page.evaluate("window.jiayuanEditor.map.getCenter()") == centre_before
    assert selected(page) == "lawn-1"

    # With Shift, five metres.
    start = metres(page, "lawn-1")
    page.keyboard.press("Shift+ArrowUp")
    east, north = shift(start, metres(page, "lawn-1"))
    assert east == pytest.approx(0, abs=0.002)
    assert north == pytest.approx(5, abs=0.02)

    # The nudge buttons, by pointer or by arrow key.
    start = metres(page, "lawn-1")
    page.click("[data-nudge=west]")
    east, north = shift(start, metres(page, "lawn-1"))
    assert (east, north) == (pytest.approx(-0.5, abs=0.005), pytest.approx(0, abs=0.002))
    start = metres(page, "lawn-1")
    page.keyboard.press("ArrowDown")  # focus is on the west button
    east, north = shift(start, metres(page, "lawn-1"))
    assert (east, north) == (pytest.approx(0, abs=0.002), pytest.approx(-0.5, abs=0.005))

    # A distance typed in.
    start = metres(page, "lawn-1")
    page.fill("#f-move-east", "-2")
    page.fill("#f-move-north", "1.5")
    with page.expect_request(lambda request: "/validate" in request.url):
        page.click("#move-apply")
    east, north = shift(start, metres(page, "lawn-1"))
    assert (east, north) == (pytest.approx(-2, abs=0.01), pytest.approx(1.5, abs=0.01))
    assert page.input_value("#f-move-east") == "0"
    # Nonsense is refused with a message, and nothing moves.
    start = metres(page, "lawn-1")
    page.fill("#f-move-east", "5000")
    page.click("#move-apply")
    assert page.inner_text("#shape-error") != ""
    assert page.get_attribute("#f-move-east", "aria-invalid") == "true"
    assert metres(page, "lawn-1") == start

    # Typing in a field, the arrow keys belong to the field.
    page.fill("#f-label", "abc")
    page.focus("#f-label")
    page.keyboard.press("ArrowLeft")
    assert metres(page, "lawn-1") == start

    # Escape on the map lets go of the lawn: the arrow keys no longer move it.
    click_map(page, 4, 4)
    page.keyboard.press("Escape")
    assert selected(page) is None
    page.keyboard.press("ArrowRight")
    assert metres(page, "lawn-1") == start


def test_length_width_and_angle_fields_resize_and_turn_a_rectangle_and_a_line(editor):
    page = editor
    court = draw_rectangle(page, "court_3x3", (4.5, 3), (19.5, 14))
    wait_checked(page)
    assert selected(page) == court
    assert float(page.input_value("#f-size-length")) == pytest.approx(15, abs=0.1)
    assert float(page.input_value("#f-size-width")) == pytest.approx(11, abs=0.1)
    assert float(page.input_value("#f-size-angle")) == pytest.approx(0, abs=0.5)
    before = metres(page, court)

    page.fill("#f-size-length", "12")
    page.fill("#f-size-width", "8")
    page.fill("#f-size-angle", "30")
    with page.expect_request(lambda request: "/validate" in request.url):
        page.press("#f-size-angle", "Enter")
    after = metres(page, court)
    assert len(after) == 4
    lengths = sorted(length for length, _ in sides(after))
    assert lengths == [pytest.approx(8, abs=0.02)] * 2 + [pytest.approx(12, abs=0.02)] * 2
    long_sides = [direction for length, direction in sides(after) if length > 10]
    assert long_sides == [pytest.approx(30, abs=0.2)] * 2
    assert centre(after) == pytest.approx(centre(before), abs=0.02)  # turned about its centre
    # The fields say what the court now is; still selected.
    assert float(page.input_value("#f-size-length")) == pytest.approx(12, abs=0.02)
    assert float(page.input_value("#f-size-width")) == pytest.approx(8, abs=0.02)
    assert float(page.input_value("#f-size-angle")) == pytest.approx(30, abs=0.2)
    assert selected(page) == court

    # Applied unchanged, the fields (rounded to centimetres) change nothing.
    page.click("#size-apply")
    for (x0, y0), (x1, y1) in zip(after, metres(page, court), strict=True):
        assert (x1, y1) == (pytest.approx(x0, abs=1e-4), pytest.approx(y0, abs=1e-4))

    # A point has no size: the fields are not offered.
    row(page, "camphor").locator("[data-action=select]").click()
    assert page.is_hidden("#f-size")
    assert page.is_visible("#f-move")

    # A fence, drawn as a line 4 m long going east, made 6 m long going north.
    page.click("[data-testid=kind-fence]")
    click_map(page, 1, 16)
    click_map(page, 5, 16)
    page.click("#draw-finish")
    page.wait_for_selector(shape("fence-1"), state="attached")  # flat: "hidden" to Playwright
    assert selected(page) == "fence-1"
    assert page.is_hidden("#f-size-width-field")
    assert float(page.input_value("#f-size-length")) == pytest.approx(4, abs=0.1)
    start = metres(page, "fence-1")
    page.fill("#f-size-length", "6")
    page.fill("#f-size-angle", "90")
    page.click("#size-apply")
    (x0, y0), (x1, y1) = metres(page, "fence-1")
    assert math.hypot(x1 - x0, y1 - y0) == pytest.approx(6, abs=0.02)
    assert x1 - x0 == pytest.approx(0, abs=0.02) and y1 - y0 == pytest.approx(6, abs=0.02)
    assert ((x0 + x1) / 2, (y0 + y1) / 2) == pytest.approx(centre(start), abs=0.02)


def test_the_new_controls_fit_a_phone_and_a_finger(browser, live_server, editing_round):
    context = new_context(browser, viewport={"width": 375, "height": 740}, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, live_server.url, DESIGNER)
    open_editor(page, live_server.url, editing_round["id"])
    # On a phone, the list and the nudge buttons reach a feature too small to drag well.
    row(page, "camphor").locator("[data-action=select]").tap()
    assert selected(page) == "camphor"
    start = metres(page, "camphor")
    page.tap("[data-nudge=north]")
    assert shift(start, metres(page, "camphor")) == (
        pytest.approx(0, abs=0.002),
        pytest.approx(0.5, abs=0.005),
    )
    row(page, "camphor").locator("[data-action=delete]").tap()
    page.tap("[data-testid=undo-delete]")
    page.wait_for_selector(shape("camphor"))
    row(page, "camphor").locator("[data-action=select]").tap()
    assert page.is_visible("#selected-panel")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the editor scrolls sideways by {overflow}px on a phone"
    small = page.evaluate(
        """() => [...document.querySelectorAll(
                '#features button, #selected-panel button, #selected-panel input, [data-testid=undo-delete]')]
            .filter(el => el.offsetParent !== null)
            .map(el => [el.id || el.dataset.action || el.dataset.nudge, el.getBoundingClientRect()])
            .filter(([, box]) => box.width < 24 || box.height < 24 || box.right > window.innerWidth)
            .map(([name, box]) => `${name}: ${box.width}x${box.height} at ${box.left}`)"""
    )
    assert small == []
    # Every control there has a name.
    nameless = page.evaluate(
        """() => [...document.querySelectorAll('#features button, #selected-panel :is(button, input)')]
            .filter(el => !(el.getAttribute('aria-label') || el.textContent.trim() || el.labels?.length))
            .map(el => el.outerHTML)"""
    )
    assert nameless == []
    context.close()
