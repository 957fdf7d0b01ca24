"""Counting ranked ballots by instant runoff.

Each round of counting gives every continuing ballot to its highest-ranked proposal
still in the race. A proposal with more than half of the continuing ballots wins. If
none has, the proposal with the fewest votes is eliminated and its ballots move on.

Ties for elimination: the proposal with fewer votes in the previous round goes, and so
on back to the first preferences; if still tied, the proposal submitted last (the
highest id) goes. With two proposals left on equal votes this same rule picks which one
is eliminated, so every count ends with one winner.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class CountRound:
    counts: dict[int, int]
    eliminated: int | None
    exhausted: int

    def to_dict(self) -> dict:
        return {
            "counts": {str(k): v for k, v in self.counts.items()},
            "eliminated": self.eliminated,
            "exhausted": self.exhausted,
        }


@dataclass(frozen=True)
class RunoffResult:
    ballots: int
    winner: int | None
    rounds: list[CountRound] = field(default_factory=list)

    @property
    def first_preferences(self) -> dict[int, int]:
        return dict(self.rounds[0].counts) if self.rounds else {}

    def to_dict(self) -> dict:
        return {
            "ballots": self.ballots,
            "winner": self.winner,
            "first_preferences": {str(k): v for k, v in self.first_preferences.items()},
            "rounds": [r.to_dict() for r in self.rounds],
        }


def instant_runoff(candidates: Iterable[int], ballots: Sequence[Sequence[int]]) -> RunoffResult:
    """Count ranked ballots over ``candidates``; rankings may be partial and name others.

    >>> instant_runoff([1, 2, 3], [[1, 2], [2, 1], [3, 2], [2], [1]]).winner
    2
    >>> instant_runoff([1, 2], []).winner is None
    True
    """
    continuing = sorted(set(candidates))
    history: list[dict[int, int]] = []
    rounds: list[CountRound] = []
    if not ballots or not continuing:
        return RunoffResult(ballots=len(ballots), winner=None, rounds=[])
    while True:
        counts = dict.fromkeys(continuing, 0)
        exhausted = 0
        for ranking in ballots:
            choice = next((c for c in ranking if c in counts), None)
            if choice is None:
                exhausted += 1
            else:
                counts[choice] += 1
        history.append(counts)
        active = sum(counts.values())
        leader = max(continuing, key=lambda c: counts[c])
        if len(continuing) == 1 or (active and counts[leader] * 2 > active):
            rounds.append(CountRound(counts=counts, eliminated=None, exhausted=exhausted))
            winner = leader if active else None
            return RunoffResult(ballots=len(ballots), winner=winner, rounds=rounds)
        loser = _weakest(continuing, history)
        rounds.append(CountRound(counts=counts, eliminated=loser, exhausted=exhausted))
        continuing = [c for c in continuing if c != loser]


def _weakest(continuing: list[int], history: list[dict[int, int]]) -> int:
    """The proposal to eliminate: fewest votes now, then in each earlier round, then the latest id."""

    def key(candidate: int) -> tuple:
        return (*(counts[candidate] for counts in reversed(history)), -candidate)

    return min(continuing, key=key)
