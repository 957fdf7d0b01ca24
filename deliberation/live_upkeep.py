"""What each worker does for its live hearings while nobody speaks.

Every LIVE_SYNC_SECONDS it vouches for the presence of the connections it holds, forgets
presence that no worker has vouched for within a minute (its worker died), and sends each
hearing it serves ``sync {hearing_id, latest_seq}``: a client holding less than that joins
again and catches up from the database. It does the same at once when the message queue
comes back after an outage (message_queue.py). Every send here is local (no message
queue): each worker tells its own clients, from the shared database.
"""

from __future__ import annotations

import logging
import re
import threading

from flask import Flask
from sqlalchemy import func, select

from deliberation import presence
from deliberation.extensions import db, socketio
from deliberation.models import Comment
from deliberation.publish import NAMESPACE, Event, hearing_room

log = logging.getLogger("jiayuan.live")
HEARING_ROOM = re.compile(r"^hearing:(\d+)$")

# The connections this process holds that joined a hearing (their presence is ours to renew).
LOCAL_SIDS: set[str] = set()
_started: set[int] = set()
_start_lock = threading.Lock()


def served_hearings() -> list[int]:
    """The hearings some client of this process has joined."""
    rooms = socketio.server.manager.rooms.get(NAMESPACE, {}) if socketio.server else {}
    return sorted(
        int(m.group(1))
        for room, members in list(rooms.items())
        if members and (m := HEARING_ROOM.match(room or ""))
    )


def sync_served(app: Flask) -> int:
    """Tell every hearing this process serves its latest comment number; how many were told."""
    served = served_hearings()
    if not served:
        return 0
    with app.app_context():
        try:
            latest = dict(
                db.session.execute(
                    select(Comment.hearing_id, func.max(Comment.seq))
                    .where(Comment.hearing_id.in_(served))
                    .group_by(Comment.hearing_id)
                ).all()
            )
        finally:
            db.session.remove()
    for hearing_id in served:
        payload = {"hearing_id": hearing_id, "latest_seq": latest.get(hearing_id)}
        socketio.emit(
            Event.SYNC, payload, namespace=NAMESPACE, to=hearing_room(hearing_id), ignore_queue=True
        )
    return len(served)


def upkeep_once(app: Flask) -> None:
    """Renew this process's presence, forget dead workers' presence, and sync served hearings."""
    with app.app_context():
        try:
            presence.vouch_for(set(LOCAL_SIDS))
            presence.forget_vanished()
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("renewing presence failed; trying again in %s s", app.config["LIVE_SYNC_SECONDS"])
        finally:
            db.session.remove()
    sync_served(app)


def _loop(app: Flask) -> None:
    interval = float(app.config["LIVE_SYNC_SECONDS"])
    while True:
        socketio.sleep(interval)
        try:
            upkeep_once(app)
        except Exception:
            log.exception("live upkeep failed; trying again in %s s", interval)


def ensure_started(app: Flask) -> None:
    """Start this process's upkeep once (on its first live connection)."""
    if float(app.config.get("LIVE_SYNC_SECONDS") or 0) <= 0:
        return
    with _start_lock:
        if id(app) in _started:
            return
        _started.add(id(app))
    socketio.start_background_task(_loop, app)
