"""Live events: operations queue them, and they are sent only once the transaction commits.

An operation calls ``publish_after_commit``; the event waits on the database session and
goes out to the Socket.IO room when that session commits (through the Redis message
queue when several processes serve), or is dropped when it rolls back. So no client
ever hears of a change that was not stored.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from deliberation.extensions import db, socketio

NAMESPACE = "/hearing"
DESIGN_NAMESPACE = "/design"
# Logging out ends a person's connections in every live namespace.
LIVE_NAMESPACES = (NAMESPACE, DESIGN_NAMESPACE)
PENDING_KEY = "jiayuan_pending_events"


class Event(StrEnum):
    """Server-to-room event names, as the contract spells them."""

    COMMENT = "comment"
    COMMENT_HIDDEN = "comment_hidden"
    REACTIONS = "reactions"
    SLOT = "slot"
    POLL = "poll"
    PRESENCE = "presence"
    PHASE = "phase"
    BALLOTS = "ballots"
    CLOSED = "closed"
    SESSION_ENDED = "session_ended"
    SYNC = "sync"
    # co-design (DESIGN_NAMESPACE)
    DRAFT_OP = "draft_op"
    DRAFT_PRESENCE = "draft_presence"
    DRAFT_SUBMITTED = "draft_submitted"
    DRAFT_SYNC = "draft_sync"


def round_room(round_id: int) -> str:
    """Everyone watching a round, in any of its hearings or on its pages."""
    return f"round:{round_id}"


def user_room(user_id: int) -> str:
    """Every open connection of one person (to end them all at logout)."""
    return f"user:{user_id}"


def hearing_room(hearing_id: int) -> str:
    """Everyone in a hearing: slots, polls, presence, moderation."""
    return f"hearing:{hearing_id}"


def hearing_people_room(hearing_id: int) -> str:
    """The hearing's members of the community: comments as they see them, with names."""
    return f"hearing:{hearing_id}:people"


def hearing_public_room(hearing_id: int) -> str:
    """Everyone else in the hearing: comments without names."""
    return f"hearing:{hearing_id}:public"


def draft_room(proposal_id: int) -> str:
    """A proposal's design team in its draft (DESIGN_NAMESPACE)."""
    return f"draft:{proposal_id}"


@dataclass(frozen=True)
class PendingEvent:
    name: str
    payload: dict[str, Any]
    room: str
    namespace: str = NAMESPACE
    skip_sid: str | None = None


@dataclass(frozen=True)
class CoalescedEvent:
    """An event whose payload is computed when it is sent, at most once per interval and key."""

    key: tuple
    name: str
    compute: Callable[[], dict[str, Any]]
    room: str


def publish_after_commit(
    session: Session,
    name: Event,
    payload: dict[str, Any],
    *,
    room: str,
    namespace: str = NAMESPACE,
    skip_sid: str | None = None,
) -> None:
    """Queue an event to send once ``session`` commits (to everyone in ``room`` but ``skip_sid``)."""
    pending = PendingEvent(str(name), payload, room, namespace, skip_sid)
    session.info.setdefault(PENDING_KEY, []).append(pending)


def publish_coalesced_after_commit(
    session: Session, name: Event, compute: Callable[[], dict[str, Any]], *, key: tuple, room: str
) -> None:
    """Queue an event that many changes in a row may share (a presence count, say).

    After the commit it is sent once per ``LIVE_COALESCE_SECONDS`` and key, its payload
    computed fresh at sending time: a crowd arriving at once costs one message per
    second instead of one per person per person.
    """
    if float(current_app.config.get("LIVE_COALESCE_SECONDS", 1.0)) <= 0:
        # Sent with every change (tests): computed now, from this transaction's own state.
        publish_after_commit(session, name, compute(), room=room)
        return
    session.info.setdefault(PENDING_KEY, []).append(CoalescedEvent(key, str(name), compute, room))


_scheduled: set[tuple] = set()
_scheduled_lock = threading.Lock()


def _send_coalesced(app, item: CoalescedEvent, delay: float) -> None:
    socketio.sleep(delay)
    with _scheduled_lock:
        _scheduled.discard(item.key)
    with app.app_context():
        try:
            payload = item.compute()
        finally:
            db.session.remove()
    socketio.emit(item.name, payload, namespace=NAMESPACE, to=item.room)


def _disconnect_local(room: str) -> None:
    """Close this process's connections in a room (a person who logged out). Connections held
    by other processes get the event, and their next event is refused (see live.live_user).

    The disconnect handlers use the database: they run in an app context (and so a database
    session) of their own, since the session that called this has just committed.
    """
    manager = socketio.server.manager
    with current_app.app_context():
        for namespace in LIVE_NAMESPACES:
            for sid, _eio_sid in list(manager.get_participants(namespace, room)):
                socketio.server.disconnect(sid, namespace=namespace)
        db.session.remove()


@event.listens_for(Session, "after_commit")
def _send_pending(session: Session) -> None:
    pending = session.info.pop(PENDING_KEY, [])
    for item in pending:
        if isinstance(item, PendingEvent):
            if item.name == Event.SESSION_ENDED:
                for namespace in LIVE_NAMESPACES:
                    socketio.emit(item.name, item.payload, namespace=namespace, to=item.room)
                _disconnect_local(item.room)
                continue
            socketio.emit(
                item.name, item.payload, namespace=item.namespace, to=item.room, skip_sid=item.skip_sid
            )
            continue
        delay = float(current_app.config.get("LIVE_COALESCE_SECONDS", 1.0))
        with _scheduled_lock:
            if item.key in _scheduled:
                continue
            _scheduled.add(item.key)
        socketio.start_background_task(_send_coalesced, current_app._get_current_object(), item, delay)


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the outermost transaction rolled back
        session.info.pop(PENDING_KEY, None)
