"""Closing a round over the API: the decision, objections and answers, reopening, evaluations."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_smorest import Blueprint

from deliberation import decisions, record_export
from deliberation.api.schemas import (
    AnswerSchema,
    AuditLogSchema,
    DecideSchema,
    DecisionSchema,
    EvaluateSchema,
    EvaluationResultsSchema,
    ObjectionSchema,
    ReasonSchema,
    RoundSchema,
    TextSchema,
)
from deliberation.audit import round_entries
from deliberation.errors import NotFound
from deliberation.extensions import db
from deliberation.lookup import get_or_404, round_for_reading
from deliberation.models import Objection
from deliberation.privacy import sees_people, without_person_keys

blp = Blueprint("api_decisions", __name__, url_prefix="/api/v1", description="Decisions and evaluations")


@blp.post("/rounds/<int:round_id>/decision")
@login_required
@blp.arguments(DecideSchema)
@blp.response(201, DecisionSchema)
@blp.alt_response(409, description="The round is closed already, or not deciding")
def decide(body, round_id: int):
    """Close the round with a proposal version and the rationale; the branch secretary only."""
    decision = decisions.decide(
        round_for_reading(round_id),
        body["proposal_id"],
        body["rationale"],
        by=current_user,
        version=body["version"],
    )
    db.session.commit()
    return decisions.decision_dict(
        decision, people_visible=sees_people(current_user, decision.round.community_id)
    )


@blp.get("/rounds/<int:round_id>/decision")
@login_required
@blp.response(200, DecisionSchema)
def get_decision(round_id: int):
    """The decision that stands, with its objections and answers."""
    round_ = round_for_reading(round_id)
    decision = decisions.standing_decision(round_)
    if decision is None:
        raise NotFound(_("This round has no decision yet."))
    return decisions.decision_dict(decision, people_visible=sees_people(current_user, round_.community_id))


@blp.post("/rounds/<int:round_id>/objections")
@login_required
@blp.arguments(TextSchema)
@blp.response(201, ObjectionSchema)
def object_to(body, round_id: int):
    """Object to the decision during the notice period; members only."""
    objection = decisions.file_objection(round_for_reading(round_id), body["text"], by=current_user)
    db.session.commit()
    return decisions.objection_dict(objection, people_visible=True)  # a member, reading their own


@blp.post("/objections/<int:objection_id>/answer")
@login_required
@blp.arguments(AnswerSchema)
@blp.response(200, ObjectionSchema)
def answer(body, objection_id: int):
    """Answer an objection; the branch secretary only, once."""
    objection = decisions.answer_objection(
        get_or_404(Objection, objection_id), body["answer"], by=current_user
    )
    db.session.commit()
    return decisions.objection_dict(objection, people_visible=True)  # the secretary is a member


@blp.post("/rounds/<int:round_id>/reopen")
@login_required
@blp.arguments(ReasonSchema)
@blp.response(200, RoundSchema)
def reopen(body, round_id: int):
    """Withdraw the decision during the notice period and return to deciding; with a reason."""
    round_ = round_for_reading(round_id)
    decisions.reopen(round_, body["reason"], by=current_user)
    db.session.commit()
    return round_


@blp.post("/rounds/<int:round_id>/in-use")
@login_required
@blp.response(200, RoundSchema)
def in_use(round_id: int):
    """The space is built and in use: residents may now rate it. The branch secretary only."""
    round_ = round_for_reading(round_id)
    decisions.mark_in_use(round_, by=current_user)
    db.session.commit()
    return round_


@blp.post("/rounds/<int:round_id>/evaluations")
@login_required
@blp.arguments(EvaluateSchema)
@blp.response(201, EvaluationResultsSchema)
def evaluate(body, round_id: int):
    """Rate the built space (1 to 5 each); rating again replaces your evaluation. Answers the results."""
    round_ = round_for_reading(round_id)
    decisions.evaluate(round_, body["ratings"], body["comment"], by=current_user)
    db.session.commit()
    return decisions.evaluation_results(round_, people_visible=True)  # a member


@blp.get("/rounds/<int:round_id>/evaluations")
@login_required
@blp.response(200, EvaluationResultsSchema)
def evaluations(round_id: int):
    """The residents' ratings of the built space."""
    round_ = round_for_reading(round_id)
    return decisions.evaluation_results(round_, people_visible=sees_people(current_user, round_.community_id))


@blp.get("/rounds/<int:round_id>/participation")
@login_required
@blp.response(200)
def participation(round_id: int):
    """How many people of each age band took part: needs, comments, ballots, evaluations."""
    return decisions.participation(round_for_reading(round_id))


@blp.get("/rounds/<int:round_id>/audit")
@login_required
@blp.response(200, AuditLogSchema)
def audit(round_id: int):
    """The round's audit log, oldest first (append-only); who acted is shown to members only."""
    round_ = round_for_reading(round_id)
    named = sees_people(current_user, round_.community_id)
    return {
        "entries": [
            {
                "id": entry.id,
                "at": entry.at,
                "action": entry.action,
                "actor_id": entry.actor_id if named else None,
                "subject_type": entry.subject_type,
                "subject_id": entry.subject_id,
                "data": entry.data if named else without_person_keys(entry.data),
            }
            for entry in round_entries(round_.id)
        ]
    }


@blp.get("/rounds/<int:round_id>/export")
@login_required
@blp.response(200)
def export(round_id: int):
    """The whole round for the public record: JSON with the GeoJSON of every version and the
    decision; nobody is named in it."""
    return record_export.export_round(round_for_reading(round_id))


@blp.post("/rounds/<int:round_id>/export")
@login_required
@blp.arguments(ReasonSchema)
@blp.response(200)
def export_with_people(body, round_id: int):
    """The record with the people in it (who wrote what); moderators only, with a reason that
    the round's record keeps."""
    round_ = round_for_reading(round_id)
    document = record_export.export_round(round_, with_people_by=current_user, reason=body["reason"])
    db.session.commit()
    return document
