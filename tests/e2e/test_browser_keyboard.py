"""Without a mouse, in the elder mode: a new resident turns the elder mode on, pins a need in
a part of the courtyard chosen from a list, comments in a hearing, ranks the garden plans and
objects to a decision, with the keyboard alone; the focus can be seen at every step. Then
read-aloud: a need, a comment and the decision are spoken in Chinese where the device has a
Chinese voice, and the page says so where it has none.

Every step reaches its control by pressing Tab (never by clicking or focusing it from the
test) and works it with Enter, Space, the arrow keys and typing. The live server is shared
with the other browser tests: numbers are compared before and after, never taken as given.
"""

from __future__ import annotations

import uuid

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.conftest import new_context, wait_until
from tests.e2e.test_browser_closing import RATIONALE, bearer, call, fresh_deciding_round
from tests.e2e.test_browser_rounds import new_member
from tests.e2e.test_live_servers import create_hearing

pytestmark = pytest.mark.e2e

PASSWORD = "jiayuan-demo"
HALF_COURT, COURTYARD, GARDEN = 1, 2, 4  # the demo's rounds: hearing, needs, deciding

# A device with a Chinese voice (or, with CHINESE=false, only an English one), whose speech
# is recorded instead of played. The page's script cannot tell it from the real thing.
FAKE_SPEECH = """
(() => {
  const chinese = %s;
  window.spoken = [];
  class Utterance extends EventTarget {
    constructor(text) { super(); this.text = text; this.lang = ""; this.voice = null; this.rate = 1; }
  }
  const voices = [{name: "Alex", lang: "en-US", localService: true, default: !chinese, voiceURI: "alex"}];
  if (chinese) voices.push({name: "Tingting", lang: "zh-CN", localService: true, voiceURI: "tt"});
  const synth = {
    getVoices: () => voices, cancel() {}, addEventListener() {}, speaking: false,
    speak(utterance) {
      window.spoken.push({text: utterance.text, lang: utterance.lang});
      setTimeout(() => utterance.dispatchEvent(new Event("end")), 50);
    },
  };
  Object.defineProperty(window, "speechSynthesis", {value: synth, configurable: true});
  window.SpeechSynthesisUtterance = Utterance;
})();
"""


def tab_to(page, selector: str, limit: int = 250) -> None:
    """Press Tab until the focus is on ``selector``, which must show that it has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(
            "(s) => Boolean(document.activeElement && document.activeElement.matches(s))", selector
        ):
            visible = page.evaluate(
                """() => {
                  const style = getComputedStyle(document.activeElement);
                  return (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2)
                    || style.boxShadow !== "none";
                }"""
            )
            assert visible, f"the focus on {selector} cannot be seen"
            return
    raise AssertionError(f"Tab never reached {selector}")


def press_until(page, key: str, expression: str, limit: int = 12) -> None:
    """Press a key until a JavaScript expression holds (an arrow key through a radio group)."""
    for _ in range(limit):
        if page.evaluate(expression):
            return
        page.keyboard.press(key)
    assert page.evaluate(expression), expression


def keyboard_log_in(page, base: str, email: str) -> None:
    page.goto(base + "/login")
    tab_to(page, "input[name=email]")
    page.keyboard.type(email)
    tab_to(page, "input[name=password]")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == base + "/"


@pytest.fixture
def keyboard_page(browser):
    context = new_context(browser, viewport={"width": 1280, "height": 900})
    context.add_init_script(FAKE_SPEECH % "true")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_a_resident_takes_part_with_the_keyboard_alone(keyboard_page, live_server):
    page, base = keyboard_page, live_server.url
    email = new_member(base)
    keyboard_log_in(page, base, email)
    tab_to(page, "[data-testid=large-text]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "large-text" in page.get_attribute("html", "class")

    # A need, placed without a pointer: "a part of the site, from a list".
    api = f"{base}/api/v1/rounds/{COURTYARD}/needs"
    before = len(requests.get(api, headers=bearer(base, email), timeout=10).json()["features"])
    page.goto(f"{base}/rounds/{COURTYARD}")
    tab_to(page, "input[name=place]:checked")
    press_until(page, "ArrowDown", "document.querySelector('input[name=place][value=part]').checked")
    tab_to(page, "#need-part")
    press_until(page, "ArrowDown", "document.querySelector('#need-part').value === 'sw'")
    place = page.evaluate("document.querySelector('#need-part').selectedOptions[0].textContent")
    expect(page.get_by_test_id("place-status")).to_contain_text(place)
    tab_to(page, "#need-category")
    press_until(page, "ArrowDown", "document.querySelector('#need-category').value === 'seating'")
    tab_to(page, "#need-text")
    text = f"门口放两张长椅 {uuid.uuid4().hex[:6]}"
    page.keyboard.type(text)
    tab_to(page, "[data-testid=pin-need]")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("need-message")).to_have_attribute("data-kind", "ok")
    item = page.get_by_test_id("needs-list").locator("li.need", has_text=text)
    # where it is, in words: the part chosen, and what of the courtyard's own is by it
    expect(item.locator(".need-where")).to_have_text(f"({place}，靠近出入口)")
    layer = requests.get(api, headers=bearer(base, email), timeout=10).json()
    assert len(layer["features"]) == before + 1
    mine = next(f for f in layer["features"] if f["properties"]["text"] == text)
    assert mine["geometry"]["type"] == "Point" and mine["properties"]["category"] == "seating"

    # Read aloud, by the keyboard too: the need's words, in Chinese, by a Chinese voice.
    tab_to(page, f'li.need[data-need-id="{mine["id"]}"] [data-testid=read-aloud]')
    page.keyboard.press("Enter")
    wait_until(page, "window.spoken.length === 1")
    spoken = page.evaluate("window.spoken[0]")
    assert text in spoken["text"] and place in spoken["text"] and spoken["lang"] == "zh-CN"

    # A comment in a hearing.
    page.goto(f"{base}/hearings/{create_hearing(base)}")  # on the half court
    expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "connected")
    tab_to(page, "[data-testid=compose-body]")
    comment = f"晚上灯光再亮一些 {uuid.uuid4().hex[:6]}"
    page.keyboard.type(comment)
    tab_to(page, "[data-testid=compose-send]")
    page.keyboard.press("Enter")
    mine_in_thread = page.locator("[data-testid=comment]", has_text=comment)
    expect(mine_in_thread).to_have_count(1)
    comment_id = mine_in_thread.get_attribute("data-comment-id")
    tab_to(page, f'li[data-comment-id="{comment_id}"] > [data-testid=read-aloud]')
    page.keyboard.press("Space")
    wait_until(page, "window.spoken.length === 1")  # a new page: a new record
    assert page.evaluate("window.spoken[0].text") == f"E2E 居民: {comment}"

    # A ranking: the last plan to the top with its "up" button, pressed twice.
    page.goto(f"{base}/rounds/{GARDEN}/ballot")
    start = page.locator("#ranking > li").evaluate_all(
        "items => items.map(i => Number(i.dataset.proposalId))"
    )
    tab_to(page, "#ranking > li:nth-child(3) .rank-up")
    page.keyboard.press("Enter")
    # the focus stays on the button that moved with its proposal, which can go up again
    assert page.evaluate("document.activeElement.closest('li').dataset.proposalId") == str(start[2])
    page.keyboard.press("Enter")
    tab_to(page, "[data-testid=submit-ballot]")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("ballot-message")).to_have_attribute("data-kind", "ok")
    ballot = requests.get(f"{base}/api/v1/rounds/{GARDEN}/ballot", headers=bearer(base, email), timeout=10)
    assert ballot.json()["ranking"] == [start[2], start[0], start[1]]

    # An objection to a decision (a round of its own, decided by the branch).
    round_ = fresh_deciding_round(base)
    call(
        "POST",
        f"{base}/api/v1/rounds/{round_['id']}/decision",
        bearer(base, "secretary@demo.jiayuan.cn"),
        proposal_id=round_["shade"],
        rationale=RATIONALE,
    )
    page.goto(f"{base}/rounds/{round_['id']}/decision")
    tab_to(page, "[data-testid=rationale] + [data-testid=read-aloud]")
    page.keyboard.press("Enter")
    wait_until(page, "window.spoken.length === 1")
    said = page.evaluate("window.spoken[0].text")
    assert said.startswith("选定方案: 树荫花园 A shade garden.") and RATIONALE in said
    tab_to(page, "#objection-text")
    objection = f"树荫花园的座椅离门口太远 {uuid.uuid4().hex[:6]}"
    page.keyboard.type(objection)
    tab_to(page, "#object-form button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("objection").filter(has_text=objection)).to_have_count(1)


@pytest.mark.parametrize(
    ("device", "message"),
    [
        (FAKE_SPEECH % "false", "这台设备没有朗读中文的语音"),
        ("delete window.speechSynthesis;", "这个浏览器不能朗读"),
    ],
    ids=["no Chinese voice", "no speech at all"],
)
def test_read_aloud_says_so_where_the_device_cannot(browser, live_server, device, message):
    base = live_server.url
    context = new_context(browser)
    context.add_init_script(device)
    page = context.new_page()
    try:
        keyboard_log_in(page, base, "resident2@demo.jiayuan.cn")
        page.goto(f"{base}/rounds/{COURTYARD}")
        if "large-text" not in (page.get_attribute("html", "class") or ""):
            with page.expect_navigation():
                page.get_by_test_id("large-text").click()
        button = page.locator("li.need [data-testid=read-aloud]").first
        button.click()
        expect(page.get_by_test_id("read-aloud-status").first).to_contain_text(message)
        assert button.get_attribute("aria-pressed") == "false"
        assert page.evaluate("(window.spoken || []).length") == 0
    finally:
        context.close()


def test_the_big_screen_says_its_map_in_words_on_request(browser, live_server):
    base = live_server.url
    moderator = bearer(base, "moderator@demo.jiayuan.cn")
    hearing_id = create_hearing(base)  # on the half court
    # no running order yet: the map shows the round's first active proposal
    proposals = call("GET", f"{base}/api/v1/rounds/{HALF_COURT}/proposals", moderator)["proposals"]
    first = min((p for p in proposals if p["status"] == "active"), key=lambda p: p["id"])
    context = new_context(browser, viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    try:
        keyboard_log_in(page, base, "moderator@demo.jiayuan.cn")
        page.goto(f"{base}/hearings/{hearing_id}/screen")
        panel = page.get_by_test_id("screen-words")
        expect(panel).to_be_hidden()
        tab_to(page, "[data-testid=screen-words-toggle]")
        page.keyboard.press("Enter")
        expect(panel).to_be_visible()
        assert page.get_attribute("[data-testid=screen-words-toggle]", "aria-expanded") == "true"
        expect(panel.locator("h2")).to_have_text(first["title"])
        expect(panel.locator("li").first).to_contain_text("场地约")
        expect(panel).to_contain_text("半场篮球场")
        page.keyboard.press("Enter")
        expect(panel).to_be_hidden()
    finally:
        context.close()
