"""Rounds over the API: create, read, move phases, ask whether, needs, ballots and the tally."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_smorest import Blueprint

from deliberation import asking, ballots, needs, rounds
from deliberation.api.schemas import (
    BallotSchema,
    CreateNeedSchema,
    CreateRoundSchema,
    DeadlinesSchema,
    MovePhaseSchema,
    NeedSchema,
    NeedsLayerSchema,
    RoundSchema,
    TallySchema,
    WhetherAnswerSchema,
    WhetherResultsSchema,
)
from deliberation.errors import NotFound
from deliberation.extensions import db
from deliberation.i18n import current_language
from deliberation.lookup import get_or_404, round_for_reading
from deliberation.models import Need, Round, Site

blp = Blueprint("api_rounds", __name__, url_prefix="/api/v1", description="Design rounds")


@blp.post("/rounds")
@login_required
@blp.arguments(CreateRoundSchema)
@blp.response(201, RoundSchema)
def create_round(body):
    """Open a round (in draft) on a site; moderators of its community only."""
    site = get_or_404(Site, body["site_id"])
    round_ = rounds.create_round(
        site, body["title"], by=current_user, brief=body["brief"], budget_cny=body["budget_cny"]
    )
    db.session.commit()
    return round_


@blp.get("/rounds/<int:round_id>")
@login_required
@blp.response(200, RoundSchema)
def get_round(round_id: int):
    """A round with its phase, deadlines and the record of its phase changes."""
    return round_for_reading(round_id)


@blp.post("/rounds/<int:round_id>/phase")
@login_required
@blp.arguments(MovePhaseSchema)
@blp.response(200, RoundSchema)
@blp.alt_response(409, description="The rules forbid this move")
def move_phase(body, round_id: int):
    """Move the round on; a forbidden move is 409, a move by the wrong role 403."""
    round_ = get_or_404(Round, round_id)
    rounds.advance(
        round_,
        body["phase"],
        actor=current_user,
        reason=body["reason"],
        deadline=body["deadline"],
        expected=body["expected"],
    )
    db.session.commit()
    return round_


@blp.put("/rounds/<int:round_id>/deadlines")
@login_required
@blp.arguments(DeadlinesSchema)
@blp.response(200, RoundSchema)
def set_deadlines(body, round_id: int):
    """Plan when phases end (null removes a plan); moderators only."""
    round_ = get_or_404(Round, round_id)
    rounds.set_deadlines(round_, body["deadlines"], by=current_user)
    db.session.commit()
    return round_


@blp.put("/rounds/<int:round_id>/whether")
@login_required
@blp.arguments(WhetherAnswerSchema)
@blp.response(200, WhetherResultsSchema)
def answer_whether(body, round_id: int):
    """Answer "should this space be renewed?" (changeable while the round asks)."""
    round_ = get_or_404(Round, round_id)
    asking.answer_whether(round_, body["support"], by=current_user)
    db.session.commit()
    return {**asking.whether_results(round_), "mine": body["support"]}


@blp.get("/rounds/<int:round_id>/whether")
@login_required
@blp.response(200, WhetherResultsSchema)
def whether_results(round_id: int):
    """Support and turnout of the ask-whether poll, also by age band."""
    round_ = get_or_404(Round, round_id)
    return {**asking.whether_results(round_), "mine": asking.my_whether_answer(round_, current_user)}


@blp.post("/rounds/<int:round_id>/needs")
@login_required
@blp.arguments(CreateNeedSchema)
@blp.response(201, NeedSchema)
@blp.alt_response(422, description="The text, category or place is not valid")
def add_need(body, round_id: int):
    """Pin a need on the site map while the round asks what residents need."""
    round_ = get_or_404(Round, round_id)
    need = needs.add_need(
        round_,
        body["text"],
        body["category"],
        body["geometry"],
        by=current_user,
        language=current_language().value,
    )
    db.session.commit()
    return needs.need_feature(need, viewer=current_user)


@blp.get("/rounds/<int:round_id>/needs")
@login_required
@blp.response(200, NeedsLayerSchema)
def list_needs(round_id: int):
    """The needs layer: every need as a GeoJSON Feature, most supported first."""
    return needs.needs_layer(get_or_404(Round, round_id), viewer=current_user)


@blp.post("/needs/<int:need_id>/support")
@login_required
@blp.response(200, NeedSchema)
def support_need(need_id: int):
    """Support a need (once; again changes nothing)."""
    need = needs.support_need(get_or_404(Need, need_id), by=current_user)
    db.session.commit()
    return needs.need_feature(need, viewer=current_user)


@blp.put("/rounds/<int:round_id>/ballot")
@login_required
@blp.arguments(BallotSchema)
@blp.response(200, BallotSchema)
def cast_ballot(body, round_id: int):
    """Rank the proposals, most preferred first; changeable until the deciding phase ends."""
    round_ = get_or_404(Round, round_id)
    ballot = ballots.cast_ballot(round_, body["ranking"], by=current_user)
    db.session.commit()
    return ballot


@blp.get("/rounds/<int:round_id>/ballot")
@login_required
@blp.response(200, BallotSchema)
def my_ballot(round_id: int):
    """My ranking in this round (404 if I have not ranked yet)."""
    ballot = ballots.my_ballot(get_or_404(Round, round_id), current_user)
    if ballot is None:
        raise NotFound(_("You have not ranked the proposals of this round yet."))
    return ballot


@blp.post("/rounds/<int:round_id>/ballots/close")
@login_required
@blp.response(200, TallySchema)
@blp.alt_response(409, description="The ballots are closed already, or the round is not deciding")
def close_ballots(round_id: int):
    """Close the ballots (moderators): the tally is unsealed and the branch secretary may decide."""
    round_ = round_for_reading(round_id)
    ballots.close_ballots(round_, by=current_user)
    db.session.commit()
    return ballots.tally(round_)


@blp.get("/rounds/<int:round_id>/tally")
@login_required
@blp.response(200, TallySchema)
def tally(round_id: int):
    """The count: sealed (turnout only) while ballots are open; then the instant runoff, also by age group."""
    return ballots.tally(round_for_reading(round_id))
