"""What the eye meets on a phone with large text and on the big screen: the countdown when time
is up, the maps' controls, need pins against proposed features, and long words."""

from __future__ import annotations

import pytest
import socketio

from tests.e2e.conftest import new_context
from tests.e2e.test_browser_foundation import log_in
from tests.e2e.test_live_servers import create_hearing, token

pytestmark = pytest.mark.e2e

PHONE = {"width": 375, "height": 760}
LONG_LINK = "https://example.org/" + "court-plan-" * 30

# WCAG's contrast ratio of an element's text against the first opaque background behind it.
CONTRAST = """el => {
  const rgb = s => s.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => {
    const f = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const style = getComputedStyle(el);
  let back = el, bg;
  while (back) {
    bg = rgb(getComputedStyle(back).backgroundColor);
    if (bg.length < 4 || bg[3] > 0.99) break;
    back = back.parentElement;
  }
  const fg = rgb(style.color);
  const alpha = (fg.length > 3 ? fg[3] : 1) * Number(style.opacity);
  const seen = [0, 1, 2].map(i => fg[i] * alpha + bg[i] * (1 - alpha));
  const [a, b] = [lum(seen), lum(bg)].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}"""


@pytest.fixture
def phone(browser, live_server):
    """A resident on a phone with large text."""
    context = new_context(browser, viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, live_server.url, "resident2@demo.jiayuan.cn")
    if page.get_attribute("[data-testid=large-text]", "aria-pressed") != "true":
        page.click("[data-testid=large-text]")
        page.wait_for_load_state("load")
    yield page
    context.close()


def test_time_is_up_stays_readable_through_its_blinking(browser, live_server):
    """The big screen's countdown when the slot is over: at least 4.5:1 at every moment."""
    base = live_server.url
    hearing_id = create_hearing(base)
    context = new_context(browser, viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    log_in(page, base, "moderator@demo.jiayuan.cn")
    page.goto(f"{base}/hearings/{hearing_id}/screen")
    page.evaluate("document.querySelector('[data-testid=slot]').dataset.state = 'over'")
    countdown = page.locator("[data-testid=slot] .countdown")
    ratios = []
    for moment in (0, 250, 500, 750):
        ratios.append(
            countdown.evaluate(
                f"el => {{ el.getAnimations().forEach(a => {{ a.pause(); a.currentTime = {moment}; }});"
                f" return ({CONTRAST})(el); }}"
            )
        )
    context.close()
    assert min(ratios) >= 4.5, ratios


@pytest.mark.parametrize("path", ["/rounds/1", "/rounds/1/compare?p=1&p=2", "/rounds/2", "/proposals/1"])
def test_on_a_phone_with_large_text_map_controls_stay_apart_and_leave_the_map_seen(phone, live_server, path):
    phone.goto(live_server.url + path)
    frame = phone.locator(".map-frame .leaflet-container").first
    frame.scroll_into_view_if_needed()
    boxes = frame.evaluate(
        """map => {
          const box = el => {
            const r = el.getBoundingClientRect();
            return [r.left, r.top, r.right, r.bottom];
          };
          const all = sel => [...map.querySelectorAll(sel)].filter(e => e.offsetParent).map(box);
          return {map: box(map), zoom: all('.leaflet-control-zoom'),
                  layers: all('.leaflet-control-layers'), legend: all('.jiayuan-legend')};
        }"""
    )

    def overlap(a, b):
        return max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))

    def area(a):
        return (a[2] - a[0]) * (a[3] - a[1])

    for zoom in boxes["zoom"]:
        for other in boxes["layers"] + boxes["legend"]:
            assert overlap(zoom, other) == 0, (path, boxes)
    covered = sum(area(box) for box in boxes["layers"] + boxes["legend"])
    assert covered <= 0.25 * area(boxes["map"]), (path, covered / area(boxes["map"]), boxes)


def test_need_pins_are_drawn_unlike_any_proposed_feature(page, live_server):
    """A resident's need is never mistaken for a bench or a light: its own shape, not a colour."""
    log_in(page, live_server.url, "resident2@demo.jiayuan.cn")
    page.goto(live_server.url + "/rounds/2")
    styles = page.evaluate(
        """() => [...document.querySelectorAll('.leaflet-overlay-pane path[data-layer-group]')].map(p => ({
              need: p.dataset.layerGroup === 'needs', fill: p.getAttribute('fill'),
              dash: p.getAttribute('stroke-dasharray')}))"""
    )
    needs = [s for s in styles if s["need"]]
    features = [s for s in styles if not s["need"]]
    assert needs, styles
    assert all(s["dash"] and s["fill"] == "#ffffff" for s in needs), needs
    assert not any(s["dash"] and s["fill"] == "#ffffff" for s in features), features


def test_a_long_link_in_a_comment_does_not_widen_the_page_on_a_phone(phone, live_server):
    base = live_server.url
    hearing_id = create_hearing(base)
    client = socketio.Client()
    client.connect(base, namespaces=["/hearing"], auth={"token": token(base, "resident3@demo.jiayuan.cn")})
    client.call("join", {"hearing_id": hearing_id}, namespace="/hearing", timeout=10)
    ack = client.call(
        "comment",
        {"hearing_id": hearing_id, "client_id": "long-link", "body": f"See {LONG_LINK}"},
        namespace="/hearing",
        timeout=10,
    )
    client.disconnect()
    assert ack["ok"], ack
    phone.goto(f"{base}/hearings/{hearing_id}")
    phone.locator(f"text={LONG_LINK[:40]}").first.wait_for()
    width = phone.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], width
