"""Ask whether (问情): should this space be renewed at all? One answer per resident."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from deliberation.audit import record
from deliberation.enums import NO_AGE_BAND, Phase, reporting_age_bands
from deliberation.extensions import db
from deliberation.models import Membership, Round, User, WhetherAnswer
from deliberation.rounds import require_member, require_phase


def check_can_answer(round_: Round, user: User) -> None:
    """Refuse unless this person may answer the ask-whether poll now (members, while asking)."""
    require_member(user, round_)
    require_phase(round_, Phase.ASKING)


def answer_whether(round_: Round, support: bool, *, by: User) -> WhetherAnswer:
    """Record (or change) a resident's yes/no while the round asks whether."""
    check_can_answer(round_, by)
    answer = db.session.scalar(
        select(WhetherAnswer).where(WhetherAnswer.round_id == round_.id, WhetherAnswer.user_id == by.id)
    )
    if answer is None:
        answer = WhetherAnswer(round_id=round_.id, user_id=by.id, support=support)
        db.session.add(answer)
    else:
        answer.support = support
    record("whether.answered", round_, actor=by, community_id=round_.community_id, round_id=round_.id)
    return answer


def whether_results(round_: Round) -> dict[str, Any]:
    """Support and turnout, overall and by age band."""
    members = db.session.scalar(
        select(func.count()).select_from(Membership).where(Membership.community_id == round_.community_id)
    )
    answers = db.session.scalars(select(WhetherAnswer).where(WhetherAnswer.round_id == round_.id)).all()
    bands: dict[str, dict[str, int]] = {
        band: {"yes": 0, "no": 0} for band in reporting_age_bands()
    }
    for answer in answers:
        band = answer.user.age_band or NO_AGE_BAND
        bands[band]["yes" if answer.support else "no"] += 1
    yes = sum(b["yes"] for b in bands.values())
    total = len(answers)
    return {
        "yes": yes,
        "no": total - yes,
        "answers": total,
        "members": members or 0,
        "turnout": round(total / members, 4) if members else 0.0,
        "support": round(yes / total, 4) if total else None,
        "by_age_band": bands,
    }


def my_whether_answer(round_: Round, user: User) -> bool | None:
    answer = db.session.scalar(
        select(WhetherAnswer).where(WhetherAnswer.round_id == round_.id, WhetherAnswer.user_id == user.id)
    )
    return None if answer is None else answer.support
