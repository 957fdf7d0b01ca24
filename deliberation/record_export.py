"""The public record of a round: everything it decided and why, in one JSON document.

Layouts stay GeoJSON FeatureCollections inside it (every version of every proposal, and
the chosen one), so the record can be opened in any GIS. Ballots appear only as the
tally; hidden comments keep their place and the reason, not their text. People are left
out (who wrote a need, a comment, an objection or a rating, who acted in the record)
unless a moderator asks for them with a reason, which the record keeps.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from deliberation import asking, ballots, decisions, hearings, needs
from deliberation.accounts import require_role
from deliberation.audit import record, round_entries
from deliberation.enums import Role
from deliberation.errors import InvalidInput
from deliberation.extensions import db
from deliberation.models import Decision, Hearing, Proposal, Round, User
from deliberation.models.types import utcnow
from deliberation.privacy import without_person_keys


def _version(version) -> dict[str, Any]:
    return {
        "number": version.number,
        "note": version.note,
        "created_at": version.created_at.isoformat(),
        "metrics": version.metrics,
        "warnings": version.report.get("warnings", []),
        "needs": version.need_ids,
        "layout": version.layout,
    }


def _hearing(hearing: Hearing, *, personal: bool) -> dict[str, Any]:
    comments: list[dict] = []
    after = 0
    while True:  # page through every comment, in order
        page, has_more = hearings.comments_after(hearing, after, with_people=personal)
        comments.extend(page)
        if not has_more or not page:
            break
        after = page[-1]["seq"]
    return {
        "id": hearing.id,
        "title": hearing.title,
        "place": hearing.place,
        "starts_at": hearing.starts_at.isoformat(),
        "state": hearing.state,
        "slots": [
            {"position": s.position, "proposal_id": s.proposal_id, "seconds": s.seconds}
            for s in hearing.slots
        ],
        "comments": comments,
    }


def check_can_export_people(round_: Round, user: User) -> None:
    """Only a moderator of the round's community exports the record with the people in it."""
    require_role(user, round_.community_id, Role.MODERATOR)


def export_round(round_: Round, *, with_people_by: User | None = None, reason: str = "") -> dict[str, Any]:
    """The round as a JSON-ready document for the public record.

    With ``with_people_by`` (a moderator) and a reason, the people are in it too; that
    export is written in the round's record.
    """
    personal = with_people_by is not None
    if personal:
        check_can_export_people(round_, with_people_by)
        reason = (reason or "").strip()
        if not 1 <= len(reason) <= 500:
            raise InvalidInput(_("Say why the export needs the people in it (1 to 500 characters)."))
        record(
            "record.exported_with_people",
            round_,
            actor=with_people_by,
            community_id=round_.community_id,
            round_id=round_.id,
            reason=reason,
        )
    proposals = db.session.scalars(
        select(Proposal).where(Proposal.round_id == round_.id).order_by(Proposal.id)
    )
    all_decisions = db.session.scalars(
        select(Decision).where(Decision.round_id == round_.id).order_by(Decision.id)
    ).all()
    standing = decisions.standing_decision(round_)
    chosen_layout = None
    if standing is not None:
        chosen = next(v for v in standing.proposal.versions if v.number == standing.version_number)
        chosen_layout = chosen.layout
    return {
        "exported_at": utcnow().isoformat(),
        "round": {
            "id": round_.id,
            "title": round_.title,
            "brief": round_.brief,
            "budget_cny": round_.budget_cny,
            "phase": round_.phase,
            "community": round_.site.community.name,
            "deadlines": {d.phase: d.due_at.isoformat() for d in round_.deadlines},
            "phase_changes": [
                {**c.to_dict(), **({} if personal else {"by": None})} for c in round_.phase_changes
            ],
        },
        "site": round_.site.to_feature(),
        "ask_whether": asking.whether_results(round_),
        "needs": needs.needs_layer(round_, viewer=with_people_by),
        "proposals": [
            {
                "id": p.id,
                "title": p.title,
                "summary": p.summary,
                "status": p.status,
                "designers": [d.user.name for d in p.designers],
                "versions": [_version(v) for v in p.versions],
            }
            for p in proposals
        ],
        "hearings": [
            _hearing(h, personal=personal)
            for h in db.session.scalars(
                select(Hearing).where(Hearing.round_id == round_.id).order_by(Hearing.id)
            )
        ],
        "tally": ballots.tally(round_),
        "decisions": [
            {
                **decisions.decision_dict(d, people_visible=personal),
                "reopened_at": d.reopened_at.isoformat() if d.reopened_at else None,
                "reopen_reason": d.reopen_reason,
            }
            for d in all_decisions
        ],
        "chosen_layout": chosen_layout,
        "evaluations": decisions.evaluation_results(round_, people_visible=personal),
        "participation": decisions.participation(round_),
        "audit": [
            {
                "at": e.at.isoformat(),
                "action": e.action,
                "actor_id": e.actor_id if personal else None,
                "data": e.data if personal else without_person_keys(e.data),
            }
            for e in round_entries(round_.id)
        ],
        "with_people": personal,
    }
