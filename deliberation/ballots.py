"""Ranked ballots in the deciding phase, and the tally by instant runoff."""

from __future__ import annotations

import hashlib
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from deliberation.audit import record
from deliberation.enums import NO_AGE_BAND, Phase, ProposalStatus, reporting_age_bands
from deliberation.errors import InvalidInput
from deliberation.extensions import db
from deliberation.models import Ballot, Proposal, Round, User
from deliberation.rounds import require_member, require_phase
from deliberation.tally import instant_runoff


def active_proposal_ids(round_: Round) -> list[int]:
    return list(
        db.session.scalars(
            select(Proposal.id)
            .where(Proposal.round_id == round_.id, Proposal.status == ProposalStatus.ACTIVE.value)
            .order_by(Proposal.id)
        )
    )


def check_can_vote(round_: Round, user: User) -> None:
    """Refuse unless this person may rank the proposals now (members, while deciding)."""
    require_member(user, round_)
    require_phase(round_, Phase.DECIDING)


def cast_ballot(round_: Round, ranking: list[int], *, by: User) -> Ballot:
    """Store (or replace) a resident's ranking while the round is deciding."""
    check_can_vote(round_, by)
    candidates = set(active_proposal_ids(round_))
    if not ranking:
        raise InvalidInput(_("Rank at least one proposal."))
    if len(set(ranking)) != len(ranking):
        raise InvalidInput(_("A proposal can appear only once in a ranking."))
    unknown = [pid for pid in ranking if pid not in candidates]
    if unknown:
        raise InvalidInput(
            _("These are not proposals of this round: %(ids)s", ids=", ".join(map(str, unknown)))
        )
    ballot = db.session.scalar(select(Ballot).where(Ballot.round_id == round_.id, Ballot.user_id == by.id))
    if ballot is None:
        ballot = Ballot(round_id=round_.id, user_id=by.id, ranking=list(ranking))
        db.session.add(ballot)
    else:
        ballot.ranking = list(ranking)
    record("ballot.cast", round_, actor=by, community_id=round_.community_id, round_id=round_.id)
    return ballot


def my_ballot(round_: Round, user: User) -> Ballot | None:
    return db.session.scalar(select(Ballot).where(Ballot.round_id == round_.id, Ballot.user_id == user.id))


def starting_order(round_: Round, user: User) -> tuple[list[int], list[int]]:
    """Where a ballot page starts: (ranked, left out) proposal ids.

    With a ballot, its ranking and the proposals it leaves out; without one, every
    proposal in a shuffle fixed per person, so that none gains from always coming first.
    """
    candidates = active_proposal_ids(round_)
    ballot = my_ballot(round_, user)
    if ballot is not None:
        ranked = [pid for pid in ballot.ranking if pid in candidates]
        return ranked, [pid for pid in candidates if pid not in ranked]
    shuffled = sorted(candidates, key=lambda pid: hashlib.sha256(f"{user.id}:{pid}".encode()).digest())
    return shuffled, []


def tally(round_: Round) -> dict[str, Any]:
    """First preferences, the instant-runoff rounds and the winner, also by age band."""
    candidates = active_proposal_ids(round_)
    ballots = db.session.scalars(select(Ballot).where(Ballot.round_id == round_.id).order_by(Ballot.id)).all()
    overall = instant_runoff(candidates, [b.ranking for b in ballots])
    by_band: dict[str, Any] = {}
    for band in reporting_age_bands():
        rankings = [b.ranking for b in ballots if (b.user.age_band or NO_AGE_BAND) == band]
        result = instant_runoff(candidates, rankings)
        by_band[band] = {
            "ballots": result.ballots,
            "winner": result.winner,
            "first_preferences": {str(k): v for k, v in result.first_preferences.items()},
        }
    return {"candidates": candidates, **overall.to_dict(), "by_age_band": by_band}
