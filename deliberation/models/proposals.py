"""Proposals and their versions: every submission of a layout is a new version."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from deliberation.enums import ProposalStatus
from deliberation.extensions import db
from deliberation.models.accounts import User
from deliberation.models.rounds import Round
from deliberation.models.types import UTCDateTime, in_enum, utcnow


class Proposal(db.Model):
    __tablename__ = "proposals"
    __table_args__ = (
        CheckConstraint(in_enum("status", ProposalStatus), name="status"),
        # A withdrawn proposal says when; an active one has no such date.
        CheckConstraint("(status = 'withdrawn') = (withdrawn_at IS NOT NULL)", name="withdrawn_has_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=ProposalStatus.ACTIVE.value)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    round: Mapped[Round] = relationship()
    designers: Mapped[list[ProposalDesigner]] = relationship(
        back_populates="proposal", cascade="all, delete-orphan", lazy="selectin"
    )
    versions: Mapped[list[ProposalVersion]] = relationship(
        back_populates="proposal", cascade="all, delete-orphan", order_by="ProposalVersion.number"
    )

    @property
    def latest_version(self) -> ProposalVersion | None:
        return self.versions[-1] if self.versions else None

    def is_designer(self, user: User) -> bool:
        return any(d.user_id == user.id for d in self.designers)


class ProposalDesigner(db.Model):
    """A designer of a proposal; a team (such as a couple) has several."""

    __tablename__ = "proposal_designers"

    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)

    proposal: Mapped[Proposal] = relationship(back_populates="designers")
    user: Mapped[User] = relationship(lazy="joined")


class ProposalVersion(db.Model):
    __tablename__ = "proposal_versions"
    __table_args__ = (
        UniqueConstraint("proposal_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    layout: Mapped[dict[str, Any]] = mapped_column(db.JSON)
    note: Mapped[str] = mapped_column(Text, default="")
    # The validation findings and metrics as computed when the version was submitted.
    report: Mapped[dict[str, Any]] = mapped_column(db.JSON)
    metrics: Mapped[dict[str, Any] | None] = mapped_column(db.JSON)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    proposal: Mapped[Proposal] = relationship(back_populates="versions")
    answers: Mapped[list[VersionNeed]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    authors: Mapped[list[FeatureAuthor]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def need_ids(self) -> list[int]:
        return sorted(answer.need_id for answer in self.answers)

    @property
    def drawn_by(self) -> dict[str, int | None]:
        """Who drew each feature, for a version made from the team's draft (else empty):
        feature id to person id, None for a designer who has since deleted their account."""
        return {author.feature_id: author.author_id for author in self.authors}


class VersionNeed(db.Model):
    """A need that a proposal version says it answers."""

    __tablename__ = "version_needs"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("proposal_versions.id", ondelete="CASCADE"), primary_key=True
    )
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"), primary_key=True)


class FeatureAuthor(db.Model):
    """Who drew a feature of a version made from the team's draft: the last to change it."""

    __tablename__ = "version_feature_authors"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("proposal_versions.id", ondelete="CASCADE"), primary_key=True
    )
    feature_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
