"""The design round's state machine: its phases, the moves between them, and who may make them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from deliberation.accounts import require_role
from deliberation.audit import record
from deliberation.enums import Phase, Role
from deliberation.errors import Conflict, ErrorCode, InvalidInput, NotAllowed
from deliberation.extensions import db
from deliberation.labels import PHASE_NAMES
from deliberation.models import PhaseChange, PhaseDeadline, Round, Site, User
from deliberation.models.types import utcnow
from deliberation.publish import Event, publish_after_commit, round_room


@dataclass(frozen=True)
class Move:
    """An allowed move between two phases, the role that makes it, and whether it needs a reason."""

    source: Phase
    target: Phase
    role: Role
    needs_reason: bool = False
    # The one operation that makes this move ("decide", "reopen", "finalise"): the move
    # must also record a decision or change it, so a bare phase request may not make it.
    operation: str | None = None


# Forward one step at a time; from draft the moderator may skip asking and needs with a
# reason; the secretary's decision opens the notice period, and a reopening returns to deciding.
MOVES: tuple[Move, ...] = (
    Move(Phase.DRAFT, Phase.ASKING, Role.MODERATOR),
    Move(Phase.DRAFT, Phase.PROPOSING, Role.MODERATOR, needs_reason=True),
    Move(Phase.ASKING, Phase.NEEDS, Role.MODERATOR),
    Move(Phase.NEEDS, Phase.PROPOSING, Role.MODERATOR),
    Move(Phase.PROPOSING, Phase.HEARING, Role.MODERATOR),
    Move(Phase.HEARING, Phase.DECIDING, Role.MODERATOR),
    Move(Phase.DECIDING, Phase.NOTICE, Role.SECRETARY, operation="decide"),
    Move(Phase.NOTICE, Phase.DECIDING, Role.SECRETARY, needs_reason=True, operation="reopen"),
    Move(Phase.NOTICE, Phase.DECIDED, Role.SECRETARY, operation="finalise"),
    Move(Phase.DECIDED, Phase.IN_USE, Role.SECRETARY),
)

OPERATION_NAMES = {
    "decide": _l("the branch's decision"),
    "reopen": _l("reopening the round"),
    "finalise": _l("the end of the notice period"),
}

# What a move does, said before it is made: the moderator confirms with this in front of them.
MOVE_EFFECTS = {
    (Phase.DRAFT, Phase.ASKING): _l(
        "Residents are asked whether this space should be renewed at all; the round can be seen by all."
    ),
    (Phase.DRAFT, Phase.PROPOSING): _l(
        "Residents are not asked whether or what they need: designers can submit proposals at once."
    ),
    (Phase.ASKING, Phase.NEEDS): _l(
        "The answers to whether are closed; residents can pin what they need on the map."
    ),
    (Phase.NEEDS, Phase.PROPOSING): _l(
        "Residents can no longer add needs or support them; designers can submit proposals."
    ),
    (Phase.PROPOSING, Phase.HEARING): _l(
        "No new proposals can be submitted (designers can still revise theirs); hearings can run."
    ),
    (Phase.HEARING, Phase.DECIDING): _l(
        "Proposals can no longer be revised and hearings end; residents rank the proposals in secret."
    ),
    (Phase.DECIDED, Phase.IN_USE): _l("The space is built and in use: residents can rate it."),
}

OPEN_PHASES = frozenset(
    {Phase.ASKING, Phase.NEEDS, Phase.PROPOSING, Phase.HEARING, Phase.DECIDING, Phase.NOTICE}
)


class ForbiddenTransition(Conflict):
    code = ErrorCode.FORBIDDEN_TRANSITION


class MovedOnAlready(Conflict):
    code = ErrorCode.WRONG_PHASE


def move_effect(move: Move) -> str:
    """What a move does, in the reader's language."""
    return str(MOVE_EFFECTS.get((move.source, move.target), ""))


def find_move(source: Phase, target: Phase) -> Move | None:
    """The move from ``source`` to ``target``, or None when the rules forbid it."""
    for move in MOVES:
        if move.source == source and move.target == target:
            return move
    return None


def next_phases(round_: Round) -> list[Phase]:
    """The phases a round may move to from where it is."""
    return [move.target for move in MOVES if move.source == Phase(round_.phase)]


def available_moves(round_: Round, user: User) -> list[Move]:
    """The moves a person may request from where the round is (not those an operation makes)."""
    roles = user.roles_in(round_.community_id)
    return [
        move
        for move in MOVES
        if move.source == Phase(round_.phase) and move.operation is None and move.role in roles
    ]


def create_round(site: Site, title: str, *, by: User, brief: str = "", budget_cny: int = 0) -> Round:
    """Open a new round (in draft) on a site; moderators only."""
    require_role(by, site.community_id, Role.MODERATOR)
    if not 1 <= len((title or "").strip()) <= 200:
        raise InvalidInput(_("Give the round a title (1 to 200 characters)."))
    if budget_cny < 0:
        raise InvalidInput(_("The budget cannot be negative."))
    round_ = Round(site=site, title=title.strip(), brief=brief, budget_cny=budget_cny, created_by_id=by.id)
    db.session.add(round_)
    db.session.flush()
    round_.phase_changes.append(PhaseChange(from_phase=None, to_phase=Phase.DRAFT.value, actor_id=by.id))
    record("round.created", round_, actor=by, community_id=site.community_id, round_id=round_.id)
    return round_


def advance(
    round_: Round,
    target: Phase | str,
    *,
    actor: User | None,
    reason: str = "",
    deadline: datetime | None = None,
    operation: str | None = None,
    expected: Phase | str | None = None,
) -> PhaseChange:
    """Move a round to ``target``; refuse a move the rules forbid (409) or the actor may not make (403).

    ``actor`` None is the system itself (the seed, a scheduled command): rules still hold.
    ``expected`` is the phase the person saw when they asked: if the round has moved on since
    (a second press, a colleague's move), nothing changes, so no press can skip a phase.
    """
    source = Phase(round_.phase)
    target = Phase(target)
    if expected is not None and Phase(expected) != source:
        raise MovedOnAlready(
            _("The round has moved on already: it is now in %(phase)s.", phase=PHASE_NAMES[source])
        )
    move = find_move(source, target)
    if move is None:
        raise ForbiddenTransition(
            _(
                "A round cannot move from %(source)s to %(target)s.",
                source=PHASE_NAMES[source],
                target=PHASE_NAMES[target],
            )
        )
    if move.operation is not None and operation != move.operation:
        raise ForbiddenTransition(
            _("A round makes this move only by %(operation)s.", operation=OPERATION_NAMES[move.operation])
        )
    if actor is not None:
        require_role(actor, round_.community_id, move.role)
    if move.needs_reason and not reason.strip():
        raise InvalidInput(_("This move needs a reason."))
    round_.phase = target.value
    if deadline is not None:
        check_deadline(round_, target, deadline)
        set_deadline(round_, target, deadline)
    change = PhaseChange(
        from_phase=source.value,
        to_phase=target.value,
        actor_id=actor.id if actor else None,
        reason=reason.strip(),
    )
    round_.phase_changes.append(change)
    publish_after_commit(
        db.session,
        Event.PHASE,
        {"round_id": round_.id, "phase": target.value, "from": source.value, "reason": change.reason},
        room=round_room(round_.id),
    )
    record(
        "round.phase_changed",
        round_,
        actor=actor,
        community_id=round_.community_id,
        round_id=round_.id,
        source=source.value,
        target=target.value,
        reason=reason.strip(),
    )
    return change


def set_deadline(round_: Round, phase: Phase | str, due_at: datetime | None) -> None:
    """Plan when a phase ends (None removes the plan); shown on the round page."""
    phase = Phase(phase)
    for existing in round_.deadlines:
        if existing.phase == phase:
            if due_at is None:
                round_.deadlines.remove(existing)
            else:
                existing.due_at = due_at
            return
    if due_at is not None:
        round_.deadlines.append(PhaseDeadline(phase=phase.value, due_at=due_at))


def check_deadline(round_: Round, phase: Phase | str, due_at: datetime | None) -> None:
    """A deadline is planned in the future, and one that has passed stays where it was: a
    poll or ballot that closed at its deadline must not open again."""
    now = utcnow()
    planned = round_.deadline_of(phase)
    if planned is not None and planned <= now and due_at != planned:
        raise Conflict(_("That deadline has passed; it cannot be moved or removed."))
    if due_at is not None and due_at <= now and due_at != planned:
        raise InvalidInput(_("A deadline must be in the future."))


def set_deadlines(round_: Round, deadlines: dict[str, datetime | None], *, by: User) -> None:
    """The moderator plans the phases' deadlines."""
    require_role(by, round_.community_id, Role.MODERATOR)
    for phase, due_at in deadlines.items():
        check_deadline(round_, phase, due_at)
    for phase, due_at in deadlines.items():
        set_deadline(round_, phase, due_at)
    record(
        "round.deadlines_set",
        round_,
        actor=by,
        community_id=round_.community_id,
        round_id=round_.id,
        deadlines={p: d.isoformat() if d else None for p, d in deadlines.items()},
    )


def require_phase(round_: Round, *phases: Phase) -> None:
    """Refuse (409) what the round's current phase does not allow."""
    if Phase(round_.phase) not in phases:
        raise Conflict(
            _(
                "The round is not in a phase that allows this (it is in %(phase)s).",
                phase=PHASE_NAMES[Phase(round_.phase)],
            ),
            code=ErrorCode.WRONG_PHASE,
        )


def require_member(user: User, round_: Round) -> None:
    """Taking part in a round needs membership of its community, and under 14 a guardian's consent."""
    if not user.is_member_of(round_.community_id):
        raise NotAllowed(_("Only members of this community can take part."))
    if user.needs_guardian_consent:
        raise NotAllowed(_("A resident under 14 takes part once a parent or guardian has consented."))
