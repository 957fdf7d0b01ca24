"""Real servers and a real browser: ``python app.py`` under gevent, driven by Debian's Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.services import CHROMIUM, require

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# What a server process inherits from the caller: enough to run Python and find files.
# Everything the app reads is set below, so a developer's own DISPLAY_TIMEZONE,
# DEFAULT_LANGUAGE, REDIS_URL or TZ never changes what the tests see.
INHERITED_VARIABLES = ("PATH", "HOME", "TMPDIR", "SYSTEMROOT", "VIRTUAL_ENV")
DISPLAY_TIMEZONE = "Asia/Shanghai"


def server_environment(database_url: str, port: int, **extra: str) -> dict[str, str]:
    """The whole environment of a test's server or command: pinned, never the caller's."""
    env = {k: os.environ[k] for k in INHERITED_VARIABLES if k in os.environ}
    env.update(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "e2e-secret",
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "DISPLAY_TIMEZONE": DISPLAY_TIMEZONE,
            "DEFAULT_LANGUAGE": "zh-CN",
            "TZ": "UTC",
            "LANG": "C.UTF-8",
            "FLASK_APP": "app.py",
            "PYTHONUNBUFFERED": "1",
            **extra,
        }
    )
    return env


def prepare_database(env: dict[str, str]) -> None:
    """Create the schema by its migrations and load the demo, as the README's run command does."""
    for command in (["db", "upgrade"], ["seed-demo"]):
        subprocess.run(
            [sys.executable, "-m", "flask", *command], cwd=ROOT, env=env, check=True, capture_output=True
        )


class LiveServer:
    """A ``python app.py`` process on a free port."""

    def __init__(self, env: dict[str, str], log: Path):
        self.port = int(env["PORT"])
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._handle = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "app.py"], cwd=ROOT, env=env, stdout=self._handle, stderr=subprocess.STDOUT
        )
        self.wait_until_up()

    def wait_until_up(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited: {self.log.read_text()}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError(f"the server did not come up: {self.log.read_text()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._handle.close()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[LiveServer]:
    """The app with the demo data on a fresh SQLite file, in demo mode."""
    folder = tmp_path_factory.mktemp("live")
    env = server_environment(f"sqlite:///{folder / 'jiayuan.sqlite3'}", free_port(), JIAYUAN_DEMO="1")
    prepare_database(env)
    server = LiveServer(env, folder / "server.log")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator:
    require("browser")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# Every Content-Security-Policy violation any page of the running test reported.
CSP_VIOLATIONS: list[str] = []


def new_context(browser, **options):
    """A fresh browser context in the neighbourhood's language and time zone, whatever the
    machine's, whose pages report any CSP violation (the test then fails)."""
    context = browser.new_context(**{"locale": "zh-CN", "timezone_id": DISPLAY_TIMEZONE, **options})
    context.on(
        "console",
        lambda message: (
            CSP_VIOLATIONS.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return context


@pytest.fixture(autouse=True)
def no_csp_violations():
    """No page of a browser test may break the Content-Security-Policy (the maps included)."""
    CSP_VIOLATIONS.clear()
    yield
    assert CSP_VIOLATIONS == [], CSP_VIOLATIONS


def wait_until(page, expression: str, *, timeout: float = 10.0, interval: float = 0.1) -> None:
    """Wait until a JavaScript expression is true in the page. (Playwright's wait_for_function
    compiles its predicate with eval inside the page, which the CSP rightly forbids; this
    evaluates through the browser's debugging protocol instead.)"""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if page.evaluate(expression):
                return
        except Exception:  # the page is navigating: try again
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"never true: {expression}")
        time.sleep(interval)


@pytest.fixture
def page(browser, live_server) -> Iterator:
    """A fresh browser context (no cookies) with a page that records every request it makes."""
    context = new_context(browser, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.requested_urls = []
    page.on("request", lambda request: page.requested_urls.append(request.url))
    page.set_default_timeout(10_000)
    yield page
    context.close()
