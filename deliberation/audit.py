"""Recording to the audit log; every operation that changes shared state calls ``record``."""

from __future__ import annotations

from typing import Any

from deliberation.extensions import db
from deliberation.models import AuditEntry, User


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
