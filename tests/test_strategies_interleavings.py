"""Schedules are turn orders; the empty one (where all shrink to) runs runners in order."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strategies.interleavings import describe_schedule, pick, schedules, simulate
from strategies.sampling import simplest

RUNNERS = ("poller", "webhook", "cli")


@settings(max_examples=150, database=None)
@given(st.data(), st.lists(st.integers(0, 6), min_size=1, max_size=3))
def test_every_schedule_runs_every_runner_to_completion(data: st.DataObject, lengths: list[int]) -> None:
    schedule = data.draw(schedules(RUNNERS[: len(lengths)], max_turns=12))
    assert len(schedule) <= 12 and all(0 <= i < len(lengths) for i in schedule)
    order = simulate(schedule, lengths)
    assert [order.count(i) for i in range(len(lengths))] == lengths
    for turn, who in enumerate(order[: len(schedule)]):
        left = [lengths[i] - order[:turn].count(i) for i in range(len(lengths))]
        if left[schedule[turn]] > 0:
            assert who == schedule[turn]  # a runnable choice is honoured


def test_the_empty_schedule_is_sequential_in_order() -> None:
    assert simplest(schedules(RUNNERS)) == []
    assert simulate([], [2, 3, 1]) == [0, 0, 1, 1, 1, 2]
    assert describe_schedule(RUNNERS, simulate([], [2, 3, 1])) == "poller ×2, webhook ×3, cli ×1"


def test_a_switch_is_taken_only_while_the_runner_can_run() -> None:
    assert simulate([1, 0, 1], [2, 2]) == [1, 0, 1, 0]
    assert simulate([1, 1, 1, 1], [2, 1]) == [1, 0, 0]  # runner 1 done: back to the lowest
    assert pick([5], 0, [True, True]) == 0  # out of range: lowest runnable
    with pytest.raises(ValueError, match="no runner"):
        pick([], 0, [False])


def test_shrinking_finds_the_fewest_switches_for_a_race() -> None:
    # A race needs runner 1 to go between runner 0's two turns: one switch is enough.
    def races(s: list[int]) -> bool:
        order = simulate(s, [2, 1])
        return order[:2] == [0, 1]

    assert simplest(schedules(RUNNERS[:2]), races) == [0, 1]


def test_bad_arguments_say_so() -> None:
    with pytest.raises(ValueError, match="at least one runner"):
        schedules([])
    with pytest.raises(ValueError, match="max_turns"):
        schedules(RUNNERS, -1)
    assert describe_schedule(RUNNERS, []) == "no turns taken"
