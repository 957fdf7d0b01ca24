"""Hearings over the API: schedule them, read them, page through their comments, end them."""

from __future__ import annotations

from flask_login import current_user, login_required
from flask_smorest import Blueprint

from deliberation import hearings
from deliberation.api.schemas import (
    CommentsPageSchema,
    CommentsQuerySchema,
    CreateHearingSchema,
    HearingListSchema,
    HearingSchema,
)
from deliberation.extensions import db
from deliberation.lookup import get_or_404
from deliberation.models import Hearing, Round
from deliberation.privacy import sees_people

blp = Blueprint("api_hearings", __name__, url_prefix="/api/v1", description="Live hearings")


@blp.post("/rounds/<int:round_id>/hearings")
@login_required
@blp.arguments(CreateHearingSchema)
@blp.response(201, HearingSchema)
def create_hearing(body, round_id: int):
    """Schedule a hearing with its pitch slots; moderators only. Answers its join code."""
    round_ = get_or_404(Round, round_id)
    hearing = hearings.create_hearing(
        round_,
        body["title"],
        body["starts_at"],
        body["place"],
        [(slot["proposal_id"], slot["seconds"]) for slot in body["slots"]],
        by=current_user,
    )
    db.session.commit()
    return hearing


@blp.get("/rounds/<int:round_id>/hearings")
@login_required
@blp.response(200, HearingListSchema)
def list_hearings(round_id: int):
    """A round's hearings, earliest first."""
    round_ = get_or_404(Round, round_id)
    found = db.session.query(Hearing).filter_by(round_id=round_.id).order_by(Hearing.starts_at).all()
    return {"hearings": found}


@blp.get("/hearings/<int:hearing_id>")
@login_required
@blp.response(200, HearingSchema)
def get_hearing(hearing_id: int):
    """A hearing with its running order."""
    return get_or_404(Hearing, hearing_id)


@blp.get("/hearings/<int:hearing_id>/comments")
@login_required
@blp.arguments(CommentsQuerySchema, location="query")
@blp.response(200, CommentsPageSchema)
def comments(query, hearing_id: int):
    """Comments after ``after_seq`` in order (at most 200; ``has_more`` says if more follow),
    or before ``before_seq`` to page back, or the latest ones."""
    hearing = get_or_404(Hearing, hearing_id)
    reader = {
        "for_moderator": hearings.is_moderator(current_user, hearing),
        "with_people": sees_people(current_user, hearing.round.community_id),
    }
    if query["before_seq"] is not None:
        found, has_more = hearings.comments_before(hearing, query["before_seq"], **reader)
    else:
        found, has_more = hearings.comments_after(hearing, query["after_seq"], **reader)
    return {"comments": found, "has_more": has_more}


@blp.post("/hearings/<int:hearing_id>/end")
@login_required
@blp.response(200, HearingSchema)
def end(hearing_id: int):
    """End the hearing; moderators only."""
    hearing = hearings.end_hearing(get_or_404(Hearing, hearing_id), by=current_user)
    db.session.commit()
    return hearing
