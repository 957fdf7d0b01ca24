"""Hearings (意见听取会): pitch slots, live comments, reactions, questions, straw polls, presence.

Every function takes the acting person as an argument and flushes; the transport (a
Socket.IO event or an HTTP request) commits, and the events queued here with
``publish_after_commit`` go out only then.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, exists, func, select, update
from sqlalchemy.orm import joinedload, selectinload

import geo
from deliberation import presence
from deliberation.accounts import require_role
from deliberation.audit import record
from deliberation.enums import HearingState, Phase, PollState, ProposalStatus, ReactionKind, Role, values
from deliberation.errors import (
    Conflict,
    DomainError,
    ErrorCode,
    InvalidInput,
    NotAllowed,
    NotFound,
    TooManyRequests,
)
from deliberation.extensions import db, read_row
from deliberation.live_json import Fragment, fragment
from deliberation.models import (
    Comment,
    Hearing,
    HearingSlot,
    MemberRole,
    Membership,
    Poll,
    PollVote,
    Proposal,
    Reaction,
    Round,
    Site,
    Upvote,
    User,
)
from deliberation.models.types import utcnow
from deliberation.privacy import person_name
from deliberation.publish import (
    Event,
    hearing_people_room,
    hearing_public_room,
    hearing_room,
    publish_after_commit,
)
from deliberation.rounds import require_member, require_phase
from deliberation.sites import geo_site

MAX_BODY = 2000
MAX_CLIENT_ID = 64
REPLAY_PAGE = 200
# Per person: at most this many comments in each window (seconds): a short burst, and a
# slower pace kept up. (The kept-up limit must stay below the burst's own rate, 5 per
# 10 s being 30 a minute, or it could never be the one that binds.)
RATE_LIMITS = ((5, 10), (20, 60))
JOIN_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread from a screen
HEARING_PHASES = (Phase.PROPOSING, Phase.HEARING)
EXTEND_DEFAULT_SECONDS = 60


# --- hearings and their running order ------------------------------------------------------


def _new_join_code() -> str:
    while True:
        code = "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(6))
        if db.session.scalar(select(Hearing.id).where(Hearing.join_code == code)) is None:
            return code


def create_hearing(
    round_: Round,
    title: str,
    starts_at: datetime,
    place: str,
    slots: list[tuple[int, int]],
    *,
    by: User,
) -> Hearing:
    """Schedule a hearing with its pitch slots (proposal id, seconds); moderators only."""
    require_role(by, round_.community_id, Role.MODERATOR)
    require_phase(round_, *HEARING_PHASES)
    active = set(
        db.session.scalars(
            select(Proposal.id).where(
                Proposal.round_id == round_.id, Proposal.status == ProposalStatus.ACTIVE.value
            )
        )
    )
    for proposal_id, seconds in slots:
        if proposal_id not in active:
            raise InvalidInput(_("Slot for %(id)s: not an active proposal of this round.", id=proposal_id))
        if not 10 <= seconds <= 7200:
            raise InvalidInput(_("A slot lasts 10 seconds to 2 hours."))
    hearing = Hearing(
        round_id=round_.id,
        title=title.strip(),
        starts_at=starts_at,
        place=place.strip(),
        join_code=_new_join_code(),
        created_by_id=by.id,
        slots=[
            HearingSlot(position=index, proposal_id=proposal_id, seconds=seconds)
            for index, (proposal_id, seconds) in enumerate(slots)
        ],
    )
    db.session.add(hearing)
    record("hearing.created", hearing, actor=by, community_id=round_.community_id, round_id=round_.id)
    return hearing


def find_by_join_code(code: str) -> Hearing:
    hearing = db.session.scalar(select(Hearing).where(Hearing.join_code == code.strip().upper()))
    if hearing is None:
        raise NotFound(_("No hearing has this code."))
    return hearing


def is_moderator(user: User, hearing: Hearing) -> bool:
    return user.has_role(hearing.round.community_id, Role.MODERATOR)


def require_moderator(user: User, hearing: Hearing) -> None:
    require_role(user, hearing.round.community_id, Role.MODERATOR)


def live_now(community_ids: list[int]) -> list[Hearing]:
    """The hearings running now in these communities (a banner leads with them)."""
    if not community_ids:
        return []
    return list(
        db.session.scalars(
            select(Hearing)
            .join(Round, Round.id == Hearing.round_id)
            .join(Site, Site.id == Round.site_id)
            .where(Site.community_id.in_(community_ids), Hearing.state == HearingState.LIVE.value)
            .order_by(Hearing.starts_at)
        )
    )


def slot_state(hearing: Hearing) -> dict[str, Any]:
    """The running slot as clients see it: whose pitch and the server's deadline."""
    slot = hearing.running_slot
    return {
        "hearing_id": hearing.id,
        "position": slot.position if slot else None,
        "proposal_id": slot.proposal_id if slot else None,
        "seconds": slot.seconds if slot else None,
        "ends_at": hearing.slot_ends_at.isoformat() if hearing.slot_ends_at else None,
        "server_now": utcnow().isoformat(),
        "state": hearing.state,
    }


def _run_slot(hearing: Hearing, position: int | None, seconds: int | None = None) -> None:
    if position is None:
        hearing.current_slot = None
        hearing.slot_ends_at = None
        return
    slot = next(s for s in hearing.slots if s.position == position)
    hearing.current_slot = position
    hearing.slot_ends_at = utcnow() + timedelta(seconds=seconds or slot.seconds)
    hearing.state = HearingState.LIVE.value


def move_slot(hearing: Hearing, action: str, *, by: User, seconds: int | None = None) -> dict[str, Any]:
    """The moderator starts, advances, extends or stops the pitch slots; returns the slot state."""
    require_moderator(by, hearing)
    require_phase(hearing.round, Phase.HEARING)
    if hearing.state == HearingState.ENDED:
        raise Conflict(_("This hearing has ended."))
    positions = [s.position for s in hearing.slots]
    if not positions:
        raise Conflict(_("This hearing has no pitch slots."))
    current = hearing.current_slot
    if action == "start":
        if current is not None:
            raise Conflict(_("A slot is running already: use next, extend or stop."))
        _run_slot(hearing, positions[0])
    elif action == "next":
        following = [p for p in positions if current is None or p > current]
        if not following:
            raise Conflict(_("There is no next slot."))
        _run_slot(hearing, following[0])
    elif action == "extend":
        if current is None or hearing.slot_ends_at is None:
            raise Conflict(_("No slot is running."))
        base = max(hearing.slot_ends_at, utcnow())
        hearing.slot_ends_at = base + timedelta(seconds=seconds or EXTEND_DEFAULT_SECONDS)
    elif action == "stop":
        if current is None:
            raise Conflict(_("No slot is running."))
        _run_slot(hearing, None)
    else:
        raise InvalidInput(_("Unknown slot action."))
    hearing_changed(hearing.id)
    state = slot_state(hearing)
    publish_after_commit(db.session, Event.SLOT, state, room=hearing_room(hearing.id))
    return state


def end_hearing(hearing: Hearing, *, by: User) -> Hearing:
    """The moderator ends the hearing: no more comments, slots or polls in it."""
    require_moderator(by, hearing)
    if hearing.state == HearingState.ENDED:
        raise Conflict(_("This hearing has ended."))
    _run_slot(hearing, None)
    hearing.state = HearingState.ENDED.value
    for poll in db.session.scalars(select(Poll).where(Poll.hearing_id == hearing.id, Poll.state == "open")):
        poll.state, poll.closed_at = PollState.CLOSED.value, utcnow()
    hearing_changed(hearing.id)
    publish_after_commit(db.session, Event.SLOT, slot_state(hearing), room=hearing_room(hearing.id))
    record(
        "hearing.ended", hearing, actor=by, community_id=hearing.round.community_id, round_id=hearing.round_id
    )
    return hearing


# --- comments ----------------------------------------------------------------------------


def comment_dict(
    comment: Comment,
    *,
    for_moderator: bool = False,
    community_id: int | None = None,
    with_people: bool = True,
) -> dict[str, Any]:
    """A comment as clients receive it; a hidden one keeps its place (seq) but not its text.

    ``community_id`` (of the comment's round) saves a look-up per comment on a page of them.
    Without ``with_people`` (for readers outside the community) nobody is named.
    """
    if not with_people:
        return without_people(comment_dict(comment, for_moderator=for_moderator, community_id=community_id))
    hidden = comment.hidden_at is not None
    counts: dict[str, int] = {}
    for reaction in comment.reactions:
        counts[reaction.kind] = counts.get(reaction.kind, 0) + 1
    data = {
        "id": comment.id,
        "seq": comment.seq,
        "prev_seq": comment.prev_seq,
        "hearing_id": comment.hearing_id,
        "client_id": comment.client_id,
        "body": None if hidden and not for_moderator else comment.body,
        "author": {
            "id": comment.author_id,
            "name": person_name(comment.author, visible=True),
            "stakeholder": _stakeholder_of(comment, community_id),
        },
        "parent_id": comment.parent_id,
        "proposal_id": comment.proposal_id,
        "anchor": comment.anchor,
        "is_question": comment.is_question,
        "on_behalf_of": comment.on_behalf_of,
        "hidden": hidden,
        "hidden_reason": comment.hidden_reason,
        "reactions": counts,
        "upvotes": len(comment.upvotes),
        "created_at": comment.created_at.isoformat(),
    }
    return data


def without_people(comment: dict[str, Any]) -> dict[str, Any]:
    """A comment as readers outside the community see it: what was said, not who said it."""
    return {**comment, "author": {"id": None, "name": None, "stakeholder": None}, "on_behalf_of": None}


def _stakeholder_of(comment: Comment, community_id: int | None) -> str | None:
    """The author's stakeholder tag in the round's community, shown beside the comment once
    the author has consented to it."""
    if comment.author is None:
        return None
    if community_id is None:
        community_id = db.session.get(Round, comment.round_id).community_id
    membership = comment.author.membership_in(community_id)
    return membership.stakeholder if membership and membership.stakeholder_consent_at else None


# The statements of every comment, built once: building one (and its cache key) costs
# SQLAlchemy more than running it. Nothing reads the counters they bump from the session's
# objects, so those are not brought up to date (synchronize_session=False).
_LATEST_SEQ = select(func.max(Comment.seq)).where(Comment.hearing_id == bindparam("hearing_id"))
_NEXT_SEQ = (
    update(Round)
    .where(Round.id == bindparam("round_id"))
    .values(last_comment_seq=Round.last_comment_seq + 1)
    .returning(Round.last_comment_seq)
    .execution_options(synchronize_session=False)
)
_RECENT_COMMENTS = select(
    *(func.count().filter(Comment.created_at > bindparam(f"since_{w}")) for _limit, w in RATE_LIMITS)
).where(Comment.author_id == bindparam("author_id"), Comment.created_at > bindparam("since"))
_BY_CLIENT_ID = select(Comment).where(
    Comment.hearing_id == bindparam("hearing_id"),
    Comment.author_id == bindparam("author_id"),
    Comment.client_id == bindparam("client_id"),
)
_REVISION_UP = (
    update(Hearing)
    .where(Hearing.id == bindparam("hearing_id"))
    .values(revision=Hearing.revision + 1)
    .execution_options(synchronize_session=False)
)


def latest_seq(hearing_id: int) -> int | None:
    """The seq of the latest comment of a hearing (None before the first)."""
    return db.session.scalar(_LATEST_SEQ, {"hearing_id": hearing_id})


def next_comment_seq(round_id: int) -> int:
    """The round's next comment number, taken atomically (a row lock on the round)."""
    return db.session.execute(_NEXT_SEQ, {"round_id": round_id}).scalar_one()


def _check_rate(author: User) -> None:
    now = utcnow()
    since = {f"since_{window}": now - timedelta(seconds=window) for _limit, window in RATE_LIMITS}
    longest = min(since.values())
    counts = db.session.execute(_RECENT_COMMENTS, {**since, "author_id": author.id, "since": longest}).one()
    for (limit, window), recent in zip(RATE_LIMITS, counts, strict=True):
        if recent >= limit:
            raise TooManyRequests(
                _("You are commenting very fast: at most %(n)d comments in %(s)d seconds.", n=limit, s=window)
            )


def _check_anchor(hearing: Hearing, proposal: Proposal | None, anchor: Any) -> dict[str, Any] | None:
    if anchor is None:
        return None
    if not isinstance(anchor, dict) or len(anchor) != 1:
        raise InvalidInput(_("An anchor is a feature id or a point on the map."))
    if "feature_id" in anchor:
        feature_id = anchor["feature_id"]
        if proposal is None or not isinstance(feature_id, str):
            raise InvalidInput(_("Anchoring to a feature needs the proposal it belongs to."))
        layout = proposal.latest_version.layout if proposal.latest_version else {}
        ids = {str(f.get("id") or (f.get("properties") or {}).get("id")) for f in layout.get("features", [])}
        if feature_id not in ids:
            raise InvalidInput(_("That feature is not in the proposal."))
        return {"feature_id": feature_id}
    if "point" in anchor:
        point = {"type": "Point", "coordinates": anchor["point"]}
        site = geo_site(hearing.round.site)
        if not geo.validate_pin(point, site).valid:
            raise InvalidInput(_("The point is not on the site."))
        # Which part of the site, coded once: pages say it in their reader's language.
        return {"point": anchor["point"], "place": geo.place_code(anchor["point"], site)}
    raise InvalidInput(_("An anchor is a feature id or a point on the map."))


# A hearing with what commenting reads of it (its round and the round's site) in one query.
WITH_ROUND = (joinedload(Hearing.round).joinedload(Round.site),)


def find_comment_by_client_id(hearing: Hearing, author: User, client_id: str) -> Comment | None:
    """The comment a client already sent to this hearing under this id, if any."""
    return db.session.scalar(
        _BY_CLIENT_ID, {"hearing_id": hearing.id, "author_id": author.id, "client_id": client_id}
    )


def add_comment(
    hearing: Hearing,
    body: str,
    *,
    author: User,
    client_id: str,
    parent_id: int | None = None,
    proposal_id: int | None = None,
    anchor: Any = None,
    is_question: bool = False,
    on_behalf_of: str | None = None,
) -> tuple[Comment, bool]:
    """Store a comment and queue its broadcast; a client id sent again returns the first comment.

    Returns the comment and whether it is new.
    """
    if not isinstance(client_id, str) or not 1 <= len(client_id) <= MAX_CLIENT_ID:
        raise InvalidInput(_("Each comment needs the client's own id (1 to 64 characters)."))
    existing = find_comment_by_client_id(hearing, author, client_id)
    if existing is not None:
        return existing, False
    round_ = hearing.round
    require_member(author, round_)
    require_phase(round_, Phase.HEARING)
    if hearing.state == HearingState.ENDED:
        raise Conflict(_("This hearing has ended."))
    body = body.strip() if isinstance(body, str) else ""
    if not 1 <= len(body) <= MAX_BODY:
        raise InvalidInput(_("A comment has 1 to %(n)d characters.", n=MAX_BODY))
    if on_behalf_of is not None:
        require_moderator(author, hearing)
        on_behalf_of = on_behalf_of.strip()[:80] or None
    proposal = None
    if proposal_id is not None:
        proposal = db.session.get(Proposal, proposal_id)
        if proposal is None or proposal.round_id != round_.id:
            raise InvalidInput(_("That proposal is not in this round."))
    if parent_id is not None:
        parent = db.session.get(Comment, parent_id)
        if parent is None or parent.hearing_id != hearing.id:
            raise InvalidInput(_("A reply must answer a comment of the same hearing."))
    checked_anchor = _check_anchor(hearing, proposal, anchor)
    _check_rate(author)
    seq = next_comment_seq(round_.id)  # holds the round's row: comments of a round queue here
    comment = Comment(
        round_id=round_.id,
        hearing_id=hearing.id,
        seq=seq,
        prev_seq=latest_seq(hearing.id),
        client_id=client_id,
        author_id=author.id,
        body=body,
        parent_id=parent_id,
        proposal_id=proposal_id,
        anchor=checked_anchor,
        is_question=bool(is_question),
        on_behalf_of=on_behalf_of,
        created_at=utcnow(),
        reactions=[],  # known empty: comment_dict need not ask
        upvotes=[],
    )
    db.session.add(comment)
    db.session.flush()
    hearing_changed(hearing.id)
    publish_comment(comment, hearing.id)
    return comment, True


def publish_comment(comment: Comment, hearing_id: int) -> None:
    """Queue a new comment for the hearing's members (named) and everyone else (unnamed)."""
    named = comment_dict(comment)
    publish_after_commit(db.session, Event.COMMENT, named, room=hearing_people_room(hearing_id))
    publish_after_commit(
        db.session, Event.COMMENT, without_people(named), room=hearing_public_room(hearing_id)
    )


def hearing_changed(hearing_id: int) -> None:
    """What a joiner receives of the hearing changed (a comment, a hide, counts, the slot, a
    poll): every worker's copy of what joiners get is stale."""
    db.session.execute(_REVISION_UP, {"hearing_id": hearing_id})


class RevisionCache:
    """Values kept per key while the hearing's revision they were read at is current, and
    for at most ``max_age`` seconds (what changes without a revision, a person's new name,
    shows within it); the least recently used go first beyond ``kept`` keys."""

    def __init__(self, *, kept: int, max_age: float = 30.0):
        self.kept = kept
        self.max_age = max_age
        self._values: OrderedDict[tuple, tuple[int, float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple, revision: int) -> Any:
        with self._lock:
            found = self._values.get(key)
            if found is None or found[0] != revision or time.monotonic() - found[1] >= self.max_age:
                return None
            self._values.move_to_end(key)
            return found[2]

    def put(self, key: tuple, revision: int, value: Any) -> Any:
        with self._lock:
            self._values[key] = (revision, time.monotonic(), value)
            self._values.move_to_end(key)
            while len(self._values) > self.kept:
                self._values.popitem(last=False)
        return value


@dataclass(frozen=True, slots=True)
class JoinFacts:
    """What joining needs to know of a hearing, read in one query."""

    id: int
    join_code: str
    revision: int
    round_id: int
    community_id: int
    phase: str


@dataclass(frozen=True, slots=True)
class JoinView:
    """Who is joining, as far as what they receive goes."""

    for_moderator: bool
    with_people: bool

    @property
    def name(self) -> str:
        return "moderator" if self.for_moderator else "people" if self.with_people else "public"


def _join_query():
    membership = and_(Membership.user_id == User.id, Membership.community_id == Site.community_id)
    moderator = exists().where(
        MemberRole.membership_id == Membership.id, MemberRole.role == Role.MODERATOR.value
    )
    return (
        select(
            User.token_nonce,
            Hearing.id,
            Hearing.join_code,
            Hearing.revision,
            Hearing.round_id,
            Site.community_id,
            Round.phase,
            Membership.id,
            moderator,
        )
        .select_from(User)
        .outerjoin(Hearing, Hearing.id == bindparam("hearing_id"))
        .outerjoin(Round, Round.id == Hearing.round_id)
        .outerjoin(Site, Site.id == Round.site_id)
        .outerjoin(Membership, membership)
        .where(User.id == bindparam("user_id"))
    )


# Built once: building it and its cache key took twice as long as running it.
JOIN_QUERY = _join_query()


def join_facts(hearing_id: int, user_id: int, nonce: str) -> tuple[JoinFacts, JoinView]:
    """The hearing a person joins and what they may see of it, in one query that also checks
    they have not logged out since they connected (their nonce)."""
    row = read_row(JOIN_QUERY, {"hearing_id": hearing_id, "user_id": user_id})
    if row is None or not secrets.compare_digest(row[0], nonce):
        raise DomainError(_("Please log in first."), code=ErrorCode.UNAUTHORIZED)
    if row[1] is None:
        raise NotFound(_("Not found."))
    # Members see who said what (privacy.sees_people); moderators see hidden words too.
    return JoinFacts(*row[1:7]), JoinView(for_moderator=bool(row[8]), with_people=row[7] is not None)


@dataclass(frozen=True, slots=True)
class _JoinPage:
    comments: Fragment
    has_more: bool
    hidden: Fragment


@dataclass(frozen=True, slots=True)
class _JoinState:
    slot: dict[str, Any]  # slot_state without server_now
    poll: dict[str, Any] | None


# What each worker hands joiners, per hearing and view (and after_seq), encoded once per
# change of the hearing's revision. The key holds the join code: ids repeat across databases
# (a test's, a restored backup's).
JOIN_PAGES = RevisionCache(kept=128)  # a page of 200 comments is ~130 KB
JOIN_STATES = RevisionCache(kept=256)


def join_answer(facts: JoinFacts, view: JoinView, user_id: int, after_seq: int | None) -> dict[str, Any]:
    """A joiner's answer: the hearing's state, and the latest comments (or those after
    ``after_seq``) with what was hidden meanwhile. A thousand phones reconnecting together
    after the community room's Wi-Fi dropped cost one page and one state, not a thousand."""
    # Everything is read after the revision (in join_facts): what is kept holds at least what
    # that revision says, and a change committed in between makes the next joiner read again.
    page_key = (facts.id, facts.join_code, view.name, after_seq)
    page = JOIN_PAGES.get(page_key, facts.revision)
    if page is None:
        comments, has_more = comments_after(
            facts, after_seq, for_moderator=view.for_moderator, with_people=view.with_people
        )
        hidden = hidden_up_to(facts.id, after_seq) if after_seq is not None else []
        page = JOIN_PAGES.put(
            page_key, facts.revision, _JoinPage(fragment(comments), has_more, fragment(hidden))
        )
    return {
        "state": _joining_state(facts, user_id),
        "comments": page.comments,
        "has_more": page.has_more,
        "hidden": page.hidden,
    }


def _joining_state(facts: JoinFacts, user_id: int) -> dict[str, Any]:
    state_key = (facts.id, facts.join_code)
    kept = JOIN_STATES.get(state_key, facts.revision)
    if kept is None:
        hearing = db.session.get(Hearing, facts.id)
        poll = current_poll(hearing)
        slot = {k: v for k, v in slot_state(hearing).items() if k != "server_now"}
        kept = JOIN_STATES.put(state_key, facts.revision, _JoinState(slot, poll_dict(poll) if poll else None))
    return {
        "hearing_id": facts.id,
        "round_id": facts.round_id,
        "phase": facts.phase,
        "slot": {**kept.slot, "server_now": utcnow().isoformat()},
        "poll": kept.poll,
        "presence": presence.count_with(facts.id, user_id),
    }


def _replay_query(hearing: Hearing | JoinFacts):
    """A hearing's comments with what comment_dict reads of their authors loaded in batches
    (a page of 200 would otherwise load each author's memberships one by one)."""
    return (
        select(Comment)
        .where(Comment.hearing_id == hearing.id)
        .options(selectinload(Comment.author).selectinload(User.memberships))
    )


def comments_after(
    hearing: Hearing | JoinFacts,
    after_seq: int | None,
    *,
    for_moderator: bool = False,
    with_people: bool = True,
) -> tuple[list[dict], bool]:
    """The comments after a sequence number (or the latest ones), in order; and whether there are more."""
    query = _replay_query(hearing)
    if after_seq is None:
        latest = db.session.scalars(query.order_by(Comment.seq.desc()).limit(REPLAY_PAGE + 1)).all()
        has_more = len(latest) > REPLAY_PAGE
        page = list(reversed(latest[:REPLAY_PAGE]))
    else:
        found = db.session.scalars(
            query.where(Comment.seq > after_seq).order_by(Comment.seq).limit(REPLAY_PAGE + 1)
        ).all()
        has_more = len(found) > REPLAY_PAGE
        page = list(found[:REPLAY_PAGE])
    community_id = hearing.community_id
    return [
        comment_dict(c, for_moderator=for_moderator, community_id=community_id, with_people=with_people)
        for c in page
    ], has_more


def hidden_up_to(hearing_id: int, seq: int) -> list[dict[str, Any]]:
    """The comments up to a sequence number that are hidden now: a client back from a gap
    may have shown them before the moderator hid them."""
    rows = db.session.execute(
        select(Comment.id, Comment.seq, Comment.hidden_reason).where(
            Comment.hearing_id == hearing_id, Comment.seq <= seq, Comment.hidden_at.is_not(None)
        )
    ).all()
    return [{"id": row.id, "seq": row.seq, "reason": row.hidden_reason} for row in rows]


def comments_before(
    hearing: Hearing, before_seq: int, *, for_moderator: bool = False, with_people: bool = True
) -> tuple[list[dict], bool]:
    """Older comments, for paging back through a long hearing."""
    found = db.session.scalars(
        _replay_query(hearing)
        .where(Comment.seq < before_seq)
        .order_by(Comment.seq.desc())
        .limit(REPLAY_PAGE + 1)
    ).all()
    community_id = hearing.round.community_id
    return [
        comment_dict(c, for_moderator=for_moderator, community_id=community_id, with_people=with_people)
        for c in reversed(found[:REPLAY_PAGE])
    ], len(found) > REPLAY_PAGE


def hide_comment(comment: Comment, reason: str, *, by: User) -> Comment:
    """The moderator hides an abusive comment, with a reason kept in the record."""
    hearing = db.session.get(Hearing, comment.hearing_id)
    require_moderator(by, hearing)
    reason = (reason or "").strip()
    if not 1 <= len(reason) <= 500:
        raise InvalidInput(_("Say why the comment is hidden (1 to 500 characters)."))
    if comment.hidden_at is not None:
        raise Conflict(_("This comment is hidden already."))
    comment.hidden_at = utcnow()
    comment.hidden_reason = reason
    comment.hidden_by_id = by.id
    hearing_changed(hearing.id)
    publish_after_commit(
        db.session,
        Event.COMMENT_HIDDEN,
        {"id": comment.id, "seq": comment.seq, "hearing_id": hearing.id, "reason": reason},
        room=hearing_room(hearing.id),
    )
    record(
        "comment.hidden",
        comment,
        actor=by,
        community_id=hearing.round.community_id,
        round_id=hearing.round_id,
        reason=reason,
        author_id=comment.author_id,
    )
    return comment


def _require_taking_part(user: User, comment: Comment) -> Hearing:
    hearing = db.session.get(Hearing, comment.hearing_id)
    require_member(user, hearing.round)
    if comment.hidden_at is not None:
        raise Conflict(_("This comment is hidden."))
    return hearing


def _counts(comment: Comment) -> dict[str, Any]:
    db.session.flush()
    db.session.refresh(comment)
    data = comment_dict(comment)
    return {"id": comment.id, "seq": comment.seq, "reactions": data["reactions"], "upvotes": data["upvotes"]}


def react(comment: Comment, kind: str, *, by: User, remove: bool = False) -> dict[str, Any]:
    """Add (or remove) a reaction; the same reaction twice counts once."""
    hearing = _require_taking_part(by, comment)
    if kind not in values(ReactionKind):
        raise InvalidInput(_("Unknown reaction."))
    existing = db.session.get(Reaction, (comment.id, by.id, kind))
    if existing is None and not remove:
        db.session.add(Reaction(comment_id=comment.id, user_id=by.id, kind=kind))
    elif existing is not None and remove:
        db.session.delete(existing)
    hearing_changed(hearing.id)
    counts = _counts(comment)
    publish_after_commit(db.session, Event.REACTIONS, counts, room=hearing_room(hearing.id))
    return counts


def upvote(comment: Comment, *, by: User) -> dict[str, Any]:
    """Upvote a question; once per person."""
    hearing = _require_taking_part(by, comment)
    if not comment.is_question:
        raise InvalidInput(_("Only questions can be upvoted."))
    if comment.author_id == by.id and comment.on_behalf_of is None:  # upvotes count other people's interest
        raise NotAllowed(_("This is your own question: upvotes are for the questions of others."))
    if db.session.get(Upvote, (comment.id, by.id)) is None:
        db.session.add(Upvote(comment_id=comment.id, user_id=by.id))
    hearing_changed(hearing.id)
    counts = _counts(comment)
    publish_after_commit(db.session, Event.REACTIONS, counts, room=hearing_room(hearing.id))
    return counts


# --- straw polls -------------------------------------------------------------------------


def poll_dict(poll: Poll) -> dict[str, Any]:
    votes = [0] * len(poll.options)
    for vote in poll.votes:
        votes[vote.option] += 1
    hands = [int(poll.hands.get(str(i), 0)) for i in range(len(poll.options))]
    return {
        "id": poll.id,
        "hearing_id": poll.hearing_id,
        "question": poll.question,
        "options": poll.options,
        "votes": votes,
        "hands": hands,
        "total": sum(votes) + sum(hands),
        "state": poll.state,
    }


def open_poll(hearing: Hearing, question: str, options: list[str], *, by: User) -> Poll:
    """The moderator opens a straw poll (one open at a time)."""
    require_moderator(by, hearing)
    if hearing.state == HearingState.ENDED:
        raise Conflict(_("This hearing has ended."))
    question = (question or "").strip()
    cleaned = [o.strip() for o in options if isinstance(o, str) and o.strip()]
    if not 1 <= len(question) <= 300 or not 2 <= len(cleaned) <= 8 or any(len(o) > 100 for o in cleaned):
        raise InvalidInput(_("A poll has a question and 2 to 8 options."))
    if current_poll(hearing) is not None:
        raise Conflict(_("Close the open poll first."))
    poll = Poll(hearing_id=hearing.id, question=question, options=cleaned, hands={})
    db.session.add(poll)
    db.session.flush()
    hearing_changed(hearing.id)
    publish_after_commit(db.session, Event.POLL, poll_dict(poll), room=hearing_room(hearing.id))
    return poll


def current_poll(hearing: Hearing) -> Poll | None:
    return db.session.scalar(
        select(Poll).where(Poll.hearing_id == hearing.id, Poll.state == PollState.OPEN.value)
    )


def close_poll(hearing: Hearing, *, by: User) -> Poll:
    require_moderator(by, hearing)
    poll = current_poll(hearing)
    if poll is None:
        raise Conflict(_("No poll is open."))
    poll.state, poll.closed_at = PollState.CLOSED.value, utcnow()
    hearing_changed(hearing.id)
    publish_after_commit(db.session, Event.POLL, poll_dict(poll), room=hearing_room(hearing.id))
    return poll


def record_hands(hearing: Hearing, counts: dict[str, Any], *, by: User) -> Poll:
    """The moderator records a show of hands in the room for the open poll."""
    require_moderator(by, hearing)
    poll = current_poll(hearing)
    if poll is None:
        raise Conflict(_("No poll is open."))
    hands: dict[str, int] = {}
    for key, value in counts.items():
        if (
            not (str(key).isdigit() and int(key) < len(poll.options))
            or not isinstance(value, int)
            or value < 0
        ):
            raise InvalidInput(_("Hands are counted per option, as whole numbers."))
        hands[str(int(key))] = value
    poll.hands = hands
    hearing_changed(hearing.id)
    publish_after_commit(db.session, Event.POLL, poll_dict(poll), room=hearing_room(hearing.id))
    return poll


def vote(poll: Poll, option: Any, *, by: User) -> Poll:
    """One vote per person per poll; voting again while it is open changes the vote."""
    hearing = db.session.get(Hearing, poll.hearing_id)
    require_member(by, hearing.round)
    if poll.state != PollState.OPEN:
        raise Conflict(_("This poll is closed."))
    if not isinstance(option, int) or isinstance(option, bool) or not 0 <= option < len(poll.options):
        raise InvalidInput(_("Unknown option."))
    existing = db.session.get(PollVote, (poll.id, by.id))
    if existing is None:
        db.session.add(PollVote(poll_id=poll.id, user_id=by.id, option=option))
    else:
        existing.option = option
    db.session.flush()
    db.session.refresh(poll)
    hearing_changed(hearing.id)
    publish_after_commit(db.session, Event.POLL, poll_dict(poll), room=hearing_room(hearing.id))
    return poll
