"""In a real browser: a demo resident logs in, switches language both ways, turns on large text."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from tests.e2e.conftest import new_context

pytestmark = pytest.mark.e2e


def other_hosts(urls: list[str], base: str) -> list[str]:
    app = urlparse(base).netloc
    return [
        u for u in urls if urlparse(u).scheme in ("http", "https", "ws", "wss") and urlparse(u).netloc != app
    ]


def log_in(page, base: str, email: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", "jiayuan-demo")
    page.click("form button[type=submit].primary")
    page.wait_for_url(base + "/")


def test_a_resident_logs_in_switches_language_and_turns_on_large_text(page, live_server):
    base = live_server.url
    page.goto(base + "/login")
    assert page.locator("[data-testid=demo-accounts]").is_visible()
    assert "resident1@demo.jiayuan.cn" in page.inner_text("[data-testid=demo-accounts]")

    log_in(page, base, "resident1@demo.jiayuan.cn")
    assert page.get_attribute("html", "lang") == "zh-CN"
    assert page.locator("nav >> text=首页").is_visible()
    assert page.locator("text=半场改造 Renewing the half court").is_visible()

    page.click("[data-testid=language-en]")
    page.wait_for_load_state()
    assert page.get_attribute("html", "lang") == "en"
    assert page.locator("nav >> text=Home").is_visible()
    assert page.locator("text=Hearings").first.is_visible()

    page.click("[data-testid=language-zh-CN]")
    page.wait_for_load_state()
    assert page.get_attribute("html", "lang") == "zh-CN"
    assert page.locator("nav >> text=首页").is_visible()

    size_before = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    page.click("[data-testid=large-text]")
    page.wait_for_load_state()
    assert "large-text" in (page.get_attribute("html", "class") or "")
    size_after = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert size_after >= size_before * 1.25

    page.reload()  # the choices persist
    assert "large-text" in (page.get_attribute("html", "class") or "")
    assert page.get_attribute("html", "lang") == "zh-CN"

    assert page.requested_urls, "the page made no requests at all"
    assert other_hosts(page.requested_urls, base) == []


@pytest.mark.parametrize("viewport", [{"width": 360, "height": 740}, {"width": 1920, "height": 1080}])
def test_pages_fit_a_phone_and_a_projector(browser, live_server, viewport):
    context = new_context(browser, viewport=viewport)
    page = context.new_page()
    base = live_server.url
    log_in(page, base, "resident5@demo.jiayuan.cn")
    for path in ("/", "/profile", "/rounds/1"):
        page.goto(base + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {viewport}"
    context.close()
