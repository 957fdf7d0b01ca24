"""What each worker does for its live hearings and drafts while nobody speaks.

Every LIVE_SYNC_SECONDS it vouches for the presence of the connections it holds, forgets
presence that no worker has vouched for within a minute (its worker died), and sends each
hearing it serves ``sync {hearing_id, latest_seq}`` and each draft ``draft_sync
{proposal_id, seq}``: a client holding less than that joins again and catches up from the
database. It does the same at once when the message queue comes back after an outage
(message_queue.py). Every send here is local (no message queue): each worker tells its
own clients, from the shared database.
"""

from __future__ import annotations

import logging
import re
import threading

from flask import Flask
from sqlalchemy import func, select

from deliberation import codesign, presence
from deliberation.extensions import db, socketio
from deliberation.models import Comment
from deliberation.publish import DESIGN_NAMESPACE, NAMESPACE, Event, draft_room, hearing_room

log = logging.getLogger("jiayuan.live")
HEARING_ROOM = re.compile(r"^hearing:(\d+)$")
DRAFT_ROOM = re.compile(r"^draft:(\d+)$")

# The connections this process holds that joined a hearing (their presence is ours to renew).
LOCAL_SIDS: set[str] = set()
_started: set[int] = set()
_start_lock = threading.Lock()


def _served(namespace: str, pattern: re.Pattern) -> list[int]:
    rooms = socketio.server.manager.rooms.get(namespace, {}) if socketio.server else {}
    return sorted(
        int(m.group(1))
        for room, members in list(rooms.items())
        if members and (m := pattern.match(room or ""))
    )


def served_hearings() -> list[int]:
    """The hearings some client of this process has joined."""
    return _served(NAMESPACE, HEARING_ROOM)


def served_drafts() -> list[int]:
    """The drafts (by proposal) some client of this process has opened."""
    return _served(DESIGN_NAMESPACE, DRAFT_ROOM)


def sync_served(app: Flask) -> int:
    """Tell every hearing and draft this process serves its latest seq; how many were told."""
    return _sync_hearings(app) + _sync_drafts(app)


def _sync_drafts(app: Flask) -> int:
    served = served_drafts()
    if not served:
        return 0
    with app.app_context():
        try:
            latest = codesign.latest_seqs(served)
        finally:
            db.session.remove()
    for proposal_id in served:
        payload = {"proposal_id": proposal_id, "seq": latest.get(proposal_id, 0)}
        room = draft_room(proposal_id)
        socketio.emit(Event.DRAFT_SYNC, payload, namespace=DESIGN_NAMESPACE, to=room, ignore_queue=True)
    return len(served)


def _sync_hearings(app: Flask) -> int:
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
    """Renew this process's presence, forget dead workers' presence, and sync served hearings
    and drafts."""
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
