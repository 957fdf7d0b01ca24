"""Live hearings: pitch slots, comments in threads, reactions, questions and straw polls."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from deliberation.enums import HearingState, PollState, ReactionKind
from deliberation.extensions import db
from deliberation.models.accounts import User
from deliberation.models.proposals import Proposal
from deliberation.models.rounds import Round
from deliberation.models.types import UTCDateTime, in_enum, utcnow


class Hearing(db.Model):
    __tablename__ = "hearings"
    __table_args__ = (
        CheckConstraint(in_enum("state", HearingState), name="state"),
        # A running slot has a deadline; no slot, no deadline.
        CheckConstraint("(current_slot IS NULL) = (slot_ends_at IS NULL)", name="slot_has_deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    place: Mapped[str] = mapped_column(String(200), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    join_code: Mapped[str] = mapped_column(String(12), unique=True)
    state: Mapped[str] = mapped_column(String(16), default=HearingState.SCHEDULED.value)
    # The running pitch slot (its position) and when it ends: a server deadline, not ticks.
    current_slot: Mapped[int | None] = mapped_column(Integer)
    slot_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Counts every change to what a joiner is sent of its comments (a comment, a hide, a
    # reaction, an upvote): a worker's encoded latest page is good while this is unchanged.
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    round: Mapped[Round] = relationship()
    slots: Mapped[list[HearingSlot]] = relationship(
        back_populates="hearing", cascade="all, delete-orphan", order_by="HearingSlot.position"
    )

    @property
    def community_id(self) -> int:
        return self.round.community_id

    @property
    def running_slot(self) -> HearingSlot | None:
        if self.current_slot is None:
            return None
        return next((s for s in self.slots if s.position == self.current_slot), None)


class HearingSlot(db.Model):
    """A proposal's pitch slot: N seconds in the hearing's running order."""

    __tablename__ = "hearing_slots"
    __table_args__ = (
        UniqueConstraint("hearing_id", "position"),
        CheckConstraint("seconds BETWEEN 10 AND 7200", name="seconds"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hearing_id: Mapped[int] = mapped_column(ForeignKey("hearings.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"))
    seconds: Mapped[int] = mapped_column(Integer)

    hearing: Mapped[Hearing] = relationship(back_populates="slots")
    proposal: Mapped[Proposal] = relationship()


class Comment(db.Model):
    """A comment in a hearing, numbered per round so that clients can resync after a gap."""

    __tablename__ = "comments"
    __table_args__ = (
        UniqueConstraint("round_id", "seq"),
        # A retried send carries the same client id and must not store a second comment.
        UniqueConstraint("hearing_id", "author_id", "client_id"),
        CheckConstraint("(hidden_at IS NULL) = (hidden_reason IS NULL)", name="hidden_has_reason"),
        CheckConstraint("length(body) BETWEEN 1 AND 2000", name="body_length"),
        Index("ix_comments_hearing_seq", "hearing_id", "seq"),
        Index("ix_comments_author_created", "author_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    hearing_id: Mapped[int] = mapped_column(ForeignKey("hearings.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    # The seq of the comment before this one in the same hearing (None for the first): a
    # client that does not hold it has missed something and joins again to catch up.
    prev_seq: Mapped[int | None] = mapped_column(Integer)
    client_id: Mapped[str] = mapped_column(String(64))
    # None once the author deleted their account: the comment reads "former resident".
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="SET NULL"))
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id", ondelete="SET NULL"))
    # {"feature_id": "..."} or {"point": [lon, lat]}: where on the map the comment points.
    anchor: Mapped[dict[str, Any] | None] = mapped_column(db.JSON)
    is_question: Mapped[bool] = mapped_column(Boolean, default=False)
    # Entered by the moderator for someone in the room without a phone ("on behalf of ...").
    on_behalf_of: Mapped[str | None] = mapped_column(String(80))
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_reason: Mapped[str | None] = mapped_column(String(500))
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User | None] = relationship(foreign_keys=[author_id], lazy="joined")
    reactions: Mapped[list[Reaction]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    upvotes: Mapped[list[Upvote]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class Reaction(db.Model):
    __tablename__ = "reactions"
    __table_args__ = (CheckConstraint(in_enum("kind", ReactionKind), name="kind"),)

    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)


class Upvote(db.Model):
    """One person's upvote of a question."""

    __tablename__ = "upvotes"

    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)


class Poll(db.Model):
    """A straw poll during a hearing."""

    __tablename__ = "polls"
    __table_args__ = (
        CheckConstraint(in_enum("state", PollState), name="state"),
        CheckConstraint("(state = 'closed') = (closed_at IS NOT NULL)", name="closed_has_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hearing_id: Mapped[int] = mapped_column(ForeignKey("hearings.id", ondelete="CASCADE"), index=True)
    question: Mapped[str] = mapped_column(String(300))
    options: Mapped[list[str]] = mapped_column(db.JSON)
    # Show-of-hands counts the moderator records for people in the room: {option index: n}.
    hands: Mapped[dict[str, int]] = mapped_column(db.JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default=PollState.OPEN.value)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    votes: Mapped[list[PollVote]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class PollVote(db.Model):
    """One vote per person per poll (a later vote replaces it while the poll is open)."""

    __tablename__ = "poll_votes"

    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    option: Mapped[int] = mapped_column(Integer)


class Presence(db.Model):
    """A connection watching a hearing; shared by every worker process through the database."""

    __tablename__ = "presences"

    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    hearing_id: Mapped[int] = mapped_column(ForeignKey("hearings.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Renewed by the worker holding the connection; a row not renewed for a while belongs
    # to a worker that died, and stops counting (see hearings.PRESENCE_TTL).
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
