"""Co-design (共同设计): a proposal's team edits one working layout together, live: the draft.

The server orders every change: each gets the draft's next seq, taken under the draft's
row lock, so changes queue there one by one. The unit of change is one feature, and the
last change to a feature wins; but no edit is lost without a trace. A change that replaced
someone else's change made after the last seq its author had seen (``base_seq``) carries
the version it replaced, in its answer, its broadcast and the draft's history, and any
team member can restore that version. Undo puts back what one's own latest change replaced.

Every function takes the acting person and flushes; the transport (live_design.py) commits,
and the broadcasts queued here go out only then. Who is here, what they selected and where
their pointer is are not stored: PresenceBoard keeps them in each worker's memory.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload

import geo
from deliberation import limits, proposals
from deliberation.enums import DraftAction, DraftCause, values
from deliberation.errors import Conflict, InvalidInput, InvalidLayout, NotAllowed, NotFound
from deliberation.extensions import db
from deliberation.models import Draft, DraftFeature, DraftOp, Proposal, ProposalVersion, Round, User
from deliberation.models.types import utcnow
from deliberation.publish import DESIGN_NAMESPACE, Event, draft_room, publish_after_commit
from deliberation.sites import geo_site

MAX_ID = 64  # characters of an op id or a feature id (a client makes UUIDs: 36)
# A client back after a gap gets the changes since its last seq when there are at most this
# many; beyond that the features as they stand are shorter.
REPLAY_OPS = 500
# A proposal with what a change reads of it (its round's phase, the site's projection) in one query.
WITH_SITE = (joinedload(Proposal.round).joinedload(Round.site),)


# --- the team --------------------------------------------------------------------------------


def require_team(proposal: Proposal, user: User) -> None:
    """Refuse anyone outside the proposal's design team (its designers and co-designers)."""
    if not proposal.is_designer(user):
        raise NotAllowed(_("Only the proposal's design team can open its draft."))


def team(proposal: Proposal) -> list[dict[str, Any]]:
    """The design team, by id and name (changes name their author by id)."""
    return [{"id": d.user_id, "name": d.user.name} for d in proposal.designers]


# --- checking a change -----------------------------------------------------------------------


def is_id(value: Any) -> bool:
    """Whether a value can be an op id or a feature id: 1 to 64 printable characters, no
    spaces at either end (a client makes UUIDs; a version's features keep their ids)."""
    return (
        isinstance(value, str)
        and 1 <= len(value) <= MAX_ID
        and value == value.strip()
        and value.isprintable()
    )


def check_op_id(value: Any) -> str:
    if not is_id(value):
        raise InvalidInput(
            _("An op id is 1 to %(n)d printable characters, no spaces at either end.", n=MAX_ID)
        )
    return value


def check_feature_id(value: Any) -> str:
    if not is_id(value):
        raise InvalidInput(
            _("A feature id is 1 to %(n)d printable characters, no spaces at either end.", n=MAX_ID)
        )
    return value


@dataclass(frozen=True, slots=True)
class CheckedFeature:
    """A feature as the draft keeps it (its id set), with what it counts toward the limits."""

    feature: dict[str, Any]
    vertices: int
    size: int


def check_feature(proposal: Proposal, feature_id: str, feature: Any, *, language: str) -> CheckedFeature:
    """Refuse a feature that any layout would refuse by itself (structure, kind, geometry,
    properties): the findings say why. Where it lies and what it meets are findings of the
    whole draft, shown as it is validated, and they block only its submission."""
    if not isinstance(feature, dict):
        raise InvalidInput(_("An upsert carries the feature."))
    if geo.feature_id(feature) not in (None, feature_id):
        raise InvalidInput(_("The feature's id must be the change's feature_id."))
    feature = {**feature, "id": feature_id}
    report = geo.validate_feature(feature, geo_site(proposal.round.site))
    if not report.valid:
        details = report.to_dict(language)
        raise InvalidLayout(
            _("This change is refused: %(reason)s", reason=details["errors"][0]["message"]), details
        )
    return CheckedFeature(feature, geo.vertex_count(feature), len(orjson.dumps(feature)))


# --- the draft and its changes as clients see them --------------------------------------------


def op_dict(op: DraftOp) -> dict[str, Any]:
    """A change as the team receives it (the ``draft_op`` broadcast)."""
    data: dict[str, Any] = {
        "proposal_id": op.proposal_id,
        "seq": op.seq,
        "op_id": op.op_id,
        "by": op.author_id,
        "action": op.action,
        "cause": op.cause,
        "feature_id": op.feature_id,
        "base_seq": op.base_seq,
        "at": op.created_at.isoformat(),
    }
    if op.feature is not None:
        data["feature"] = op.feature
    if op.cause == DraftCause.RESTORE:
        data["restores"] = op.refers_to
    elif op.cause == DraftCause.UNDO:
        data["undoes"] = op.refers_to
    if op.overwrote:
        data["overwrote"] = replaced(op)
    return data


def replaced(op: DraftOp) -> dict[str, Any]:
    """The version a change replaced: its seq, its author, the feature (None: deleted)."""
    return {"seq": op.prev_seq, "by": op.prev_by_id, "feature": op.prev_feature}


def op_ack(op: DraftOp) -> dict[str, Any]:
    """The answer to the change's author (the same for every retry of it)."""
    return {"seq": op.seq, "op_id": op.op_id, **({"overwrote": replaced(op)} if op.overwrote else {})}


def features_of(proposal_id: int) -> list[DraftFeature]:
    """The draft's features as they stand, in the layout's order (deleted ones left out)."""
    return list(
        db.session.scalars(
            select(DraftFeature)
            .where(DraftFeature.proposal_id == proposal_id, DraftFeature.feature.is_not(None))
            .order_by(DraftFeature.position, DraftFeature.feature_id)
        )
    )


def draft_of(proposal: Proposal) -> Draft:
    """The proposal's draft; the first time, made from its latest version's features."""
    draft = db.session.get(Draft, proposal.id)
    if draft is not None:
        return draft
    latest = proposal.latest_version
    # Two teammates opening it at once: one makes it, the other waits for that and uses it.
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    # (RETURNING says which one made it: psycopg reports no row count for this statement)
    made = db.session.execute(
        dialect.insert(Draft)
        .values(proposal_id=proposal.id, last_seq=0, version=latest.number if latest else None)
        .on_conflict_do_nothing()
        .returning(Draft.proposal_id)
    ).first()
    if made is not None and latest is not None:
        _start_from(proposal.id, latest)
    return db.session.get(Draft, proposal.id, populate_existing=True)


def _start_from(proposal_id: int, version: ProposalVersion) -> None:
    raw_features = (version.layout or {}).get("features") or []
    drawn_by = version.drawn_by
    rows, taken = [], set()
    for index, raw in enumerate(raw_features):
        feature_id = geo.feature_id(raw)
        if not is_id(feature_id) or feature_id in taken:
            # A version's id the draft cannot hold (over 64 characters): drawn anew under a
            # new one. Versions are validated, so there are none in practice.
            feature_id = str(uuid.uuid4())
        taken.add(feature_id)
        feature = {**raw, "id": feature_id}
        rows.append(
            DraftFeature(
                proposal_id=proposal_id,
                feature_id=feature_id,
                feature=feature,
                seq=0,
                by_id=drawn_by.get(feature_id, version.author_id),
                position=index - len(raw_features),
                # (a stored version's feature has a readable geometry: one position at least)
                vertices=max(geo.vertex_count(feature), 1),
                size=len(orjson.dumps(feature)),
            )
        )
    db.session.add_all(rows)
    db.session.flush()


def join(user: User, proposal: Proposal, after_seq: int | None = None) -> dict[str, Any]:
    """Open the draft: its features as they stand, or the changes since ``after_seq`` when
    there are not too many of them, with the team."""
    require_team(proposal, user)
    draft = draft_of(proposal)
    # The seq is read first: whatever is read after it is at least that new (a change that
    # slips in between arrives again as a broadcast, and applying it twice is harmless).
    seq = draft.last_seq
    answer: dict[str, Any] = {
        "proposal_id": proposal.id,
        "seq": seq,
        "version": draft.version,
        "team": team(proposal),
    }
    if after_seq is not None and 0 <= after_seq <= seq and seq - after_seq <= REPLAY_OPS:
        ops = db.session.scalars(
            select(DraftOp)
            .where(DraftOp.proposal_id == proposal.id, DraftOp.seq > after_seq, DraftOp.seq <= seq)
            .order_by(DraftOp.seq)
        )
        answer["ops"] = [op_dict(op) for op in ops]
    else:
        answer["features"] = {
            row.feature_id: {"feature": row.feature, "seq": row.seq, "by": row.by_id}
            for row in features_of(proposal.id)
        }
    return answer


def latest_seqs(proposal_ids: list[int]) -> dict[int, int]:
    """The latest seq of each of these drafts."""
    return dict(
        db.session.execute(
            select(Draft.proposal_id, Draft.last_seq).where(Draft.proposal_id.in_(proposal_ids))
        ).all()
    )


# --- changing it -----------------------------------------------------------------------------


def next_seq(proposal: Proposal) -> int:
    """The draft's next seq, taken atomically: the row stays locked until the commit, so the
    team's changes are ordered here, one at a time. (The draft is made if need be.)"""
    statement = (
        update(Draft)
        .where(Draft.proposal_id == proposal.id)
        .values(last_seq=Draft.last_seq + 1)
        .returning(Draft.last_seq)
    )
    seq = db.session.execute(statement).scalar_one_or_none()
    if seq is None:
        draft_of(proposal)
        seq = db.session.execute(statement).scalar_one()
    return seq


def find_op(proposal_id: int, op_id: str) -> DraftOp | None:
    """The change stored under a client's op id, if any."""
    return db.session.scalar(
        select(DraftOp).where(DraftOp.proposal_id == proposal_id, DraftOp.op_id == op_id)
    )


def _may_change(
    proposal: Proposal, user: User, op_id: str, same: Callable[[DraftOp], bool]
) -> DraftOp | None:
    """Refuse unless this person may change the draft now with a new ``op_id``; but a change
    they already sent under it (a retry) is returned, to be answered again."""
    check_op_id(op_id)
    sent = find_op(proposal.id, op_id)
    if sent is not None and sent.author_id == user.id and same(sent):
        return sent
    proposals.check_can_revise(proposal, user)  # the team, while versions are open
    if sent is not None:
        raise Conflict(_("This op id was used for another change."))
    return None


def _record(
    user: User,
    proposal: Proposal,
    seq: int,
    *,
    op_id: str,
    base_seq: int,
    feature_id: str,
    checked: CheckedFeature | None,
    cause: DraftCause = DraftCause.EDIT,
    refers_to: int | None = None,
) -> DraftOp:
    """Store one change (``checked`` None: a delete) under ``seq``, which the caller took."""
    if seq > limits.DRAFT_CHANGES:
        raise limits.LimitReached(
            _("This draft has had the most changes it may have (%(n)d).", n=limits.DRAFT_CHANGES)
        )
    if base_seq >= seq:
        raise Conflict(_("This draft has no change %(n)d yet: open it again.", n=base_seq))
    current = db.session.get(DraftFeature, (proposal.id, feature_id), populate_existing=True)
    if checked is None and current is None:
        raise NotFound(_("This feature is not in the draft."))
    if checked is not None:
        _require_room(proposal.id, current, checked)
    feature = checked.feature if checked is not None else None
    before = current.feature if current is not None else None
    op = DraftOp(
        proposal_id=proposal.id,
        seq=seq,
        op_id=op_id,
        author_id=user.id,
        action=(DraftAction.UPSERT if checked is not None else DraftAction.DELETE).value,
        cause=cause.value,
        refers_to=refers_to,
        feature_id=feature_id,
        feature=feature,
        base_seq=base_seq,
        prev_seq=current.seq if current is not None else None,
        prev_by_id=current.by_id if current is not None else None,
        prev_feature=before,
        # Someone else's change the author had not seen, and something of it is lost.
        overwrote=(
            current is not None and current.by_id != user.id and current.seq > base_seq and before != feature
        ),
        created_at=utcnow(),
    )
    db.session.add(op)
    if current is None:
        current = DraftFeature(proposal_id=proposal.id, feature_id=feature_id, position=seq)
        db.session.add(current)
    current.feature, current.seq, current.by_id = feature, seq, user.id
    current.vertices = checked.vertices if checked is not None else 0
    current.size = checked.size if checked is not None else 0
    db.session.flush()
    publish_after_commit(
        db.session, Event.DRAFT_OP, op_dict(op), room=draft_room(proposal.id), namespace=DESIGN_NAMESPACE
    )
    return op


def _require_room(proposal_id: int, current: DraftFeature | None, checked: CheckedFeature) -> None:
    """Refuse a change after which the draft would break a layout's limits (geo's)."""
    count, vertices, size = db.session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(DraftFeature.vertices), 0),
            func.coalesce(func.sum(DraftFeature.size), 0),
        ).where(DraftFeature.proposal_id == proposal_id, DraftFeature.feature.is_not(None))
    ).one()
    if current is None or current.feature is None:
        count += 1
    else:
        vertices, size = vertices - current.vertices, size - current.size
    if count > geo.MAX_FEATURES:
        raise limits.LimitReached(_("A layout has at most %(n)d features.", n=geo.MAX_FEATURES))
    if vertices + checked.vertices > geo.MAX_VERTICES:
        raise limits.LimitReached(_("A layout's shapes have at most %(n)d points.", n=geo.MAX_VERTICES))
    if size + checked.size > geo.MAX_LAYOUT_BYTES:
        raise limits.LimitReached(_("A layout takes at most %(n)d bytes.", n=geo.MAX_LAYOUT_BYTES))


def apply_op(
    user: User,
    proposal: Proposal,
    *,
    op_id: str,
    base_seq: int,
    action: str,
    feature_id: str,
    feature: Any = None,
    language: str,
) -> tuple[DraftOp, bool]:
    """A team member adds, changes or deletes one feature; the change wins, and says whose
    change it replaced when that was made after ``base_seq``. A retry of an op id returns
    the first change. Returns the change and whether it is new."""
    check_feature_id(feature_id)
    if action not in values(DraftAction):
        raise InvalidInput(_("A change is an upsert or a delete."))
    if action == DraftAction.DELETE and feature is not None:
        raise InvalidInput(_("A delete carries no feature."))
    normalised = {**feature, "id": feature_id} if isinstance(feature, dict) else feature

    def same(op: DraftOp) -> bool:
        return (op.cause, op.action, op.feature_id, op.feature) == (
            DraftCause.EDIT,
            action,
            feature_id,
            normalised,
        )

    sent = _may_change(proposal, user, op_id, same)
    if sent is not None:
        return sent, False
    checked = (
        check_feature(proposal, feature_id, feature, language=language)
        if action == DraftAction.UPSERT
        else None
    )
    op = _record(
        user,
        proposal,
        next_seq(proposal),
        op_id=op_id,
        base_seq=base_seq,
        feature_id=feature_id,
        checked=checked,
    )
    return op, True


def _put_back(
    user: User, proposal: Proposal, seq: int, target: DraftOp, *, op_id: str, cause: DraftCause, language: str
) -> DraftOp:
    """Set a feature back to what the change ``target`` replaced, as a new change ``seq``."""
    before = target.prev_feature
    checked = (
        check_feature(proposal, target.feature_id, before, language=language) if before is not None else None
    )
    # Only what changed the feature after ``target`` is someone's work being replaced now.
    return _record(
        user,
        proposal,
        seq,
        op_id=op_id,
        base_seq=target.seq,
        feature_id=target.feature_id,
        checked=checked,
        cause=cause,
        refers_to=target.seq,
    )


def restore(user: User, proposal: Proposal, *, op_id: str, seq: int, language: str) -> tuple[DraftOp, bool]:
    """Any team member puts back the version that change ``seq`` replaced (a teammate's move
    that was overwritten, say): a new change. Returns it and whether it is new."""
    sent = _may_change(
        proposal, user, op_id, lambda op: (op.cause, op.refers_to) == (DraftCause.RESTORE, seq)
    )
    if sent is not None:
        return sent, False
    new_seq = next_seq(proposal)
    target = db.session.scalar(select(DraftOp).where(DraftOp.proposal_id == proposal.id, DraftOp.seq == seq))
    if target is None:
        raise NotFound(_("This draft has no change %(n)d.", n=seq))
    return _put_back(
        user, proposal, new_seq, target, op_id=op_id, cause=DraftCause.RESTORE, language=language
    ), True


def undo(user: User, proposal: Proposal, *, op_id: str, language: str) -> tuple[DraftOp, bool]:
    """A team member undoes their own latest change not undone yet (never a teammate's):
    the feature goes back to what that change replaced. Returns the undo and whether it is new."""
    sent = _may_change(proposal, user, op_id, lambda op: op.cause == DraftCause.UNDO)
    if sent is not None:
        return sent, False
    seq = next_seq(proposal)  # first: two tabs undoing at once undo two changes, not one twice
    target = db.session.scalar(
        select(DraftOp)
        .where(
            DraftOp.proposal_id == proposal.id,
            DraftOp.author_id == user.id,
            DraftOp.cause != DraftCause.UNDO.value,
            DraftOp.undone_by.is_(None),
        )
        .order_by(DraftOp.seq.desc())
        .limit(1)
    )
    if target is None:
        raise Conflict(_("You have no change of yours to undo."))
    op = _put_back(user, proposal, seq, target, op_id=op_id, cause=DraftCause.UNDO, language=language)
    target.undone_by = op.seq
    return op, True


# --- submitting ------------------------------------------------------------------------------


def submit(
    user: User, proposal: Proposal, *, language: str, note: str = "", need_ids: list[int] | None = None
) -> tuple[ProposalVersion, dict[str, Any]]:
    """A team member submits the draft as the proposal's next version, validated as every
    version is; the version records who drew each feature (the last to change it)."""
    proposals.check_can_revise(proposal, user)
    draft_of(proposal)
    # Changes wait while the draft is read and checked, so the version is the draft at one seq.
    draft = db.session.get(Draft, proposal.id, with_for_update=True, populate_existing=True)
    rows = features_of(proposal.id)
    layout = {"type": "FeatureCollection", "features": [row.feature for row in rows]}
    version, report = proposals.revise_proposal(
        proposal,
        layout,
        by=user,
        language=language,
        note=note,
        need_ids=need_ids,
        drawn_by={row.feature_id: row.by_id for row in rows},
    )
    draft.version = version.number
    publish_after_commit(
        db.session,
        Event.DRAFT_SUBMITTED,
        {"proposal_id": proposal.id, "version": version.number, "seq": draft.last_seq, "by": user.id},
        room=draft_room(proposal.id),
        namespace=DESIGN_NAMESPACE,
    )
    return version, report


# --- presence --------------------------------------------------------------------------------

PRESENCE_INTERVAL = 0.2  # seconds between two relays of one person's presence: 5 a second
PRESENCE_SILENCE = 30.0  # seconds without a word after which a person is no longer shown


@dataclass(slots=True)
class _Seen:
    user: dict[str, Any]
    selected: list[str]
    cursor: list[float] | None
    heard_at: float
    sids: set[str] = field(default_factory=set)
    sent_at: float = float("-inf")
    waiting: bool = False  # a relay is due: it will carry the latest state


class PresenceBoard:
    """Who is in each draft, what they selected and where their pointer is, as this worker
    heard it (in memory, never stored). It says when to relay each person's presence (at
    most 5 times a second) and forgets anyone silent for 30 seconds.

    >>> board = PresenceBoard()
    >>> board.note(1, {"id": 7, "name": "Chen"}, "sid-a", ["bench-1"], None, now=0.0)
    0.0
    >>> round(board.note(1, {"id": 7, "name": "Chen"}, "sid-a", [], [121.5, 31.2], now=0.05), 2)
    0.15
    >>> board.note(1, {"id": 7, "name": "Chen"}, "sid-a", [], [121.6, 31.2], now=0.1) is None
    True
    >>> board.due(1, 7, now=0.2)["cursor"]
    [121.6, 31.2]
    >>> board.present(1, now=31.0)
    []
    """

    def __init__(self, *, interval: float = PRESENCE_INTERVAL, silence: float = PRESENCE_SILENCE):
        self.interval = interval
        self.silence = silence
        self._lock = threading.Lock()
        self._drafts: dict[int, dict[int, _Seen]] = {}

    @staticmethod
    def _payload(proposal_id: int, seen: _Seen) -> dict[str, Any]:
        return {
            "proposal_id": proposal_id,
            "user": seen.user,
            "selected": seen.selected,
            "cursor": seen.cursor,
        }

    def note(
        self,
        proposal_id: int,
        user: dict[str, Any],
        sid: str,
        selected: list[str] | None,
        cursor: list[float] | None,
        *,
        now: float,
    ) -> float | None:
        """Note a person's presence; when to relay it: 0 (now: see ``current``), after a delay
        (then call ``due``), or None when a relay is due already (it will carry this)."""
        with self._lock:
            people = self._drafts.setdefault(proposal_id, {})
            seen = people.get(user["id"])
            if seen is None:
                seen = people[user["id"]] = _Seen(user, [], None, now)
            seen.selected, seen.cursor, seen.heard_at = list(selected or []), cursor, now
            seen.sids.add(sid)
            if seen.waiting:
                return None
            wait = seen.sent_at + self.interval - now
            if wait <= 0:
                seen.sent_at = now
                return 0.0
            seen.waiting = True
            return wait

    def arrive(self, proposal_id: int, user: dict[str, Any], sid: str, *, now: float) -> dict[str, Any]:
        """A person opened the draft on connection ``sid``: their presence, to announce."""
        with self._lock:
            people = self._drafts.setdefault(proposal_id, {})
            seen = people.get(user["id"])
            if seen is None:
                seen = people[user["id"]] = _Seen(user, [], None, now)
            seen.heard_at = now
            seen.sids.add(sid)
            return self._payload(proposal_id, seen)

    def current(self, proposal_id: int, user_id: int) -> dict[str, Any] | None:
        """A person's presence as it is now (None if not here)."""
        with self._lock:
            seen = self._drafts.get(proposal_id, {}).get(user_id)
            return self._payload(proposal_id, seen) if seen else None

    def due(self, proposal_id: int, user_id: int, *, now: float) -> dict[str, Any] | None:
        """The presence a due relay carries (None if the person left meanwhile)."""
        with self._lock:
            seen = self._drafts.get(proposal_id, {}).get(user_id)
            if seen is None or not seen.waiting:
                return None
            seen.waiting, seen.sent_at = False, now
            return self._payload(proposal_id, seen)

    def present(self, proposal_id: int, *, now: float, besides: int | None = None) -> list[dict[str, Any]]:
        """Everyone heard in the draft within the last 30 seconds (but ``besides``)."""
        with self._lock:
            people = self._drafts.get(proposal_id, {})
            for user_id in [u for u, seen in people.items() if now - seen.heard_at > self.silence]:
                del people[user_id]
            return [self._payload(proposal_id, seen) for u, seen in people.items() if u != besides]

    def leave(self, sid: str) -> list[dict[str, Any]]:
        """A connection went away: the presence (``left``) of each person it was the last of."""
        gone = []
        with self._lock:
            for proposal_id, people in self._drafts.items():
                for user_id, seen in list(people.items()):
                    seen.sids.discard(sid)
                    if not seen.sids:
                        del people[user_id]
                        gone.append(
                            {**self._payload(proposal_id, seen), "selected": [], "cursor": None, "left": True}
                        )
            for proposal_id in [p for p, people in self._drafts.items() if not people]:
                del self._drafts[proposal_id]
        return gone
