"""Proposals over the API: submit, revise, withdraw, list, diff and download layouts."""

from __future__ import annotations

import json

from flask import Response
from flask_login import current_user, login_required
from flask_smorest import Blueprint

from deliberation import proposals
from deliberation.api.schemas import (
    CreateProposalSchema,
    CreateVersionSchema,
    DiffQuerySchema,
    LayoutQuerySchema,
    ProposalListSchema,
    ProposalSchema,
    ProposalSubmittedSchema,
    VersionSubmittedSchema,
)
from deliberation.extensions import db
from deliberation.i18n import current_language
from deliberation.lookup import get_or_404
from deliberation.models import Proposal, Round

blp = Blueprint("api_proposals", __name__, url_prefix="/api/v1", description="Proposals and layouts")


@blp.post("/rounds/<int:round_id>/proposals")
@login_required
@blp.arguments(CreateProposalSchema)
@blp.response(201, ProposalSubmittedSchema)
@blp.alt_response(422, description="The layout has errors: the report says which")
def submit_proposal(body, round_id: int):
    """Submit a layout to a round taking proposals; designers only. Answers the first version's report."""
    round_ = get_or_404(Round, round_id)
    proposal, report = proposals.submit_proposal(
        round_,
        body["title"],
        body["summary"],
        body["layout"],
        by=current_user,
        language=current_language().value,
        co_designers=body["co_designers"],
        need_ids=body["needs"],
        note=body["note"],
    )
    db.session.commit()
    proposal.report_at_submission = report
    return proposal


@blp.get("/rounds/<int:round_id>/proposals")
@login_required
@blp.response(200, ProposalListSchema)
def list_proposals(round_id: int):
    """A round's proposals, withdrawn ones included (see status)."""
    round_ = get_or_404(Round, round_id)
    found = db.session.query(Proposal).filter_by(round_id=round_.id).order_by(Proposal.id).all()
    return {"proposals": found}


@blp.get("/proposals/<int:proposal_id>")
@login_required
@blp.response(200, ProposalSchema)
def get_proposal(proposal_id: int):
    """A proposal with its versions, their metrics and warnings."""
    return get_or_404(Proposal, proposal_id)


@blp.post("/proposals/<int:proposal_id>/versions")
@login_required
@blp.arguments(CreateVersionSchema)
@blp.response(201, VersionSubmittedSchema)
@blp.alt_response(422, description="The layout has errors: the report says which")
def revise(body, proposal_id: int):
    """A new version, by one of the proposal's designers, while proposing or between hearings."""
    proposal = get_or_404(Proposal, proposal_id)
    version, report = proposals.revise_proposal(
        proposal,
        body["layout"],
        by=current_user,
        language=current_language().value,
        note=body["note"],
        need_ids=body["needs"],
    )
    db.session.commit()
    version.report_at_submission = report
    return version


@blp.post("/proposals/<int:proposal_id>/withdraw")
@login_required
@blp.response(200, ProposalSchema)
def withdraw(proposal_id: int):
    """Withdraw a proposal before the round decides; its designers only."""
    proposal = proposals.withdraw_proposal(get_or_404(Proposal, proposal_id), by=current_user)
    db.session.commit()
    return proposal


@blp.get("/proposals/<int:proposal_id>/versions/<int:number>/diff")
@login_required
@blp.arguments(DiffQuerySchema, location="query")
@blp.response(200)
def diff(query, proposal_id: int, number: int):
    """What changed since the version before (or ``against``): features and metric deltas."""
    return proposals.version_diff(get_or_404(Proposal, proposal_id), number, query["against"])


@blp.get("/proposals/<int:proposal_id>/layout.geojson")
@login_required
@blp.arguments(LayoutQuerySchema, location="query")
@blp.response(200)
def layout(query, proposal_id: int):
    """The latest (or a given) version's layout as a GeoJSON FeatureCollection."""
    data = proposals.layout_geojson(get_or_404(Proposal, proposal_id), query["version"])
    return Response(json.dumps(data, ensure_ascii=False), mimetype="application/geo+json")
