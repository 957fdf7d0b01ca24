"""Who is watching each hearing, over every worker process: one row per connection in
``presences``, renewed by the worker that holds it.

Joining and leaving are written behind: each worker notes them in memory and writes all it
has noted in one transaction at most ``LIVE_COALESCE_SECONDS`` later, then sends the new
counts (which went out at most that often anyway). A thousand phones reconnecting together
cost a handful of writes instead of a thousand transactions. With the setting at 0 (the
tests) every join and leave is written at once, in the caller's transaction.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import delete, insert, select, update

from deliberation.extensions import db, socketio
from deliberation.models import Presence
from deliberation.models.types import utcnow
from deliberation.publish import NAMESPACE, Event, hearing_room, publish_coalesced_after_commit

log = logging.getLogger("jiayuan.live")
BATCH = 500  # rows per statement (SQLite's variable limit is far above)

_lock = threading.Lock()
_arrivals: dict[str, tuple[int, int]] = {}  # sid -> (hearing_id, user_id), not written yet
_departures: dict[str, None] = {}  # sids whose rows are to go (ordered, for the tests' sake)
_write_scheduled = False
# The people this worker last read as present per hearing, and when (time.monotonic()).
_people: dict[int, tuple[float, frozenset[int]]] = {}


def coalesce_seconds() -> float:
    return float(current_app.config.get("LIVE_COALESCE_SECONDS", 1.0))


def presence_ttl() -> timedelta:
    """How long a connection's presence lasts unless its worker renews it."""
    return timedelta(seconds=float(current_app.config["PRESENCE_TTL_SECONDS"]))


def people(hearing_id: int) -> frozenset[int]:
    """Who is watching a hearing, over every worker process (a row its worker has not
    vouched for within PRESENCE_TTL_SECONDS no longer counts: that worker died)."""
    fresh_since = utcnow() - presence_ttl()
    found = frozenset(
        db.session.scalars(
            select(Presence.user_id)
            .where(Presence.hearing_id == hearing_id, Presence.seen_at > fresh_since)
            .distinct()
        )
    )
    _people[hearing_id] = (time.monotonic(), found)
    return found


def count(hearing_id: int) -> int:
    """How many different people are watching a hearing."""
    return len(people(hearing_id))


def count_with(hearing_id: int, user_id: int) -> int:
    """The count as a joiner is told it: themselves included, and those this worker has
    seen arrive but not yet written, on top of who was present at most
    LIVE_COALESCE_SECONDS ago (the next ``presence`` event has it exact)."""
    window = coalesce_seconds()
    kept = _people.get(hearing_id)
    if window > 0 and kept is not None and time.monotonic() - kept[0] < window:
        present = kept[1]
    else:
        present = people(hearing_id)
    with _lock:
        arriving = {user for hearing, user in _arrivals.values() if hearing == hearing_id}
    return len(present | arriving | {user_id})


def arrive(hearing_id: int, sid: str, user_id: int) -> None:
    """A connection joined a hearing: it counts as present."""
    if coalesce_seconds() <= 0:
        _write([(sid, hearing_id, user_id)], [])
        _publish(hearing_id)
        return
    with _lock:
        _departures.pop(sid, None)
        _arrivals[sid] = (hearing_id, user_id)
    _schedule_write()


def leave(sid: str) -> None:
    """A connection went away: it no longer counts in any hearing."""
    if coalesce_seconds() <= 0:
        for hearing_id in _write([], [sid]):
            _publish(hearing_id)
        return
    with _lock:
        if _arrivals.pop(sid, None) is not None:
            return  # never written: nothing to take back
        _departures[sid] = None
    _schedule_write()


def _publish(hearing_id: int) -> None:
    publish_coalesced_after_commit(
        db.session,
        Event.PRESENCE,
        lambda: {"hearing_id": hearing_id, "count": count(hearing_id)},
        key=("presence", hearing_id),
        room=hearing_room(hearing_id),
    )


def _write(arrivals: list[tuple[str, int, int]], departures: list[str]) -> set[int]:
    """Write arrivals and departures in the caller's transaction; the hearings they touch."""
    touched: set[int] = set()
    for start in range(0, len(departures), BATCH):
        chunk = departures[start : start + BATCH]
        gone = db.session.execute(
            delete(Presence).where(Presence.sid.in_(chunk)).returning(Presence.hearing_id)
        )
        touched.update(gone.scalars())
    now = utcnow()
    for start in range(0, len(arrivals), BATCH):
        chunk = arrivals[start : start + BATCH]
        sids = [sid for sid, _, _ in chunk]
        # A connection joining again (another hearing, or the same one) keeps its row.
        existing = set(db.session.scalars(select(Presence.sid).where(Presence.sid.in_(sids))))
        if existing:
            db.session.execute(update(Presence).where(Presence.sid.in_(existing)).values(seen_at=now))
        new = [
            {"sid": sid, "hearing_id": hearing_id, "user_id": user_id, "joined_at": now, "seen_at": now}
            for sid, hearing_id, user_id in chunk
            if sid not in existing
        ]
        if new:
            db.session.execute(insert(Presence), new)
        touched.update(hearing_id for _, hearing_id, _ in chunk)
    return touched


def _schedule_write() -> None:
    global _write_scheduled
    with _lock:
        if _write_scheduled:
            return
        _write_scheduled = True
    socketio.start_background_task(_write_later, current_app._get_current_object(), coalesce_seconds())


def _write_later(app: Flask, delay: float) -> None:
    """Write what this worker noted meanwhile in one transaction, then send the new counts."""
    global _write_scheduled
    socketio.sleep(delay)
    with _lock:
        _write_scheduled = False
        arrivals = [(sid, hearing_id, user_id) for sid, (hearing_id, user_id) in _arrivals.items()]
        departures = list(_departures)
        _arrivals.clear()
        _departures.clear()
    if not arrivals and not departures:
        return
    with app.app_context():
        try:
            touched = _write(arrivals, departures)
            db.session.commit()
            counts = {hearing_id: count(hearing_id) for hearing_id in sorted(touched)}
        except Exception:
            db.session.rollback()
            log.exception("writing presence failed; the upkeep's renewal and expiry set it right")
            return
        finally:
            db.session.remove()
    for hearing_id, people in counts.items():
        payload = {"hearing_id": hearing_id, "count": people}
        socketio.emit(Event.PRESENCE, payload, namespace=NAMESPACE, to=hearing_room(hearing_id))


def vouch_for(sids: Iterable[str]) -> None:
    """A worker says the connections it holds are still there."""
    sids = list(sids)
    for start in range(0, len(sids), BATCH):
        db.session.execute(
            update(Presence).where(Presence.sid.in_(sids[start : start + BATCH])).values(seen_at=utcnow())
        )


def forget_vanished() -> list[int]:
    """Remove presence nobody has vouched for within PRESENCE_TTL_SECONDS (its worker is
    gone); the hearings whose count changed, their new counts queued to go out."""
    stale = select(Presence.sid, Presence.hearing_id).where(Presence.seen_at <= utcnow() - presence_ttl())
    rows = db.session.execute(stale).all()
    if not rows:
        return []
    db.session.execute(delete(Presence).where(Presence.sid.in_([row.sid for row in rows])))
    hearing_ids = sorted({row.hearing_id for row in rows})
    for hearing_id in hearing_ids:
        _publish(hearing_id)
    return hearing_ids
