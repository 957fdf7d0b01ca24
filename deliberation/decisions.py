"""Closing a round: the branch's decision, the notice period (公示), and asking how well (问效).

The branch secretary chooses a proposal version with a written rationale; the decision
keeps the tally as it stood and opens the notice period. Residents object, the
secretary answers; when the period has ended and every objection has an answer the
decision becomes final (``finalise_due``, run by a scheduler and on read). Or the
secretary reopens the round to deciding, with a reason.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from deliberation import ballots, limits
from deliberation.accounts import require_role
from deliberation.age_groups import band_of, grouped_counts
from deliberation.audit import record
from deliberation.enums import Phase, ProposalStatus, Role
from deliberation.errors import Conflict, InvalidInput
from deliberation.extensions import db
from deliberation.models import Ballot, Comment, Decision, Evaluation, Need, Objection, Proposal, Round, User
from deliberation.models.types import utcnow
from deliberation.privacy import person_name
from deliberation.proposals import version_of
from deliberation.publish import Event, publish_after_commit, round_room
from deliberation.rounds import advance, require_member, require_phase

# A choice other than the tally's winner must explain itself at some length.
MIN_RATIONALE = 10
MIN_RATIONALE_AGAINST_TALLY = 100
MAX_TEXT = 5000
CRITERIA = ("usability", "safety", "beauty", "all_ages")


def standing_decision(round_: Round) -> Decision | None:
    """The decision that stands for a round (not reopened), if any."""
    return db.session.scalar(
        select(Decision).where(Decision.round_id == round_.id, Decision.reopened_at.is_(None))
    )


def standing_decisions(round_ids: list[int]) -> dict[int, Decision]:
    """The standing decision of each of these rounds that has one, by round id."""
    if not round_ids:
        return {}
    found = db.session.scalars(
        select(Decision).where(Decision.round_id.in_(round_ids), Decision.reopened_at.is_(None))
    )
    return {d.round_id: d for d in found}


def decision_dict(decision: Decision, *, people_visible: bool = False) -> dict[str, Any]:
    """A decision as the API, the pages and the ``closed`` event show it; objectors are named
    only when ``people_visible`` (to members of the community)."""
    return {
        "id": decision.id,
        "round_id": decision.round_id,
        "proposal_id": decision.proposal_id,
        "proposal_title": decision.proposal.title,
        "version": decision.version_number,
        "rationale": decision.rationale,
        "tally": decision.tally,
        "tally_winner_id": decision.tally_winner_id,
        "departs_from_tally": decision.departs_from_tally,
        "decided_by": decision.decided_by.name if decision.decided_by else None,
        "decided_at": decision.decided_at.isoformat(),
        "notice_ends_at": decision.notice_ends_at.isoformat(),
        "finalised_at": decision.finalised_at.isoformat() if decision.finalised_at else None,
        "objections": [objection_dict(o, people_visible=people_visible) for o in decision.objections],
    }


def objection_dict(objection: Objection, *, people_visible: bool = False) -> dict[str, Any]:
    return {
        "id": objection.id,
        "text": objection.text,
        "author": person_name(objection.author, visible=people_visible),
        "created_at": objection.created_at.isoformat(),
        "answer": objection.answer,
        "answered_at": objection.answered_at.isoformat() if objection.answered_at else None,
    }


# --- what a person may do now (each check raises the domain's error; pages ask with allows) ---


def check_can_decide(round_: Round, user: User) -> None:
    """The branch secretary, once the ballots are closed and nothing stands yet."""
    require_role(user, round_.community_id, Role.SECRETARY)
    if standing_decision(round_) is not None:
        raise Conflict(_("This round is closed already."))
    require_phase(round_, Phase.DECIDING)
    ballots.require_ballots_closed(round_)


def check_can_object(round_: Round, user: User) -> Decision:
    """A member, during the notice period, before it ends; gives the decision objected to."""
    require_member(user, round_)
    decision = _in_notice(round_)
    if decision.notice_ends_at <= utcnow():
        raise Conflict(_("The notice period has ended."))
    return decision


def check_can_answer(round_: Round, user: User) -> None:
    """The branch secretary, while the decision is in its notice period."""
    require_role(user, round_.community_id, Role.SECRETARY)
    _in_notice(round_)


def check_can_reopen(round_: Round, user: User) -> Decision:
    """The branch secretary, during the notice period; gives the decision to withdraw."""
    require_role(user, round_.community_id, Role.SECRETARY)
    return _in_notice(round_)


def check_can_mark_in_use(round_: Round, user: User) -> None:
    """The branch secretary, once the decision is final."""
    require_role(user, round_.community_id, Role.SECRETARY)
    require_phase(round_, Phase.DECIDED)


def check_can_evaluate(round_: Round, user: User) -> None:
    """A member, once the space is in use."""
    require_member(user, round_)
    require_phase(round_, Phase.IN_USE)


def decide(
    round_: Round, proposal_id: int, rationale: str, *, by: User, version: int | None = None
) -> Decision:
    """The branch secretary closes the round with a proposal version and a rationale."""
    check_can_decide(round_, by)
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.round_id != round_.id or proposal.status != ProposalStatus.ACTIVE:
        raise InvalidInput(_("Choose an active proposal of this round."))
    chosen = version_of(proposal, version)
    tally = ballots.tally(round_)
    winner = tally["winner"]
    rationale = (rationale or "").strip()
    needed = MIN_RATIONALE_AGAINST_TALLY if winner is not None and winner != proposal.id else MIN_RATIONALE
    if len(rationale) < needed:
        if needed == MIN_RATIONALE_AGAINST_TALLY:
            raise InvalidInput(
                _(
                    "This choice differs from the residents' ranking: the rationale must say why "
                    "(at least %(n)d characters).",
                    n=needed,
                )
            )
        raise InvalidInput(_("Give the rationale (at least %(n)d characters).", n=needed))
    if len(rationale) > MAX_TEXT:
        raise InvalidInput(_("The rationale is too long."))
    decision = Decision(
        round_id=round_.id,
        proposal_id=proposal.id,
        version_number=chosen.number,
        rationale=rationale,
        tally=tally,
        tally_winner_id=winner,
        decided_by_id=by.id,
        notice_ends_at=utcnow() + timedelta(days=round_.site.community.notice_days),
    )
    db.session.add(decision)
    db.session.flush()  # the standing-decision unique index refuses a concurrent second one here
    advance(round_, Phase.NOTICE, actor=by, operation="decide")
    db.session.refresh(decision)
    publish_after_commit(
        db.session,
        Event.CLOSED,
        {"round_id": round_.id, "decision": decision_dict(decision)},
        room=round_room(round_.id),
    )
    record(
        "round.decided",
        decision,
        actor=by,
        community_id=round_.community_id,
        round_id=round_.id,
        proposal_id=proposal.id,
        version=chosen.number,
        departs_from_tally=decision.departs_from_tally,
    )
    return decision


def _in_notice(round_: Round) -> Decision:
    require_phase(round_, Phase.NOTICE)
    decision = standing_decision(round_)
    if decision is None:  # a round reaches notice only by a decision
        raise Conflict(_("This round has no decision."))
    return decision


def file_objection(round_: Round, text: str, *, by: User) -> Objection:
    """A member objects to the decision during the notice period."""
    decision = check_can_object(round_, by)
    limits.require_room(
        select(Objection.id).where(Objection.decision_id == decision.id, Objection.author_id == by.id),
        limits.OBJECTIONS_PER_PERSON,
        _("You have filed the most objections one person may file (%(n)d).", n=limits.OBJECTIONS_PER_PERSON),
    )
    text = (text or "").strip()
    if not 1 <= len(text) <= MAX_TEXT:
        raise InvalidInput(_("Write the objection (1 to %(n)d characters).", n=MAX_TEXT))
    objection = Objection(decision=decision, author_id=by.id, text=text)
    db.session.add(objection)
    record("objection.filed", objection, actor=by, community_id=round_.community_id, round_id=round_.id)
    return objection


def answer_objection(objection: Objection, answer: str, *, by: User) -> Objection:
    """The branch secretary answers an objection, once."""
    round_ = objection.decision.round
    require_role(by, round_.community_id, Role.SECRETARY)
    if objection.answer is not None:
        raise Conflict(_("This objection has its answer already."))
    if objection.decision.reopened_at is not None or objection.decision.finalised_at is not None:
        raise Conflict(_("The notice period is over."))
    answer = (answer or "").strip()
    if not 1 <= len(answer) <= MAX_TEXT:
        raise InvalidInput(_("Write the answer (1 to %(n)d characters).", n=MAX_TEXT))
    objection.answer, objection.answered_by_id, objection.answered_at = answer, by.id, utcnow()
    record("objection.answered", objection, actor=by, community_id=round_.community_id, round_id=round_.id)
    return objection


def reopen(round_: Round, reason: str, *, by: User) -> Decision:
    """The branch secretary withdraws the decision during the notice period: back to deciding."""
    decision = check_can_reopen(round_, by)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Say why the round is reopened."))
    decision.reopened_at, decision.reopen_reason, decision.reopened_by_id = utcnow(), reason, by.id
    advance(round_, Phase.DECIDING, actor=by, reason=reason, operation="reopen")
    record(
        "round.reopened",
        decision,
        actor=by,
        community_id=round_.community_id,
        round_id=round_.id,
        reason=reason,
    )
    return decision


def is_due(decision: Decision, now: datetime) -> bool:
    """Final once the period has ended and every objection has its answer."""
    return decision.notice_ends_at <= now and all(o.answer is not None for o in decision.objections)


def finalise_if_due(round_: Round, now: datetime | None = None) -> bool:
    """Make the decision final if its notice period is over; True when it did."""
    if Phase(round_.phase) != Phase.NOTICE:
        return False
    decision = standing_decision(round_)
    now = now or utcnow()
    if decision is None or not is_due(decision, now):
        return False
    decision.finalised_at = now
    advance(round_, Phase.DECIDED, actor=None, operation="finalise")
    record("round.finalised", decision, actor=None, community_id=round_.community_id, round_id=round_.id)
    return True


def finalise_due(now: datetime | None = None) -> list[int]:
    """Finalise every decision whose notice period is over; running it again changes nothing."""
    finalised = []
    for round_ in db.session.scalars(
        select(Round).where(Round.phase == Phase.NOTICE.value).order_by(Round.id)
    ):
        if finalise_if_due(round_, now):
            finalised.append(round_.id)
    return finalised


def mark_in_use(round_: Round, *, by: User) -> None:
    """The branch secretary says the space is built and in use: residents may rate it."""
    check_can_mark_in_use(round_, by)
    advance(round_, Phase.IN_USE, actor=by)


def evaluate(round_: Round, ratings: dict[str, int], comment: str, *, by: User) -> Evaluation:
    """A member rates the built space (1 to 5 on each criterion); rating again replaces it."""
    check_can_evaluate(round_, by)
    if set(ratings) != set(CRITERIA) or not all(
        isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 5 for v in ratings.values()
    ):
        raise InvalidInput(_("Rate usability, safety, beauty and fit for all ages from 1 to 5."))
    comment = (comment or "").strip()
    if len(comment) > 2000:
        raise InvalidInput(_("The comment is too long."))
    evaluation = db.session.scalar(
        select(Evaluation).where(Evaluation.round_id == round_.id, Evaluation.user_id == by.id)
    )
    if evaluation is None:
        evaluation = Evaluation(round_id=round_.id, user_id=by.id, **ratings, comment=comment)
        db.session.add(evaluation)
    else:
        for criterion, value in ratings.items():
            setattr(evaluation, criterion, value)
        evaluation.comment = comment
    record("round.evaluated", round_, actor=by, community_id=round_.community_id, round_id=round_.id)
    return evaluation


def evaluation_results(round_: Round, *, people_visible: bool = False) -> dict[str, Any]:
    """Averages and the spread of ratings per criterion, and the comments (named for members)."""
    found = db.session.scalars(
        select(Evaluation).where(Evaluation.round_id == round_.id).order_by(Evaluation.updated_at)
    ).all()
    results: dict[str, Any] = {"count": len(found), "criteria": {}, "comments": []}
    for criterion in CRITERIA:
        values = [getattr(e, criterion) for e in found]
        results["criteria"][criterion] = {
            "average": round(sum(values) / len(values), 2) if values else None,
            "distribution": [values.count(score) for score in range(1, 6)],
        }
    results["comments"] = [
        {
            "author": person_name(e.user, visible=people_visible),
            "comment": e.comment,
            "updated_at": e.updated_at.isoformat(),
        }
        for e in found
        if e.comment
    ]
    return results


def participation(round_: Round) -> dict[str, dict[str, Any]]:
    """How many people took part in each way, and by age group where every group holds at
    least five (for the branch to see who spoke, without pointing at anyone)."""
    ways = {
        "needs": select(Need.author_id).where(Need.round_id == round_.id),
        "comments": select(Comment.author_id).where(Comment.round_id == round_.id),
        "ballots": select(Ballot.user_id, Ballot.age_band).where(Ballot.round_id == round_.id),
        "evaluations": select(Evaluation.user_id).where(Evaluation.round_id == round_.id),
    }
    table: dict[str, dict[str, Any]] = {}
    for way, query in ways.items():
        if way == "ballots":  # a ballot carries its own band, and outlives its voter's account
            bands = Counter(band_of(row.age_band) for row in db.session.execute(query))
            if ballots.ballots_open(round_):
                # while people vote, a breakdown read before and after one vote would tell
                # that voter's age: turnout only, as on the tally
                table[way] = {"people": sum(bands.values()), "by_age_band": {}}
                continue
        else:
            people = {pid for pid in db.session.scalars(query) if pid is not None}
            found = db.session.scalars(select(User.age_band).where(User.id.in_(people))) if people else []
            bands = Counter(band_of(age_band) for age_band in found)
        table[way] = {"people": sum(bands.values()), "by_age_band": grouped_counts(bands)}
    return table
