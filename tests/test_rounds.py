"""The round's state machine, tested as a table over every phase and every move."""

from __future__ import annotations

import itertools

import pytest

from deliberation import rounds
from deliberation.enums import Phase, Role
from deliberation.errors import InvalidInput, NotAllowed
from deliberation.extensions import db
from deliberation.models import AuditEntry, Site

# (source, target): the role that may make the move, and whether it needs a reason.
ALLOWED = {
    (Phase.DRAFT, Phase.ASKING): (Role.MODERATOR, False),
    (Phase.DRAFT, Phase.PROPOSING): (Role.MODERATOR, True),
    (Phase.ASKING, Phase.NEEDS): (Role.MODERATOR, False),
    (Phase.NEEDS, Phase.PROPOSING): (Role.MODERATOR, False),
    (Phase.PROPOSING, Phase.HEARING): (Role.MODERATOR, False),
    (Phase.HEARING, Phase.DECIDING): (Role.MODERATOR, False),
    (Phase.DECIDING, Phase.NOTICE): (Role.SECRETARY, False),
    (Phase.NOTICE, Phase.DECIDING): (Role.SECRETARY, True),
    (Phase.NOTICE, Phase.DECIDED): (Role.SECRETARY, False),
    (Phase.DECIDED, Phase.IN_USE): (Role.SECRETARY, False),
}
# Moves that only the operation that records or changes a decision makes.
OPERATIONS = {
    (Phase.DECIDING, Phase.NOTICE): "decide",
    (Phase.NOTICE, Phase.DECIDING): "reopen",
    (Phase.NOTICE, Phase.DECIDED): "finalise",
}
EVERY_MOVE = list(itertools.product(Phase, Phase))


@pytest.fixture
def round_in(community, make_user):
    """A round placed directly in a phase, as if it had got there."""
    moderator = make_user(Role.MODERATOR, community=community)
    site = Site(community=community, name="Court", kind="half_court", boundary={}, constraints={})
    db.session.add(site)
    db.session.flush()

    def make(phase: Phase):
        round_ = rounds.create_round(site, "A round", by=moderator)
        round_.phase = phase.value
        db.session.flush()
        return round_

    return make


@pytest.mark.parametrize(("source", "target"), EVERY_MOVE, ids=[f"{s}->{t}" for s, t in EVERY_MOVE])
def test_every_move_between_phases(round_in, make_user, community, source, target):
    round_ = round_in(source)
    rule = ALLOWED.get((source, target))
    if rule is None:
        actor = make_user(Role.MODERATOR, Role.SECRETARY, community=community)
        with pytest.raises(rounds.ForbiddenTransition) as refused:
            rounds.advance(round_, target, actor=actor, reason="because")
        assert refused.value.status == 409
        assert round_.phase == source
        return

    role, needs_reason = rule
    operation = OPERATIONS.get((source, target))
    others = [r for r in Role if r != role]
    for other in others:
        with pytest.raises(NotAllowed):
            rounds.advance(
                round_,
                target,
                actor=make_user(other, community=community),
                reason="x",
                operation=operation,
            )
    if needs_reason:
        with pytest.raises(InvalidInput):
            rounds.advance(
                round_, target, actor=make_user(role, community=community), reason="  ", operation=operation
            )
    assert round_.phase == source

    actor = make_user(role, community=community, name="The Actor")
    if operation is not None:  # a bare phase request cannot make it
        with pytest.raises(rounds.ForbiddenTransition):
            rounds.advance(round_, target, actor=actor, reason="the reason")
    change = rounds.advance(round_, target, actor=actor, reason="the reason", operation=operation)
    assert round_.phase == target
    assert (change.from_phase, change.to_phase, change.actor_id) == (source, target, actor.id)
    assert round_.phase_changes[-1] is change
    db.session.flush()
    audit = db.session.query(AuditEntry).filter_by(action="round.phase_changed").one()
    assert audit.data == {"source": source, "target": target, "reason": "the reason"}


def test_the_allowed_moves_are_exactly_those_in_the_rules():
    assert {(m.source, m.target) for m in rounds.MOVES} == set(ALLOWED)


def test_a_person_from_another_community_cannot_move_a_round(round_in, make_user, make_community):
    round_ = round_in(Phase.DRAFT)
    outsider = make_user(Role.MODERATOR, community=make_community())
    with pytest.raises(NotAllowed):
        rounds.advance(round_, Phase.ASKING, actor=outsider)


def test_a_new_round_starts_in_draft_with_its_first_record(round_in):
    round_ = round_in(Phase.DRAFT)
    assert [(c.from_phase, c.to_phase) for c in round_.phase_changes] == [(None, "draft")]
    assert rounds.next_phases(round_) == [Phase.ASKING, Phase.PROPOSING]
