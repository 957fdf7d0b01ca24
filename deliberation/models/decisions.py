"""The branch's decision, objections in the notice period, and residents' evaluations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from deliberation.extensions import db
from deliberation.models.accounts import User
from deliberation.models.proposals import Proposal
from deliberation.models.rounds import Round
from deliberation.models.types import UTCDateTime, utcnow


class Decision(db.Model):
    """The chosen plan of a round with its rationale and the tally as it stood.

    Immutable once made: only its finalisation or its reopening is recorded on it later.
    A round has at most one decision standing (not reopened) at any time.
    """

    __tablename__ = "decisions"
    __table_args__ = (
        Index(
            "uq_decisions_round_standing",
            "round_id",
            unique=True,
            sqlite_where=text("reopened_at IS NULL"),
            postgresql_where=text("reopened_at IS NULL"),
        ),
        CheckConstraint("(reopened_at IS NULL) = (reopen_reason IS NULL)", name="reopen_has_reason"),
        CheckConstraint(
            "NOT (finalised_at IS NOT NULL AND reopened_at IS NOT NULL)", name="final_or_reopened"
        ),
        CheckConstraint("length(rationale) >= 1", name="rationale_given"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="RESTRICT"))
    version_number: Mapped[int] = mapped_column(Integer)
    rationale: Mapped[str] = mapped_column(Text)
    # The tally when the decision was made, kept with it; and whether the choice departs from it.
    tally: Mapped[dict[str, Any]] = mapped_column(db.JSON)
    tally_winner_id: Mapped[int | None] = mapped_column(Integer)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    notice_ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finalised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reopen_reason: Mapped[str | None] = mapped_column(Text)
    reopened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    round: Mapped[Round] = relationship()
    proposal: Mapped[Proposal] = relationship()
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    objections: Mapped[list[Objection]] = relationship(
        back_populates="decision", cascade="all, delete-orphan", order_by="Objection.id"
    )

    @property
    def departs_from_tally(self) -> bool:
        return self.tally_winner_id is not None and self.tally_winner_id != self.proposal_id


# What may still change on a decision after it is made.
DECISION_LATER_FIELDS = frozenset({"finalised_at", "reopened_at", "reopen_reason", "reopened_by_id"})


class DecisionIsImmutable(RuntimeError):
    """Raised when code tries to change what a decision says."""


@event.listens_for(Decision, "before_update")
def _keep_decisions_immutable(mapper, connection, target: Decision) -> None:
    state = inspect(target)
    changed = {attr.key for attr in state.attrs if attr.history.has_changes()}
    changed -= {rel.key for rel in mapper.relationships}
    if changed - DECISION_LATER_FIELDS:
        raise DecisionIsImmutable(f"a decision cannot change: {sorted(changed - DECISION_LATER_FIELDS)}")


class Objection(db.Model):
    """A resident's objection in the notice period (公示), and the secretary's answer."""

    __tablename__ = "objections"
    __table_args__ = (CheckConstraint("(answer IS NULL) = (answered_at IS NULL)", name="answer_has_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    decision: Mapped[Decision] = relationship(back_populates="objections")
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])


class Evaluation(db.Model):
    """A resident's verdict on the built space (问效): one per person and round, changeable."""

    __tablename__ = "evaluations"
    __table_args__ = (
        UniqueConstraint("round_id", "user_id"),
        *(
            CheckConstraint(f"{criterion} BETWEEN 1 AND 5", name=criterion)
            for criterion in ("usability", "safety", "beauty", "all_ages")
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    usability: Mapped[int] = mapped_column(Integer)
    safety: Mapped[int] = mapped_column(Integer)
    beauty: Mapped[int] = mapped_column(Integer)
    all_ages: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(String(2000), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    user: Mapped[User | None] = relationship()


class NoticePdf(db.Model):
    """A decision notice rendered as PDF, kept so that it is drawn once, not on every request.

    Keyed by the decision, the language and a digest of the notice's HTML: a new objection,
    an answer or the day it is printed on makes a new digest, and so a new rendering.
    """

    __tablename__ = "notice_pdfs"
    __table_args__ = (UniqueConstraint("decision_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(8))
    digest: Mapped[str] = mapped_column(String(64))
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    rendered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
