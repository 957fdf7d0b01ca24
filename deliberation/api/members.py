"""Members over the API: who belongs, granting and removing roles, asking to join and the
answer, neighbours registered without a phone, and their paper ballots."""

from __future__ import annotations

from flask_login import current_user, login_required
from flask_smorest import Blueprint

from deliberation import accounts, asking, ballots, joining, members
from deliberation.api.schemas import (
    ApproveSchema,
    DeclineSchema,
    JoinRequestInSchema,
    JoinRequestListSchema,
    JoinRequestSchema,
    MemberEntrySchema,
    MemberListSchema,
    MembersQuerySchema,
    OfflineResidentSchema,
    PaperAnswerSchema,
    PaperBallotSchema,
    TallySchema,
    WhetherResultsSchema,
)
from deliberation.extensions import db
from deliberation.lookup import get_or_404, round_for_reading
from deliberation.models import Community, Hearing, JoinRequest, User

blp = Blueprint("api_members", __name__, url_prefix="/api/v1", description="Members and joining")


@blp.get("/communities/<int:community_id>/members")
@login_required
@blp.arguments(MembersQuerySchema, location="query")
@blp.response(200, MemberListSchema)
def list_members(query, community_id: int):
    """The members with their roles (members of the community only; buildings for the committee)."""
    community = get_or_404(Community, community_id)
    return {"members": members.listing(community, viewer=current_user, search=query["q"])}


@blp.delete("/communities/<int:community_id>/members/<int:user_id>/roles/<role>")
@login_required
@blp.response(204)
def remove_role(community_id: int, user_id: int, role: str):
    """Take a role away: resident and designer by a moderator, moderator and secretary only by
    the branch secretary, never one's own; recorded."""
    community = get_or_404(Community, community_id)
    accounts.remove_role(community, get_or_404(User, user_id), members.known_role(role), by=current_user)
    db.session.commit()


@blp.post("/communities/<int:community_id>/join-requests")
@login_required
@blp.arguments(JoinRequestInSchema)
@blp.response(201, JoinRequestSchema)
def ask_to_join(body, community_id: int):
    """Ask to become a member (one request at a time), with a note such as your building."""
    community = get_or_404(Community, community_id)
    hearing = get_or_404(Hearing, body["hearing_id"]) if body["hearing_id"] is not None else None
    request = joining.ask_to_join(
        community, by=current_user, message=body["message"], building=body["address_hint"], hearing=hearing
    )
    db.session.commit()
    return request


@blp.get("/communities/<int:community_id>/join-requests")
@login_required
@blp.response(200, JoinRequestListSchema)
def join_requests(community_id: int):
    """The requests waiting for an answer (moderators)."""
    community = get_or_404(Community, community_id)
    joining.check_can_review(community, current_user)
    return {"requests": joining.pending(community)}


@blp.post("/join-requests/<int:request_id>/approve")
@login_required
@blp.arguments(ApproveSchema)
@blp.response(200, JoinRequestSchema)
def approve(body, request_id: int):
    """Let the person in as a resident or a designer (moderators)."""
    request = get_or_404(JoinRequest, request_id)
    joining.approve(request, body["role"], by=current_user)
    db.session.commit()
    return request


@blp.post("/join-requests/<int:request_id>/decline")
@login_required
@blp.arguments(DeclineSchema)
@blp.response(200, JoinRequestSchema)
def decline(body, request_id: int):
    """Decline, with a reason the person will read (moderators)."""
    request = get_or_404(JoinRequest, request_id)
    joining.decline(request, body["reason"], by=current_user)
    db.session.commit()
    return request


@blp.post("/communities/<int:community_id>/offline-residents")
@login_required
@blp.arguments(OfflineResidentSchema)
@blp.response(201, MemberEntrySchema)
def register_offline(body, community_id: int):
    """Register a neighbour without a phone or an email, with their consent (moderators)."""
    community = get_or_404(Community, community_id)
    person = joining.register_offline(community, body["name"], by=current_user, **_offline_fields(body))
    db.session.commit()
    return members.entry(person.membership_in(community.id), committee=True)


def _offline_fields(body: dict) -> dict:
    return {k: body[k] for k in ("building", "age_band", "consent", "guardian_name")}


@blp.post("/rounds/<int:round_id>/paper-ballots")
@login_required
@blp.arguments(PaperBallotSchema)
@blp.response(201, TallySchema)
def paper_ballot(body, round_id: int):
    """Enter the paper ballot of a neighbour the committee registered (moderators); marked as on
    paper, and recorded without whose or what. Answers the (sealed) tally."""
    round_ = round_for_reading(round_id)
    ballots.record_paper_ballot(round_, get_or_404(User, body["user_id"]), body["ranking"], by=current_user)
    db.session.commit()
    return ballots.tally(round_)


@blp.post("/rounds/<int:round_id>/paper-answers")
@login_required
@blp.arguments(PaperAnswerSchema)
@blp.response(201, WhetherResultsSchema)
def paper_answer(body, round_id: int):
    """Enter the ask-whether answer of a neighbour the committee registered (moderators)."""
    round_ = round_for_reading(round_id)
    asking.record_paper_answer(round_, get_or_404(User, body["user_id"]), body["support"], by=current_user)
    db.session.commit()
    return asking.whether_results(round_)
