"""Ranked ballots in the deciding phase, and the tally by instant runoff.

Ballots are secret. While they are open the tally is sealed for everyone, staff included:
only how many have voted. They close when the moderator closes them, or by themselves at
the deciding phase's deadline; then the count is shown, by age group only in groups of at
least five (age_groups.py). The record says when the ballots closed and how many voted,
never who voted when; a ballot keeps no time and no link to its voter once the voter
deletes their account.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from deliberation.accounts import require_role
from deliberation.age_groups import band_of, group_bands, group_key
from deliberation.audit import record
from deliberation.enums import Phase, ProposalStatus, Role
from deliberation.errors import Conflict, InvalidInput
from deliberation.extensions import db
from deliberation.joining import require_offline_member
from deliberation.models import Ballot, Proposal, Round, User
from deliberation.models.types import utcnow
from deliberation.publish import Event, publish_after_commit, round_room
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


def ballots_closed_at(round_: Round, now: datetime | None = None) -> datetime | None:
    """When the ballots closed: by the moderator, or at the deciding deadline once it passed."""
    if round_.ballots_closed_at is not None:
        return round_.ballots_closed_at
    deadline = round_.deadline_of(Phase.DECIDING)
    if deadline is not None and deadline <= (now or utcnow()):
        return deadline
    return None


def ballots_open(round_: Round, now: datetime | None = None) -> bool:
    """Residents may rank (and the tally is sealed) while the round decides and ballots are open."""
    return Phase(round_.phase) == Phase.DECIDING and ballots_closed_at(round_, now) is None


def require_ballots_open(round_: Round) -> None:
    require_phase(round_, Phase.DECIDING)
    if not ballots_open(round_):
        raise Conflict(_("The ballots are closed."))


def require_ballots_closed(round_: Round) -> None:
    """Refuse (409) while residents are still ranking: nothing may read or act on a count in progress."""
    if ballots_open(round_):
        raise Conflict(_("The ballots are still open: close them first."))


def check_can_vote(round_: Round, user: User) -> None:
    """Refuse unless this person may rank the proposals now (members, while ballots are open)."""
    require_member(user, round_)
    require_ballots_open(round_)


def check_can_close_ballots(round_: Round, user: User) -> None:
    """The moderator, in the deciding phase, while the ballots are open."""
    require_role(user, round_.community_id, Role.MODERATOR)
    require_phase(round_, Phase.DECIDING)
    if not ballots_open(round_):
        raise Conflict(_("The ballots are closed already."))


def ballot_count(round_: Round) -> int:
    return db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.round_id == round_.id))


def close_ballots(round_: Round, *, by: User) -> Round:
    """The moderator closes the ballots: the tally is unsealed and the secretary may decide."""
    check_can_close_ballots(round_, by)
    round_.ballots_closed_at = utcnow()
    _record_closing(round_, by)
    return round_


def close_ballots_if_due(round_: Round, now: datetime | None = None) -> bool:
    """Write down that the ballots closed at their deadline, once it has passed; True when it did."""
    if Phase(round_.phase) != Phase.DECIDING or round_.ballots_closed_at is not None:
        return False
    closed_at = ballots_closed_at(round_, now)
    if closed_at is None:
        return False
    round_.ballots_closed_at = closed_at
    _record_closing(round_, None)
    return True


def close_due(now: datetime | None = None) -> list[int]:
    """Write down the closing of every round's ballots whose deadline has passed; safe to repeat."""
    deciding = select(Round).where(Round.phase == Phase.DECIDING.value, Round.ballots_closed_at.is_(None))
    return [r.id for r in db.session.scalars(deciding.order_by(Round.id)) if close_ballots_if_due(r, now)]


def _record_closing(round_: Round, by: User | None) -> None:
    count = ballot_count(round_)
    record(
        "ballots.closed",
        round_,
        actor=by,
        community_id=round_.community_id,
        round_id=round_.id,
        ballots=count,
    )
    publish_after_commit(
        db.session,
        Event.BALLOTS,
        {"round_id": round_.id, "open": False, "ballots": count},
        room=round_room(round_.id),
    )


def cast_ballot(round_: Round, ranking: list[int], *, by: User) -> Ballot:
    """Store (or replace) a resident's ranking while the ballots are open; nothing says when."""
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
    ballot.age_band = by.age_band  # kept only with the person's consent (see accounts)
    return ballot


def record_paper_ballot(round_: Round, person: User, ranking: list[int], *, by: User) -> Ballot:
    """The moderator enters the paper ballot of a neighbour the committee registered (no
    phone); it is marked as on paper, and the record says a paper ballot was entered, not
    whose, nor what it ranks."""
    require_offline_member(round_.community_id, person, by=by)
    ballot = cast_ballot(round_, ranking, by=person)
    ballot.on_paper = True
    record("ballot.recorded_on_paper", round_, actor=by, community_id=round_.community_id, round_id=round_.id)
    return ballot


def forget_age_band(user: User) -> None:
    """Take a withdrawn age band off this person's ballots where voting is still open; a
    closed count stays as it was published (changing it would tell how they voted)."""
    for ballot in db.session.scalars(
        select(Ballot).where(Ballot.user_id == user.id, Ballot.age_band.is_not(None))
    ):
        if ballots_open(db.session.get(Round, ballot.round_id)):
            ballot.age_band = None


def my_ballot(round_: Round, user: User) -> Ballot | None:
    """This person's ballot, to show them; hidden while their password is one a moderator set."""
    if user.password_set_by_staff:
        return None
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
    """The count: sealed (turnout only) while ballots are open; then first preferences, the
    instant-runoff rounds and the winner, also by age group (groups of five or more)."""
    candidates = active_proposal_ids(round_)
    closes_at = round_.deadline_of(Phase.DECIDING)
    timing = {
        "closes_at": closes_at.isoformat() if closes_at else None,
        "closed_at": (closed.isoformat() if (closed := ballots_closed_at(round_)) else None),
    }
    if ballots_open(round_):
        return {
            "candidates": candidates,
            "ballots": ballot_count(round_),
            "sealed": True,
            "winner": None,
            "first_preferences": {},
            "rounds": [],
            "by_age_band": {},
            **timing,
        }
    ballots = db.session.execute(
        select(Ballot.ranking, Ballot.age_band).where(Ballot.round_id == round_.id).order_by(Ballot.id)
    ).all()
    overall = instant_runoff(candidates, [b.ranking for b in ballots])
    by_group: dict[str, Any] = {}
    for group in group_bands(Counter(band_of(b.age_band) for b in ballots)):
        result = instant_runoff(candidates, [b.ranking for b in ballots if band_of(b.age_band) in group])
        by_group[group_key(group)] = {
            "ballots": result.ballots,
            "winner": result.winner,
            "first_preferences": {str(k): v for k, v in result.first_preferences.items()},
        }
    return {"candidates": candidates, **overall.to_dict(), "sealed": False, "by_age_band": by_group, **timing}
