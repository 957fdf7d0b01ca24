"""Sites: a shared space's boundary and the constraints a layout must respect."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from deliberation.enums import SiteKind
from deliberation.extensions import db
from deliberation.models.accounts import Community
from deliberation.models.types import UTCDateTime, in_enum, utcnow


class Site(db.Model):
    __tablename__ = "sites"
    __table_args__ = (CheckConstraint(in_enum("kind", SiteKind), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(32))
    # A GeoJSON Polygon (RFC 7946, lon/lat) and a FeatureCollection of constraints; loaded
    # only when used, since most reads of a site (whose community is this?) need neither.
    boundary: Mapped[dict[str, Any]] = mapped_column(db.JSON, deferred=True)
    constraints: Mapped[dict[str, Any]] = mapped_column(db.JSON, deferred=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    community: Mapped[Community] = relationship()

    def to_feature(self) -> dict[str, Any]:
        """The site as a GeoJSON Feature with its constraints."""
        return {
            "type": "Feature",
            "id": self.id,
            "geometry": self.boundary,
            "properties": {
                "id": self.id,
                "name": self.name,
                "kind": self.kind,
                "community_id": self.community_id,
                "constraints": self.constraints,
            },
        }
