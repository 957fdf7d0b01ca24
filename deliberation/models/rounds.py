"""Design rounds and the record of their phase changes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from deliberation.enums import Phase
from deliberation.extensions import db
from deliberation.models.accounts import User
from deliberation.models.sites import Site
from deliberation.models.types import UTCDateTime, in_enum, utcnow


class Round(db.Model):
    __tablename__ = "rounds"
    __table_args__ = (
        CheckConstraint(in_enum("phase", Phase), name="phase"),
        CheckConstraint("budget_cny >= 0", name="budget_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    brief: Mapped[str] = mapped_column(Text, default="")
    budget_cny: Mapped[int] = mapped_column(Integer, default=0)
    phase: Mapped[str] = mapped_column(String(16), default=Phase.DRAFT.value)
    # The last comment sequence number given in this round (see hearings.next_comment_seq).
    last_comment_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # When the moderator closed the ballots (they also close at the deciding deadline).
    ballots_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    site: Mapped[Site] = relationship()
    phase_changes: Mapped[list[PhaseChange]] = relationship(
        back_populates="round", cascade="all, delete-orphan", order_by="PhaseChange.id"
    )
    deadlines: Mapped[list[PhaseDeadline]] = relationship(
        back_populates="round", cascade="all, delete-orphan", order_by="PhaseDeadline.due_at"
    )

    def deadline_of(self, phase: Phase | str) -> datetime | None:
        """When a phase is planned to end, if the moderator said."""
        for deadline in self.deadlines:
            if deadline.phase == Phase(phase):
                return deadline.due_at
        return None

    @property
    def community_id(self) -> int:
        return self.site.community_id


class PhaseChange(db.Model):
    """One move of a round from a phase to another: who, when and why."""

    __tablename__ = "phase_changes"
    __table_args__ = (
        CheckConstraint(in_enum("from_phase", Phase), name="from_phase"),
        CheckConstraint(in_enum("to_phase", Phase), name="to_phase"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    from_phase: Mapped[str | None] = mapped_column(String(16))
    to_phase: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    round: Mapped[Round] = relationship(back_populates="phase_changes")
    actor: Mapped[User | None] = relationship()

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.from_phase,
            "to": self.to_phase,
            "by": self.actor.name if self.actor else None,
            "reason": self.reason,
            "at": self.at.isoformat(),
        }


class PhaseDeadline(db.Model):
    """When a phase of a round is planned to end: one per round and phase."""

    __tablename__ = "phase_deadlines"
    __table_args__ = (
        UniqueConstraint("round_id", "phase"),
        CheckConstraint(in_enum("phase", Phase), name="phase"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    phase: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)

    round: Mapped[Round] = relationship(back_populates="deadlines")


class WhetherAnswer(db.Model):
    """A resident's answer to "should this space be renewed at all?": one per person and round.

    Secret like a ballot: no time is kept, and the age band is copied (with the person's
    consent) so that the answer stays counted, unlinked, when the person leaves.
    """

    __tablename__ = "whether_answers"
    __table_args__ = (UniqueConstraint("round_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    support: Mapped[bool] = mapped_column(Boolean)
    age_band: Mapped[str | None] = mapped_column(String(16))
    # Recorded by the moderator from a paper form or in the room, for someone without a phone.
    on_paper: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Ballot(db.Model):
    """A resident's ranking of a round's proposals: one per person, changeable while deciding.

    No time is kept (the record says how many voted, never who voted when); the age band
    is copied with the person's consent, so a ballot stays counted, unlinked, when its
    voter deletes their account.
    """

    __tablename__ = "ballots"
    __table_args__ = (UniqueConstraint("round_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Proposal ids, most preferred first.
    ranking: Mapped[list[int]] = mapped_column(db.JSON)
    age_band: Mapped[str | None] = mapped_column(String(16))
    on_paper: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
