"""Co-design: a proposal's draft, edited live by its team, one feature per change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from deliberation.enums import DraftAction, DraftCause
from deliberation.extensions import db
from deliberation.models.types import UTCDateTime, in_enum, utcnow

# A deleted feature and a delete's feature are SQL NULL, not the JSON text "null".
FeatureJSON = JSON(none_as_null=True)


class Draft(db.Model):
    """The working layout of a proposal's team; it starts from the proposal's latest version."""

    __tablename__ = "drafts"
    __table_args__ = (CheckConstraint("last_seq >= 0", name="last_seq"),)

    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), primary_key=True)
    # The seq of the latest change, counted up atomically (the row lock orders the changes).
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    # The version the draft started from, or the one it was last submitted as.
    version: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DraftFeature(db.Model):
    """A feature of a draft as its latest change left it; a deleted one stays, empty, so that a
    later change knows whose deletion it replaces."""

    __tablename__ = "draft_features"
    __table_args__ = (
        CheckConstraint("seq >= 0", name="seq"),
        CheckConstraint("(feature IS NULL) = (vertices = 0)", name="deleted_has_no_vertices"),
        CheckConstraint("(feature IS NULL) = (size = 0)", name="deleted_has_no_size"),
    )

    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("drafts.proposal_id", ondelete="CASCADE"), primary_key=True
    )
    feature_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    feature: Mapped[dict[str, Any] | None] = mapped_column(FeatureJSON)
    # The change that made it so (0: the version the draft started from) and its author.
    seq: Mapped[int] = mapped_column(Integer)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Its place in the layout: a started-from feature's index counted back from 0 (so they
    # come first, in the version's order), a new one's seq when it was first drawn.
    position: Mapped[int] = mapped_column(Integer)
    # Positions of its geometry and bytes of its JSON, which count toward the layout's limits.
    vertices: Mapped[int] = mapped_column(Integer, default=0)
    size: Mapped[int] = mapped_column(Integer, default=0)


class DraftOp(db.Model):
    """One change to a draft, in the server's order: the draft's history."""

    __tablename__ = "draft_ops"
    __table_args__ = (
        UniqueConstraint("proposal_id", "seq"),
        UniqueConstraint("proposal_id", "op_id"),
        CheckConstraint("seq >= 1", name="seq"),
        CheckConstraint(in_enum("action", DraftAction), name="action"),
        CheckConstraint(in_enum("cause", DraftCause), name="cause"),
        CheckConstraint("(action = 'delete') = (feature IS NULL)", name="delete_has_no_feature"),
        CheckConstraint("(cause = 'edit') = (refers_to IS NULL)", name="refers_unless_edit"),
        # Undo looks for a person's latest change.
        Index("ix_draft_ops_author", "proposal_id", "author_id", "seq"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("drafts.proposal_id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    # The client's own id for the change: sending it again returns the first answer.
    op_id: Mapped[str] = mapped_column(String(64))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(8))
    cause: Mapped[str] = mapped_column(String(8), default=DraftCause.EDIT.value)
    # The change a restore put back the replaced version of, or the one an undo undid.
    refers_to: Mapped[int | None] = mapped_column(Integer)
    feature_id: Mapped[str] = mapped_column(String(64))
    feature: Mapped[dict[str, Any] | None] = mapped_column(FeatureJSON)
    # The last seq its author had seen.
    base_seq: Mapped[int] = mapped_column(Integer)
    # What it replaced: the feature's state before (no seq: it did not exist; no feature:
    # it was deleted), and whether that was someone else's change made after base_seq.
    prev_seq: Mapped[int | None] = mapped_column(Integer)
    prev_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    prev_feature: Mapped[dict[str, Any] | None] = mapped_column(FeatureJSON)
    overwrote: Mapped[bool] = mapped_column(Boolean, default=False)
    # The seq of the undo that undid this change, once one did.
    undone_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
