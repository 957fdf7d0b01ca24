"""Who belongs to a community, as a reader may see it."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from deliberation.enums import Role, values
from deliberation.errors import NotAllowed, NotFound
from deliberation.extensions import db
from deliberation.models import Community, Membership, User


def known_role(role: str) -> Role:
    """A role named in a URL; 404 for anything else."""
    if role not in values(Role):
        raise NotFound(_("Not found."))
    return Role(role)


def is_committee(viewer: User, community_id: int) -> bool:
    return bool(viewer.roles_in(community_id) & {Role.MODERATOR, Role.SECRETARY})


def entry(membership: Membership, *, committee: bool) -> dict[str, Any]:
    """A member as the members page and the API show them."""
    return {
        "user_id": membership.user_id,
        "name": membership.user.name,
        "roles": sorted(r.role for r in membership.roles),
        "stakeholder": membership.stakeholder if membership.stakeholder_consent_at else None,
        "building": membership.building if committee else None,
        "offline": membership.user.offline,
    }


def listing(community: Community, *, viewer: User, search: str = "") -> list[dict[str, Any]]:
    """The community's members by name (its members only may see them; the committee also
    sees where they live)."""
    if not viewer.is_member_of(community.id):
        raise NotAllowed(_("Only members of this community can see who belongs to it."))
    committee = is_committee(viewer, community.id)
    query = (
        select(Membership)
        .join(User, User.id == Membership.user_id)
        .where(Membership.community_id == community.id)
        .order_by(User.name)
    )
    if search.strip():
        query = query.where(User.name.ilike(f"%{search.strip()}%"))
    return [entry(m, committee=committee) for m in db.session.scalars(query)]
