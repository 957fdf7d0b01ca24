"""Needs residents pin on the site map (问需), and who supports them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from deliberation.enums import NeedCategory
from deliberation.extensions import db
from deliberation.models.accounts import User
from deliberation.models.rounds import Round
from deliberation.models.types import UTCDateTime, in_enum, utcnow


class Need(db.Model):
    __tablename__ = "needs"
    __table_args__ = (CheckConstraint(in_enum("category", NeedCategory), name="category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    category: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    # A GeoJSON Point or Polygon inside the site, or None for a need about the whole site.
    geometry: Mapped[dict[str, Any] | None] = mapped_column(db.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    round: Mapped[Round] = relationship()
    author: Mapped[User | None] = relationship()
    supports: Mapped[list[NeedSupport]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def support_count(self) -> int:
        return len(self.supports)


class NeedSupport(db.Model):
    """One person's support of a need: at most one each."""

    __tablename__ = "need_supports"

    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
