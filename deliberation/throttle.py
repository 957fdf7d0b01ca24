"""Login throttling: wrong passwords are counted per account and per address, in a store
every worker shares (the Redis message queue's server when there is one; this process's
memory when it serves alone), with the ``limits`` library's moving windows."""

from __future__ import annotations

import math
import time

from flask import current_app
from flask_babel import gettext as _
from limits import RateLimitItem, parse, storage, strategies

from deliberation.errors import TooManyRequests

# An account may be guessed at ten times a minute; an address (a community room behind one
# router holds many people) thirty.
PER_ACCOUNT = parse("10/minute")
PER_ADDRESS = parse("30/minute")
EXTENSION = "jiayuan_throttle"


def init_app(app) -> None:
    """Give the app its counter store: Redis when the app has a message queue, else memory."""
    redis_url = app.config.get("REDIS_URL")
    store = (
        storage.RedisStorage(redis_url, key_prefix=f"{app.config['REDIS_CHANNEL']}:throttle")
        if redis_url
        else storage.MemoryStorage()
    )
    app.extensions[EXTENSION] = strategies.MovingWindowRateLimiter(store)


def _limiter() -> strategies.MovingWindowRateLimiter:
    return current_app.extensions[EXTENSION]


def _keys(email: str, address: str | None) -> list[tuple[RateLimitItem, str, str]]:
    return [(PER_ACCOUNT, "account", email.strip().lower()), (PER_ADDRESS, "address", address or "-")]


def check_login(email: str, address: str | None) -> None:
    """Refuse (429, with Retry-After) while this account or address has too many recent failures."""
    limiter = _limiter()
    for limit, kind, key in _keys(email, address):
        if not limiter.test(limit, "login", kind, key):
            reset_at, _remaining = limiter.get_window_stats(limit, "login", kind, key)
            wait = max(1, math.ceil(reset_at - time.time()))
            raise TooManyRequests(
                _("Too many wrong passwords. Please wait %(n)d seconds and try again.", n=wait),
                retry_after=wait,
            )


def record_failure(email: str, address: str | None) -> None:
    """Count one wrong password against the account and the address."""
    limiter = _limiter()
    for limit, kind, key in _keys(email, address):
        limiter.hit(limit, "login", kind, key)
