"""A person's own data: all of it to take away, and the account to delete (PIPL art. 45, 47).

Deleting an account keeps what the neighbourhood's record needs, without the person: their
needs, comments, objections and ratings stay and read "former resident"; their ballots
and ask-whether answers stay counted, linked to nobody; the record forgets them as an
actor. Their name, email, age band, roles and tags go.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from deliberation.accounts import InvalidCredentials
from deliberation.audit import record
from deliberation.extensions import db
from deliberation.models import (
    AuditEntry,
    Ballot,
    Comment,
    Evaluation,
    Need,
    NeedSupport,
    Objection,
    ProposalDesigner,
    User,
    WhetherAnswer,
)
from deliberation.models.types import utcnow


def _at(value) -> str | None:
    return value.isoformat() if value else None


def export_my_data(user: User) -> dict[str, Any]:
    """Everything Jiayuan holds about this person, as a JSON-ready document."""

    def rows(model, column):
        return db.session.scalars(select(model).where(column == user.id)).all()

    return {
        "exported_at": utcnow().isoformat(),
        "account": {
            "id": user.id,
            "email": user.email,
            "name": user.name,
            "language": user.language,
            "large_text": user.large_text,
            "high_contrast": user.high_contrast,
            "created_at": _at(user.created_at),
            "age_band": user.age_band,
            "age_band_consent_at": _at(user.age_band_consent_at),
            "guardian_name": user.guardian_name,
            "guardian_consent_at": _at(user.guardian_consent_at),
        },
        "memberships": [
            {
                "community": m.community.name,
                "roles": sorted(r.role for r in m.roles),
                "stakeholder": m.stakeholder,
                "stakeholder_consent_at": _at(m.stakeholder_consent_at),
                "since": _at(m.created_at),
            }
            for m in user.memberships
        ],
        "needs": [
            {
                "round_id": n.round_id,
                "category": n.category,
                "text": n.text,
                "geometry": n.geometry,
                "created_at": _at(n.created_at),
            }
            for n in rows(Need, Need.author_id)
        ],
        "needs_supported": [s.need_id for s in rows(NeedSupport, NeedSupport.user_id)],
        "comments": [
            {
                "hearing_id": c.hearing_id,
                "seq": c.seq,
                "body": c.body,
                "created_at": _at(c.created_at),
                "hidden": c.hidden_at is not None,
            }
            for c in rows(Comment, Comment.author_id)
        ],
        **_secret_choices(user, rows),
        "objections": [
            {
                "decision_id": o.decision_id,
                "text": o.text,
                "created_at": _at(o.created_at),
                "answer": o.answer,
            }
            for o in rows(Objection, Objection.author_id)
        ],
        "evaluations": [
            {
                "round_id": e.round_id,
                "usability": e.usability,
                "safety": e.safety,
                "beauty": e.beauty,
                "all_ages": e.all_ages,
                "comment": e.comment,
                "updated_at": _at(e.updated_at),
            }
            for e in rows(Evaluation, Evaluation.user_id)
        ],
        "proposals_designed": [d.proposal_id for d in rows(ProposalDesigner, ProposalDesigner.user_id)],
        "record": [
            {"at": _at(e.at), "action": e.action, "round_id": e.round_id}
            for e in rows(AuditEntry, AuditEntry.actor_id)
        ],
    }


def _secret_choices(user: User, rows) -> dict[str, Any]:
    """Ballots and answers, unless a moderator set the password in use: then only that they exist."""
    ballots = rows(Ballot, Ballot.user_id)
    answers = rows(WhetherAnswer, WhetherAnswer.user_id)
    if user.password_set_by_staff:
        note = _("Hidden until you choose your own password: a moderator set the one in use.")
        return {
            "ballots": [{"round_id": b.round_id, "ranking": None} for b in ballots],
            "ask_whether_answers": [{"round_id": a.round_id, "support": None} for a in answers],
            "hidden": note,
        }
    return {
        "ballots": [{"round_id": b.round_id, "ranking": b.ranking} for b in ballots],
        "ask_whether_answers": [{"round_id": a.round_id, "support": a.support} for a in answers],
    }


def delete_account(user: User, password: str) -> None:
    """Delete the account (the password confirms it is the person): see the module's note."""
    if not user.check_password(password or ""):
        raise InvalidCredentials(_("The password is not right."))
    # The database sets the links to the person to NULL (comments, needs, ballots, the record's
    # actor) and removes what only meant something with them (roles, supports, reactions).
    record("user.deleted", user, actor=None)
    db.session.delete(user)
    db.session.flush()
