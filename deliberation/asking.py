"""Ask whether (问情): should this space be renewed at all? One secret answer per resident.

The poll is open while the round asks whether and its deadline (if the moderator set
one) has not passed; until it closes only the turnout is shown, so that nobody can read
a neighbour's answer off the count. Afterwards: support by age group, in groups of at
least five (age_groups.py). Nothing records who answered when.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from deliberation.age_groups import band_of, group_bands, group_key
from deliberation.audit import record
from deliberation.enums import Phase
from deliberation.errors import Conflict
from deliberation.extensions import db
from deliberation.joining import require_offline_member
from deliberation.models import Membership, Round, User, WhetherAnswer
from deliberation.models.types import utcnow
from deliberation.rounds import require_member, require_phase


def whether_open(round_: Round, now: datetime | None = None) -> bool:
    """Answers are taken (and results sealed) while the round asks and its deadline has not passed."""
    if Phase(round_.phase) != Phase.ASKING:
        return False
    deadline = round_.deadline_of(Phase.ASKING)
    return deadline is None or deadline > (now or utcnow())


def check_can_answer(round_: Round, user: User) -> None:
    """Refuse unless this person may answer the ask-whether poll now (members, while it is open)."""
    require_member(user, round_)
    require_phase(round_, Phase.ASKING)
    if not whether_open(round_):
        raise Conflict(_("The question is closed."))


def answer_whether(round_: Round, support: bool, *, by: User) -> WhetherAnswer:
    """Record (or change) a resident's yes/no while the poll is open; nothing says when."""
    check_can_answer(round_, by)
    answer = db.session.scalar(
        select(WhetherAnswer).where(WhetherAnswer.round_id == round_.id, WhetherAnswer.user_id == by.id)
    )
    if answer is None:
        answer = WhetherAnswer(round_id=round_.id, user_id=by.id, support=support)
        db.session.add(answer)
    else:
        answer.support = support
    answer.age_band = by.age_band  # kept only with the person's consent (see accounts)
    return answer


def record_paper_answer(round_: Round, person: User, support: bool, *, by: User) -> WhetherAnswer:
    """The moderator enters the answer of a neighbour the committee registered (no phone),
    marked as on paper; the record says an answer was entered, not whose nor which."""
    require_offline_member(round_.community_id, person, by=by)
    answer = answer_whether(round_, support, by=person)
    answer.on_paper = True
    record(
        "whether.recorded_on_paper", round_, actor=by, community_id=round_.community_id, round_id=round_.id
    )
    return answer


def whether_results(round_: Round) -> dict[str, Any]:
    """Turnout; once the poll has closed, support overall and by age group."""
    members = db.session.scalar(
        select(func.count()).select_from(Membership).where(Membership.community_id == round_.community_id)
    )
    answers = db.session.execute(
        select(WhetherAnswer.support, WhetherAnswer.age_band).where(WhetherAnswer.round_id == round_.id)
    ).all()
    total = len(answers)
    results: dict[str, Any] = {
        "answers": total,
        "members": members or 0,
        "turnout": round(total / members, 4) if members else 0.0,
        "sealed": whether_open(round_),
        "yes": None,
        "no": None,
        "support": None,
        "by_age_band": {},
    }
    if results["sealed"]:
        return results
    yes = sum(1 for a in answers if a.support)
    groups = group_bands(Counter(band_of(a.age_band) for a in answers))
    results.update(
        yes=yes,
        no=total - yes,
        support=round(yes / total, 4) if total else None,
        by_age_band={
            group_key(group): {
                "yes": sum(1 for a in answers if a.support and band_of(a.age_band) in group),
                "no": sum(1 for a in answers if not a.support and band_of(a.age_band) in group),
            }
            for group in groups
        },
    )
    return results


def forget_age_band(user: User) -> None:
    """Take a withdrawn age band off this person's answers where the question is still open."""
    answers = select(WhetherAnswer).where(
        WhetherAnswer.user_id == user.id, WhetherAnswer.age_band.is_not(None)
    )
    for answer in db.session.scalars(answers):
        if whether_open(db.session.get(Round, answer.round_id)):
            answer.age_band = None


def my_whether_answer(round_: Round, user: User) -> bool | None:
    """This person's answer, to show them; hidden while their password is one a moderator set."""
    if user.password_set_by_staff:
        return None
    answer = db.session.scalar(
        select(WhetherAnswer).where(WhetherAnswer.round_id == round_.id, WhetherAnswer.user_id == user.id)
    )
    return None if answer is None else answer.support
