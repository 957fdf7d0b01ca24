"""Recording to the audit log; every operation that changes shared state calls ``record``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from deliberation.extensions import db
from deliberation.models import AuditEntry, User
from deliberation.privacy import SECRET_ACTIONS


def record(
    action: str,
    subject: Any,
    *,
    actor: User | None,
    community_id: int | None = None,
    round_id: int | None = None,
    **data: Any,
) -> AuditEntry:
    """Append an entry saying that ``actor`` did ``action`` to ``subject``."""
    db.session.flush()  # the subject needs its id
    entry = AuditEntry(
        actor_id=actor.id if actor else None,
        action=action,
        subject_type=type(subject).__name__.lower(),
        subject_id=getattr(subject, "id", None),
        community_id=community_id,
        round_id=round_id,
        data=data,
    )
    db.session.add(entry)
    return entry


def round_entries(round_id: int) -> list[AuditEntry]:
    """A round's record, oldest first, without the old entries that would name a voter."""
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.round_id == round_id, AuditEntry.action.not_in(SECRET_ACTIONS))
            .order_by(AuditEntry.id)
        )
    )


ROLE_ACTIONS = ("member.role_granted", "member.role_removed")


def role_changes(community_id: int, *, limit: int = 200) -> list[AuditEntry]:
    """Who gave or took which role from whom in a community, newest first."""
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.community_id == community_id, AuditEntry.action.in_(ROLE_ACTIONS))
            .order_by(AuditEntry.id.desc())
            .limit(limit)
        )
    )
