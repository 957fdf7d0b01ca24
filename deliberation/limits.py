"""How much one person may add to a round: every list a person can grow has a ceiling,
so that one resident cannot bury a round (or hold a decision back by filing objections
that must all be answered)."""

from __future__ import annotations

from sqlalchemy import func, select

from deliberation.errors import Conflict, ErrorCode
from deliberation.extensions import db

# per person and round (needs, proposals), decision (objections) or proposal (versions)
NEEDS_PER_PERSON = 20
PROPOSALS_PER_DESIGNER = 5
VERSIONS_PER_PROPOSAL = 50
OBJECTIONS_PER_PERSON = 5
JOIN_REQUESTS_PENDING = 1
# per proposal's draft: changes in its history (a long evening of three designers is ~2,000)
DRAFT_CHANGES = 100_000


class LimitReached(Conflict):
    code = ErrorCode.LIMIT_REACHED


def require_room(query, limit: int, message: str) -> None:
    """Refuse (409 limit_reached) when ``query`` (a select of rows) already counts ``limit``."""
    count = db.session.scalar(select(func.count()).select_from(query.subquery()))
    if count >= limit:
        raise LimitReached(message)
