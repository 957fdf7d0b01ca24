"""Becoming a member: asking to join, the moderator's answer, and neighbours the committee
registers because they have no phone or email.

A signed-up person asks to join a community (from the home page, or from a hearing's QR
code), with a note such as their building; a moderator approves with a role (resident or
designer: the roles a moderator may grant) or declines with a reason; the person is told
on their next visit. Every step is in the community's record.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from deliberation import accounts, limits
from deliberation.audit import record
from deliberation.enums import JoinStatus, Role
from deliberation.errors import Conflict, InvalidInput, NotAllowed
from deliberation.extensions import db
from deliberation.models import Community, Hearing, JoinRequest, Membership, User
from deliberation.models.types import utcnow

MAX_NOTE = 500
MAX_BUILDING = 100
MEMBER_ROLES_ON_JOINING = (Role.RESIDENT, Role.DESIGNER)
OFFLINE_DOMAIN = "residents.invalid"  # a reserved domain: no mail is ever sent there


def _text(value: Any, limit: int, field: str) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else None
    if text is None or len(text) > limit:
        raise InvalidInput(_("%(field)s: at most %(n)d characters.", field=field, n=limit))
    return text


def ask_to_join(
    community: Community,
    *,
    by: User,
    message: str | None = None,
    building: str | None = None,
    hearing: Hearing | None = None,
) -> JoinRequest:
    """A signed-up person asks to join (once at a time); the moderators see it."""
    if by.is_member_of(community.id):
        raise Conflict(_("You are a member of this community already."))
    limits.require_room(
        select(JoinRequest.id).where(
            JoinRequest.community_id == community.id,
            JoinRequest.user_id == by.id,
            JoinRequest.status == JoinStatus.PENDING.value,
        ),
        limits.JOIN_REQUESTS_PENDING,
        _("Your request to join is waiting for the committee already."),
    )
    request = JoinRequest(
        community=community,
        user=by,
        message=_text(message, MAX_NOTE, _("Note")),
        building=_text(building, MAX_BUILDING, _("Building")),
        hearing_id=hearing.id if hearing is not None and hearing.round.community_id == community.id else None,
    )
    db.session.add(request)
    record("member.join_requested", request, actor=by, community_id=community.id)
    return request


def check_can_review(community: Community, user: User) -> None:
    """Moderators (and the secretary) answer join requests."""
    accounts.require_role(user, community.id, Role.MODERATOR, Role.SECRETARY)


def pending(community: Community) -> list[JoinRequest]:
    return list(
        db.session.scalars(
            select(JoinRequest)
            .where(JoinRequest.community_id == community.id, JoinRequest.status == JoinStatus.PENDING.value)
            .order_by(JoinRequest.id)
        )
    )


def _open(request: JoinRequest) -> None:
    if request.status != JoinStatus.PENDING:
        raise Conflict(_("This request has been answered already."))


def approve(request: JoinRequest, role: Role | str, *, by: User) -> Membership:
    """A moderator lets the person in with a role (resident or designer)."""
    check_can_review(request.community, by)
    _open(request)
    role = Role(role)
    if role not in MEMBER_ROLES_ON_JOINING:
        raise InvalidInput(_("A request to join is approved as a resident or a designer."))
    membership = accounts.grant_role(request.community, request.user, role, by=by)
    if request.building and not membership.building:
        membership.building = request.building
    request.status, request.role = JoinStatus.APPROVED.value, role.value
    request.decided_by_id, request.decided_at = by.id, utcnow()
    record("member.join_approved", request, actor=by, community_id=request.community_id, role=role.value)
    return membership


def decline(request: JoinRequest, reason: str, *, by: User) -> JoinRequest:
    """A moderator says no, and why (the person reads the reason)."""
    check_can_review(request.community, by)
    _open(request)
    reason = _text(reason, MAX_NOTE, _("Reason"))
    if not reason:
        raise InvalidInput(_("Say why the request is declined."))
    request.status, request.reason = JoinStatus.DECLINED.value, reason
    request.decided_by_id, request.decided_at = by.id, utcnow()
    record("member.join_declined", request, actor=by, community_id=request.community_id)
    return request


def news_for(user: User) -> list[JoinRequest]:
    """Answers to this person's requests they have not seen yet (shown once, then marked seen)."""
    found = list(
        db.session.scalars(
            select(JoinRequest)
            .where(
                JoinRequest.user_id == user.id,
                JoinRequest.status != JoinStatus.PENDING.value,
                JoinRequest.seen_at.is_(None),
            )
            .order_by(JoinRequest.id)
        )
    )
    for request in found:
        request.seen_at = utcnow()
    return found


def waiting_for(user: User) -> dict[int, JoinRequest]:
    """This person's pending requests, by community."""
    found = db.session.scalars(
        select(JoinRequest).where(
            JoinRequest.user_id == user.id, JoinRequest.status == JoinStatus.PENDING.value
        )
    )
    return {request.community_id: request for request in found}


# --- neighbours without a phone or an email ------------------------------------------------


def register_offline(
    community: Community,
    name: str,
    *,
    by: User,
    building: str | None = None,
    age_band: str | None = None,
    consent: bool = False,
    guardian_name: str | None = None,
) -> User:
    """A moderator registers a neighbour who has no phone or email, with their consent to
    be recorded (and, for an age band, to that too). They never log in; the moderator makes
    their entries (paper ballots, needs, comments said in the room), each marked as such."""
    check_can_review(community, by)
    if not consent:
        raise InvalidInput(_("Ask the neighbour first: they must agree to be registered."))
    person = User(
        email=f"offline-{secrets.token_hex(8)}@{OFFLINE_DOMAIN}",
        name=accounts.clean_name(name),
        offline=True,
    )
    person.password_hash = "!"  # matches no password: this account never logs in
    accounts.set_age_band(person, age_band or None, consent=bool(age_band))
    if guardian_name:
        accounts.give_guardian_consent(person, guardian_name)
    db.session.add(person)
    db.session.flush()
    membership = accounts.grant_role(community, person, Role.RESIDENT, by=by)
    membership.building = _text(building, MAX_BUILDING, _("Building")) or None
    record("member.registered_offline", person, actor=by, community_id=community.id)
    return person


def offline_members(community_id: int) -> list[User]:
    """The neighbours the committee registered without a phone, by name."""
    return list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.community_id == community_id, User.offline.is_(True))
            .order_by(User.name, User.id)
        )
    )


def require_offline_member(community_id: int, person: User, *, by: User) -> None:
    """The moderator enters something for this person: they must be an offline member."""
    accounts.require_role(by, community_id, Role.MODERATOR)
    if not person.offline or not person.is_member_of(community_id):
        raise NotAllowed(_("Entries on someone's behalf are for neighbours the committee registered."))
