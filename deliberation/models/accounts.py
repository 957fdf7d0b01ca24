"""People, communities and who holds which role where."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from deliberation.enums import AgeBand, JoinStatus, Language, Role, StakeholderTag
from deliberation.extensions import db
from deliberation.models.types import UTCDateTime, in_enum, utcnow
from deliberation.offload import run_heavy


def new_token_nonce() -> str:
    return secrets.token_hex(8)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(in_enum("age_band", AgeBand), name="age_band"),
        CheckConstraint(in_enum("language", Language), name="language"),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        # An age band is kept only with the person's own consent (PIPL art. 29).
        CheckConstraint("age_band IS NULL OR age_band_consent_at IS NOT NULL", name="age_band_consented"),
        CheckConstraint("(guardian_consent_at IS NULL) = (guardian_name IS NULL)", name="guardian_named"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(80))
    age_band: Mapped[str | None] = mapped_column(String(16))
    age_band_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A resident under 14 takes part only once a guardian has consented (PIPL art. 31).
    guardian_name: Mapped[str | None] = mapped_column(String(80))
    guardian_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    language: Mapped[str] = mapped_column(String(8), default=Language.ZH_CN.value)
    large_text: Mapped[bool] = mapped_column(Boolean, default=False)  # the elder mode
    high_contrast: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Set when a moderator chose this password (a resident who forgot theirs): until the
    # person picks their own, their secret choices are not shown to whoever logs in.
    password_set_by_staff: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Registered by the committee for a neighbour without a phone or an email: never logs
    # in; takes part through entries the moderator makes on their behalf, marked as such.
    offline: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Changing the nonce revokes every API token issued before (see accounts.issue_token).
    token_nonce: Mapped[str] = mapped_column(String(16), default=new_token_nonce)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(back_populates="user", cascade="all, delete-orphan")

    def get_id(self) -> str:
        """The id Flask-Login keeps in the session and the remember-me cookie: with the
        nonce, so that rotating it (logout, a new password) ends every session at once."""
        return f"{self.id}:{self.token_nonce}"

    def set_password(self, password: str, *, method: str = "scrypt") -> None:
        # (a deliberately slow hash: off the live loop)
        self.password_hash = run_heavy(generate_password_hash, password, method=method)

    def check_password(self, password: str) -> bool:
        return run_heavy(check_password_hash, self.password_hash, password)

    def membership_in(self, community_id: int) -> Membership | None:
        """This person's membership of a community, if any."""
        for membership in self.memberships:
            if membership.community_id == community_id:
                return membership
        return None

    def roles_in(self, community_id: int) -> set[Role]:
        """The roles this person holds in a community (empty when not a member)."""
        membership = self.membership_in(community_id)
        return membership.role_set if membership else set()

    def has_role(self, community_id: int, role: Role) -> bool:
        return role in self.roles_in(community_id)

    def is_member_of(self, community_id: int) -> bool:
        return self.membership_in(community_id) is not None

    @property
    def needs_guardian_consent(self) -> bool:
        """Under 14 and no guardian has consented yet: watching only (PIPL art. 31)."""
        return self.age_band == AgeBand.UNDER_14 and self.guardian_consent_at is None


class Community(db.Model):
    __tablename__ = "communities"
    __table_args__ = (CheckConstraint("notice_days BETWEEN 1 AND 60", name="notice_days"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    district: Mapped[str] = mapped_column(String(120), default="")
    # The notice period (公示) after a decision, in days.
    notice_days: Mapped[int] = mapped_column(Integer, default=7)
    # Unit costs (CNY) per kind overriding geo's defaults; None uses the defaults.
    unit_costs: Mapped[dict[str, float] | None] = mapped_column(db.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="community", cascade="all, delete-orphan"
    )


class Membership(db.Model):
    """A person's place in a community: one per person and community."""

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("user_id", "community_id"),
        CheckConstraint(in_enum("stakeholder", StakeholderTag), name="stakeholder"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), index=True)
    # A tag a moderator proposed; shown beside the person's words only once they consent.
    stakeholder: Mapped[str | None] = mapped_column(String(32))
    stakeholder_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Where the person lives ("building 12"), as they or the committee gave it.
    building: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    community: Mapped[Community] = relationship(back_populates="memberships")
    roles: Mapped[list[MemberRole]] = relationship(
        back_populates="membership", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def role_set(self) -> set[Role]:
        return {Role(r.role) for r in self.roles}


class MemberRole(db.Model):
    """One role held by a member; a person may hold several in one community."""

    __tablename__ = "member_roles"
    __table_args__ = (CheckConstraint(in_enum("role", Role), name="role"),)

    membership_id: Mapped[int] = mapped_column(
        ForeignKey("memberships.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(16), primary_key=True)

    membership: Mapped[Membership] = relationship(back_populates="roles")


class JoinRequest(db.Model):
    """A person asking to become a member of a community; a moderator approves with a role
    or declines with a reason, and the person is told on their next visit."""

    __tablename__ = "join_requests"
    __table_args__ = (
        CheckConstraint(in_enum("status", JoinStatus), name="status"),
        CheckConstraint("(status = 'pending') = (decided_at IS NULL)", name="decided_when_not_pending"),
        CheckConstraint("status <> 'declined' OR reason IS NOT NULL", name="declined_with_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    message: Mapped[str] = mapped_column(String(500), default="")
    building: Mapped[str] = mapped_column(String(100), default="")
    # The hearing whose QR code brought the person here, if any.
    hearing_id: Mapped[int | None] = mapped_column(ForeignKey("hearings.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default=JoinStatus.PENDING.value)
    role: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(500))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the person saw the outcome (they are told once, on their next visit).
    seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    community: Mapped[Community] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
