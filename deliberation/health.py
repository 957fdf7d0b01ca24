"""A health check for proxies and schedulers: is the database and the message queue reachable?"""

from __future__ import annotations

import redis
from flask import Blueprint, current_app
from sqlalchemy import text

from deliberation.extensions import db

bp = Blueprint("health", __name__)


def database_ok() -> bool:
    """Whether the database answers; a connection that dropped since its last use is
    replaced and asked again before the answer is no."""
    for _attempt in range(2):
        try:
            db.session.execute(text("SELECT 1"))
            return True
        except Exception:
            db.session.rollback()
            db.session.remove()
    return False


def message_queue_status() -> str:
    """'ok', 'unreachable', or 'not configured' when one process serves alone."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return "not configured"

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
        client.close()
        return "ok"
    except redis.RedisError:
        return "unreachable"


@bp.get("/healthz")
def healthz():
    """200 when the app can serve; 503 naming the part that is down."""
    database = "ok" if database_ok() else "unreachable"
    queue = message_queue_status()
    healthy = database == "ok" and queue != "unreachable"
    return {"database": database, "message_queue": queue}, (200 if healthy else 503)
