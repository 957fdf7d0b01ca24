"""Communities over the API: lists, their sites, and adding members."""

from __future__ import annotations

from flask_login import current_user, login_required
from flask_smorest import Blueprint
from sqlalchemy import select

from deliberation import accounts
from deliberation.api.schemas import (
    AddMemberSchema,
    CommunityListSchema,
    GuardianConsentSchema,
    MemberSchema,
    NewPasswordSchema,
    SiteListSchema,
    UnitCostsSchema,
    UnitCostTableSchema,
    UserEnvelopeSchema,
)
from deliberation.enums import Role
from deliberation.extensions import db
from deliberation.lookup import get_or_404
from deliberation.models import Community, Site, User

blp = Blueprint("api_communities", __name__, url_prefix="/api/v1/communities", description="Communities")


@blp.get("")
@login_required
@blp.response(200, CommunityListSchema)
def list_communities():
    """Every community."""
    return {"communities": db.session.scalars(select(Community).order_by(Community.id)).all()}


@blp.get("/<int:community_id>/sites")
@login_required
@blp.response(200, SiteListSchema)
def list_sites(community_id: int):
    """The sites of a community."""
    community = get_or_404(Community, community_id)
    sites = db.session.scalars(select(Site).where(Site.community_id == community.id).order_by(Site.id)).all()
    return {"sites": sites}


@blp.post("/<int:community_id>/members")
@login_required
@blp.arguments(AddMemberSchema)
@blp.response(201, MemberSchema)
def add_member(body, community_id: int):
    """Give a person a role in the community; moderators of that community only."""
    community = get_or_404(Community, community_id)
    accounts.require_role(current_user, community.id, Role.MODERATOR)
    user = get_or_404(User, body["user_id"])
    membership = accounts.grant_role(
        community, user, body["role"], by=current_user, stakeholder=body["stakeholder"]
    )
    db.session.commit()
    return membership


@blp.post("/<int:community_id>/members/<int:user_id>/guardian-consent")
@login_required
@blp.arguments(GuardianConsentSchema)
@blp.response(200, UserEnvelopeSchema)
def guardian_consent(body, community_id: int, user_id: int):
    """Record a parent's or guardian's consent for a member under 14 (moderators), say for a
    family signing up together; the member may then take part."""
    community = get_or_404(Community, community_id)
    person = accounts.record_guardian_consent(
        community, get_or_404(User, user_id), body["guardian_name"], by=current_user
    )
    db.session.commit()
    return {"user": person}


@blp.post("/<int:community_id>/members/<int:user_id>/password")
@login_required
@blp.arguments(NewPasswordSchema)
@blp.response(204)
def reset_password(body, community_id: int, user_id: int):
    """Set a new password for a member who forgot theirs (moderators; staff only by the branch
    secretary). Recorded; every session of the member ends, and their ballots stay hidden from
    whoever logs in with it until they choose their own."""
    community = get_or_404(Community, community_id)
    accounts.reset_password(community, get_or_404(User, user_id), body["password"], by=current_user)
    db.session.commit()


@blp.get("/<int:community_id>/unit-costs")
@login_required
@blp.response(200, UnitCostTableSchema)
def get_unit_costs(community_id: int):
    """The unit costs (CNY) that estimate a layout's cost in this community."""
    return {"unit_costs": accounts.unit_cost_table(get_or_404(Community, community_id))}


@blp.put("/<int:community_id>/unit-costs")
@login_required
@blp.arguments(UnitCostsSchema)
@blp.response(200, UnitCostTableSchema)
def put_unit_costs(body, community_id: int):
    """Set the community's own unit costs (kind -> CNY); moderators only. Kinds not named use the defaults."""
    community = get_or_404(Community, community_id)
    accounts.set_unit_costs(community, body["unit_costs"], by=current_user)
    db.session.commit()
    return {"unit_costs": accounts.unit_cost_table(community)}
