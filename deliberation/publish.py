"""Live events: operations queue them, and they are sent only once the transaction commits.

An operation calls ``publish_after_commit``; the event waits on the database session and
goes out to the Socket.IO room when that session commits (through the Redis message
queue when several processes serve), or is dropped when it rolls back. So no client
ever hears of a change that was not stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from deliberation.extensions import socketio

NAMESPACE = "/hearing"
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
    CLOSED = "closed"


def round_room(round_id: int) -> str:
    """Everyone watching a round, in any of its hearings or on its pages."""
    return f"round:{round_id}"


def hearing_room(hearing_id: int) -> str:
    return f"hearing:{hearing_id}"


@dataclass(frozen=True)
class PendingEvent:
    name: str
    payload: dict[str, Any]
    room: str


def publish_after_commit(session: Session, name: Event, payload: dict[str, Any], *, room: str) -> None:
    """Queue an event to send once ``session`` commits."""
    session.info.setdefault(PENDING_KEY, []).append(PendingEvent(str(name), payload, room))


@event.listens_for(Session, "after_commit")
def _send_pending(session: Session) -> None:
    pending = session.info.pop(PENDING_KEY, [])
    for item in pending:
        socketio.emit(item.name, item.payload, namespace=NAMESPACE, to=item.room)


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the outermost transaction rolled back
        session.info.pop(PENDING_KEY, None)
