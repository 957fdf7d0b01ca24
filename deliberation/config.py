"""Configuration read from the environment, with safe defaults."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from geo import MAX_LAYOUT_BYTES

TRUE_WORDS = {"1", "true", "yes", "on"}


def env_flag(name: str, default: bool = False, *, environ: Mapping[str, str] = os.environ) -> bool:
    """Read a yes/no environment variable."""
    value = environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in TRUE_WORDS


def instance_secret_key(instance_path: str) -> str:
    """The secret key kept in the instance folder, generated once on first use."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # Written with owner-only permissions: the key signs sessions and API tokens.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def protect_sqlite_file(database_uri: str) -> None:
    """Make the embedded database file (and so its WAL and shared-memory files, which SQLite
    creates with the same mode) readable by this user only: it holds people's data."""
    prefix = "sqlite:///"
    if not database_uri.startswith(prefix) or database_uri in (prefix, prefix + ":memory:"):
        return
    path = Path(database_uri[len(prefix) :].split("?")[0])
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if file.exists():
            file.chmod(0o600)


def normalise_database_url(url: str) -> str:
    """Let ``postgres://`` and ``postgresql://`` URLs use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def config_from_environment(
    instance_path: str, environ: Mapping[str, str] = os.environ, *, need_secret: bool = True
) -> dict[str, Any]:
    """Build the app's configuration from environment variables (``environ``)."""
    database_url = environ.get("DATABASE_URL") or (
        "sqlite:///" + str(Path(instance_path) / "jiayuan.sqlite3")
    )
    return {
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "REDIS_URL": environ.get("REDIS_URL") or None,
        # Processes that share one Redis exchange live events on this channel; two
        # deployments (or two test runs) on one Redis each need their own.
        "REDIS_CHANNEL": environ.get("REDIS_CHANNEL") or "jiayuan",
        "SECRET_KEY": environ.get("SECRET_KEY")
        or (instance_secret_key(instance_path) if need_secret else None),
        "HOST": environ.get("HOST", "127.0.0.1"),
        "PORT": int(environ.get("PORT", "5000")),
        "DEMO_MODE": env_flag("JIAYUAN_DEMO", environ=environ),
        "BABEL_DEFAULT_LOCALE": environ.get("DEFAULT_LANGUAGE", "zh_CN").replace("-", "_"),
        # Dates on pages and notices are shown in the neighbourhood's time zone.
        "BABEL_DEFAULT_TIMEZONE": environ.get("DISPLAY_TIMEZONE", "Asia/Shanghai"),
        "SOCKETIO_ASYNC_MODE": environ.get("SOCKETIO_ASYNC_MODE", "gevent"),
        # How many proxies in front (nginx: 1) may tell the client's address and scheme;
        # without it X-Forwarded-* headers are ignored, so nobody can pose as HTTPS or
        # as another address to the login throttle.
        "TRUSTED_PROXIES": int(environ.get("TRUSTED_PROXIES") or 0),
        "LIVE_SYNC_SECONDS": float(environ.get("LIVE_SYNC_SECONDS") or 15),
        "PRESENCE_TTL_SECONDS": float(environ.get("PRESENCE_TTL_SECONDS") or 60),
        "TILE_URL": environ.get("TILE_URL") or None,
        "TILE_ATTRIBUTION": environ.get("TILE_ATTRIBUTION", ""),
    }


DEFAULTS: dict[str, Any] = {
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    # Layouts travel over HTTP; a body larger than the largest layout plus room for a
    # title and summary is refused with 413.
    "MAX_CONTENT_LENGTH": MAX_LAYOUT_BYTES + 64 * 1024,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    # A month, not Flask-Login's year; logging out anywhere ends it sooner (User.get_id).
    "REMEMBER_COOKIE_DURATION": timedelta(days=30),
    "LANGUAGES": ["zh_CN", "en"],
    "BABEL_TRANSLATION_DIRECTORIES": "deliberation/translations",
    "API_TOKEN_MAX_AGE": 30 * 24 * 3600,
    "WTF_CSRF_TIME_LIMIT": None,
    "PASSWORD_HASH_METHOD": "scrypt",
    # Presence counts go out at most this often per hearing (a crowd arriving at once).
    "LIVE_COALESCE_SECONDS": 1.0,
    # flask-smorest: the OpenAPI document at /api/v1/openapi.json
    "API_TITLE": "Jiayuan",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.1.0",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "API_SPEC_OPTIONS": {
        "info": {"description": "Participatory design and deliberation for neighbourhood shared spaces."},
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"},
                "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "session"},
            }
        },
        "security": [{"bearerAuth": []}, {"cookieAuth": []}],
    },
}


# Tests never read the environment: a developer's DISPLAY_TIMEZONE, REDIS_URL or
# DEFAULT_LANGUAGE must not change what they see. They start from the defaults an empty
# environment gives, then these.
TEST_OVERRIDES: dict[str, Any] = {
    "TESTING": True,
    "SQLALCHEMY_DATABASE_URI": "sqlite://",
    "SECRET_KEY": "test-secret",
    "WTF_CSRF_ENABLED": False,
    "SOCKETIO_ASYNC_MODE": "threading",
    "DEMO_MODE": False,
    # A cheap hash keeps the suite fast; production keeps scrypt.
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    "LIVE_COALESCE_SECONDS": 0,
    # No background upkeep in tests: they call live_upkeep.upkeep_once when they mean it.
    "LIVE_SYNC_SECONDS": 0,
}
