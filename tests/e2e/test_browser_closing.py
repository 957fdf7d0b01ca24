"""In a real browser: the branch secretary closes a pocket-garden round through the decision
page, choosing against the residents' ranking with a rationale that says why, and lands on the
notice period; a resident opens the printable notice and sees the plan drawn and the rationale."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import requests

from deliberation.demo import garden_layouts
from tests.e2e.conftest import new_context
from tests.e2e.test_browser_foundation import log_in, other_hosts

pytestmark = pytest.mark.e2e

PASSWORD = "jiayuan-demo"
RATIONALE = (
    "居民排序胜出的是草坪方案，但物业确认草坪下方有雨水管，不能开挖；树荫花园保留梧桐树，"
    "并为老人提供遮阴座位。The lawn plan won the ranking, but a storm drain runs under the lawn, "
    "so the branch chooses the shade garden."
)


def bearer(base: str, email: str) -> dict[str, str]:
    answer = requests.post(
        base + "/api/v1/auth/login", json={"email": email, "password": PASSWORD}, timeout=10
    )
    answer.raise_for_status()
    return {"Authorization": "Bearer " + answer.json()["token"]}


def call(method: str, url: str, headers: dict, **body) -> dict:
    answer = requests.request(method, url, headers=headers, json=body or None, timeout=30)
    assert answer.ok, (url, answer.status_code, answer.text)
    return answer.json()


def fresh_deciding_round(base: str, *, hearing: bool = False) -> dict:
    """A new round on the demo's pocket garden, brought to deciding with the demo's three plans.

    The live server is shared with other browser tests, so this test never relies on the
    demo's own round still deciding. Two residents rank the lawn plan first; then the
    moderator closes the ballots.
    """
    api = base + "/api/v1"
    moderator = bearer(base, "moderator@demo.jiayuan.cn")
    community = call("GET", api + "/communities", moderator)["communities"][0]
    sites = call("GET", f"{api}/communities/{community['id']}/sites", moderator)["sites"]
    garden = next(s for s in sites if "口袋花园" in s["name"])
    round_ = call(
        "POST",
        api + "/rounds",
        moderator,
        site_id=garden["id"],
        title="口袋花园第二期 " + uuid.uuid4().hex[:6],
        brief="Test round for closing",
        budget_cny=80_000,
    )
    call("POST", f"{api}/rounds/{round_['id']}/phase", moderator, phase="proposing", reason="需求已明确")
    ids = {}
    for title, summary, author, _partners, layout in garden_layouts():
        made = call(
            "POST",
            f"{api}/rounds/{round_['id']}/proposals",
            bearer(base, author),
            title=title,
            summary=summary,
            layout=layout,
        )
        ids[title] = made["id"]
    call("POST", f"{api}/rounds/{round_['id']}/phase", moderator, phase="hearing")
    hearing_id = None
    if hearing:
        hearing_id = call(
            "POST",
            f"{api}/rounds/{round_['id']}/hearings",
            moderator,
            title="嘉园夜话 Evening talk",
            starts_at=datetime.now(UTC).isoformat(),
            place="3号楼活动室",
        )["id"]
    call("POST", f"{api}/rounds/{round_['id']}/phase", moderator, phase="deciding")
    lawn, shade = ids["草坪与游戏 Lawn and play"], ids["树荫花园 A shade garden"]
    for email in ("resident1@demo.jiayuan.cn", "resident2@demo.jiayuan.cn"):
        call("PUT", f"{api}/rounds/{round_['id']}/ballot", bearer(base, email), ranking=[lawn, shade])
    call("POST", f"{api}/rounds/{round_['id']}/ballots/close", moderator)
    return {"id": round_["id"], "lawn": lawn, "shade": shade, "hearing": hearing_id}


def test_the_secretary_closes_the_round_and_a_resident_reads_the_notice(browser, live_server):
    base = live_server.url
    round_ = fresh_deciding_round(base)
    decision_url = f"{base}/rounds/{round_['id']}/decision"

    context = new_context(browser, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    page.set_default_timeout(10_000)
    log_in(page, base, "secretary@demo.jiayuan.cn")
    page.goto(decision_url)
    form = page.locator("[data-testid=decide-form]")
    assert form.is_visible()
    # The residents' choice is preselected and no warning shows.
    assert page.locator(f"[data-testid=choose-{round_['lawn']}]").is_checked()
    assert page.locator("[data-testid=against-tally]").is_hidden()

    page.locator(f"[data-testid=choose-{round_['shade']}]").check()
    warning = page.locator("[data-testid=against-tally]")
    assert warning.is_visible()
    assert "100" in warning.inner_text()
    page.fill("[data-testid=rationale-input]", "太短了 too short")
    page.click("[data-testid=decide-submit]")
    message = page.locator("[data-testid=decide-message]")
    message.filter(has_text="100").wait_for()  # the server's 422, shown as it is
    assert message.get_attribute("data-kind") == "error"

    page.fill("[data-testid=rationale-input]", RATIONALE)
    page.click("[data-testid=decide-submit]")
    page.locator("[data-testid=notice-period]").wait_for()
    assert page.url == decision_url
    assert page.locator("[data-testid=decide-form]").count() == 0
    assert "树荫花园" in page.inner_text("[data-testid=decision-plan]")
    assert page.locator("[data-testid=notice-state]").get_attribute("data-state") == "open"
    assert "公示期至" in page.inner_text("[data-testid=notice-state]")
    assert page.locator("[data-testid=departs]").is_visible()
    assert other_hosts(urls, base) == []
    context.close()

    context = new_context(browser, viewport={"width": 360, "height": 740})
    page = context.new_page()
    urls = []
    page.on("request", lambda request: urls.append(request.url))
    page.set_default_timeout(10_000)
    log_in(page, base, "resident5@demo.jiayuan.cn")
    page.goto(f"{base}/rounds/{round_['id']}/notice")
    plan = page.locator("[data-testid=notice-plan] svg")
    assert plan.is_visible()
    for feature in ("pergola", "seating", "tree-new-1", "plane-3"):
        assert page.locator(f"[data-testid=notice-plan] svg [data-id='{feature}']").count() >= 1, feature
    assert "树荫花园" in page.inner_text("[data-testid=notice-plan-title]")
    rationale = page.inner_text("[data-testid=notice-rationale]")
    assert "雨水管" in rationale and "storm drain" in rationale
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert urls and other_hosts(urls, base) == []
    context.close()


def test_a_residents_hearing_page_shows_the_decision_without_reloading(browser, live_server):
    base = live_server.url
    round_ = fresh_deciding_round(base, hearing=True)

    resident_context = new_context(browser, viewport={"width": 360, "height": 740})
    resident = resident_context.new_page()
    resident_urls: list[str] = []
    resident.on("request", lambda request: resident_urls.append(request.url))
    resident.set_default_timeout(10_000)
    log_in(resident, base, "resident3@demo.jiayuan.cn")
    resident.goto(f"{base}/hearings/{round_['hearing']}")
    resident.locator("[data-testid=connection][data-state=connected]").wait_for()
    resident.evaluate("window.__notReloaded = true")
    banner = resident.locator("[data-testid=banner]")
    assert banner.is_hidden()

    secretary_context = new_context(browser, viewport={"width": 1280, "height": 800})
    secretary = secretary_context.new_page()
    secretary.set_default_timeout(10_000)
    log_in(secretary, base, "secretary@demo.jiayuan.cn")
    secretary.goto(f"{base}/rounds/{round_['id']}/decision")
    secretary.locator(f"[data-testid=choose-{round_['shade']}]").check()
    secretary.fill("[data-testid=rationale-input]", RATIONALE)
    secretary.click("[data-testid=decide-submit]")
    secretary.locator("[data-testid=notice-period]").wait_for()

    banner.filter(has_text="树荫花园").wait_for()
    text = banner.inner_text()
    assert "雨水管" in text  # the reasons, as the secretary wrote them
    assert resident.evaluate("window.__notReloaded === true")  # no reload happened
    assert banner.locator("a").get_attribute("href").endswith(f"/rounds/{round_['id']}/decision")
    assert other_hosts(resident_urls, base) == []
    secretary_context.close()
    resident_context.close()
