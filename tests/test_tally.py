"""Instant runoff on ballots with known results, including the stated tie rule."""

from __future__ import annotations

from deliberation.tally import instant_runoff


def test_a_majority_of_first_preferences_wins_in_one_round():
    result = instant_runoff([1, 2, 3], [[1], [1, 2], [1, 3], [2], [3]])
    assert result.winner == 1
    assert len(result.rounds) == 1
    assert result.rounds[0].counts == {1: 3, 2: 1, 3: 1}


def test_transfers_decide_when_nobody_has_a_majority():
    # First preferences 1:4, 2:3, 3:2. 3 is eliminated; both its ballots go to 2, which wins 5:4.
    ballots = [[1]] * 4 + [[2, 1]] * 3 + [[3, 2]] * 2
    result = instant_runoff([1, 2, 3], ballots)
    assert [r.counts for r in result.rounds] == [{1: 4, 2: 3, 3: 2}, {1: 4, 2: 5}]
    assert [r.eliminated for r in result.rounds] == [3, None]
    assert result.winner == 2


def test_exhausted_ballots_are_counted_apart():
    ballots = [[1], [1], [2], [2], [3]]  # 3's ballot names nobody else
    result = instant_runoff([1, 2, 3], ballots)
    assert result.rounds[1].exhausted == 1
    assert result.rounds[1].counts == {1: 2, 2: 2}
    # 1 and 2 tie in every round; the tie rule eliminates the later proposal (2).
    assert result.rounds[1].eliminated == 2
    assert result.winner == 1


def test_a_tie_for_last_goes_back_to_earlier_rounds():
    # Round 1: 1:3, 2:2, 3:2, 4:1 -> 4 out; its ballot goes to 3.
    # Round 2: 1:3, 2:2, 3:3 -> 2 is last alone.
    # Then: 1 and 3 tie on 4 each in round 3; the earlier round has them tied too (3:3);
    # in round 1 3 had fewer (2 < 3), so 3 is eliminated and 1 wins.
    ballots = [[1]] * 3 + [[2, 1]] + [[2, 3]] + [[3]] * 2 + [[4, 3]]
    result = instant_runoff([1, 2, 3, 4], ballots)
    assert [r.eliminated for r in result.rounds] == [4, 2, 3, None]
    assert result.winner == 1


def test_an_exact_tie_eliminates_the_later_proposal():
    result = instant_runoff([7, 9], [[7], [9]])
    assert result.rounds[0].eliminated == 9
    assert result.winner == 7


def test_no_ballots_no_winner():
    result = instant_runoff([1, 2], [])
    assert (result.ballots, result.winner, result.rounds) == (0, None, [])


def test_rankings_naming_withdrawn_proposals_skip_them():
    result = instant_runoff([1, 2], [[5, 2], [1], [2]])
    assert result.rounds[0].counts == {1: 1, 2: 2}
    assert result.winner == 2


def test_a_tie_is_broken_by_the_previous_round_not_the_first():
    # Round 1: 1:8, 2:5, 3:4, 4:2, 5:3 -> 4 out; both its ballots go to 3.
    # Round 2: 1:8, 2:5, 3:6, 5:3 -> 5 out; two of its ballots go to 2, one to 3.
    # Round 3: 1:8, 2:7, 3:7 -> 2 and 3 tie. In the previous round 2 had fewer (5 < 6), so 2
    # goes, although in the first round 3 had fewer (4 < 5). 2's ballots then carry 3 to a win.
    ballots = [[1]] * 8 + [[2, 3]] * 5 + [[3, 2]] * 4 + [[4, 3, 2]] * 2 + [[5, 2, 3]] * 2 + [[5, 3, 2]]
    result = instant_runoff([1, 2, 3, 4, 5], ballots)
    assert [r.counts for r in result.rounds][:3] == [
        {1: 8, 2: 5, 3: 4, 4: 2, 5: 3},
        {1: 8, 2: 5, 3: 6, 5: 3},
        {1: 8, 2: 7, 3: 7},
    ]
    assert [r.eliminated for r in result.rounds] == [4, 5, 2, None]
    assert result.winner == 3
