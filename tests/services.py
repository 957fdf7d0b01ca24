"""The outside services some tests need, and what to do when one is missing.

A test needing PostgreSQL, Redis, Chromium or Node.js (with npm's socket.io-client)
fails when the service is missing, unless JIAYUAN_SKIP_SERVICES names it (e.g.
``postgresql,redis,browser,node``) on a machine that lacks it.  CI names none, so
there every such test runs.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

POSTGRES_URL = os.environ.get(
    "JIAYUAN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("JIAYUAN_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CHROMIUM = os.environ.get("JIAYUAN_CHROMIUM", "/usr/bin/chromium")
# The reference Socket.IO client, as npm ci installs it (package.json's dependencies).
SOCKET_IO_CLIENT = Path(__file__).resolve().parents[1] / "node_modules" / "socket.io-client" / "package.json"

# Names this test session gives to what it creates in the shared services (schemas,
# databases, Redis channels), so that two copies of the suite on one machine never meet.
SESSION_TAG = f"{os.getpid()}_{secrets.token_hex(3)}"
SESSION_REDIS_CHANNEL = f"jiayuan_test_{SESSION_TAG}"


def skipped_services() -> set[str]:
    raw = os.environ.get("JIAYUAN_SKIP_SERVICES", "")
    return {name.strip() for name in raw.split(",") if name.strip()}


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=2
        ):
            return True
    except OSError:
        return False


def require(service: str) -> None:
    """Fail (or skip, when allowed) unless ``service`` is available."""
    available = {
        "postgresql": lambda: _reachable(POSTGRES_URL, 5432),
        "redis": lambda: _reachable(REDIS_URL, 6379),
        "browser": lambda: shutil.which(CHROMIUM) is not None or os.path.exists(CHROMIUM),
        "node": lambda: shutil.which("node") is not None and SOCKET_IO_CLIENT.exists(),
    }[service]()
    if available:
        return
    if service in skipped_services():
        pytest.skip(f"{service} is not available and JIAYUAN_SKIP_SERVICES names it")
    pytest.fail(
        f"{service} is required but not available; start it, or set "
        f"JIAYUAN_SKIP_SERVICES={service} to skip these tests on this machine",
        pytrace=False,
    )


@contextlib.contextmanager
def fresh_postgres_database(purpose: str) -> Iterator[str]:
    """A new, empty PostgreSQL database of this test session's own for a test; its URL."""
    require("postgresql")
    name = f"jiayuan_{purpose}_{SESSION_TAG}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()
