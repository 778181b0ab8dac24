"""`pytest harness/`, differential part: G3 across entrypoints, I1 with and without duplicates.

A per-step check cannot see "the webhook would have decided differently"; these run one
scenario several ways on fresh worlds and compare what each way produced.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from harness.differential_runs import (
    Scenario,
    check_duplicates_change_nothing,
    check_entrypoints_agree,
)
from harness.violation import InvariantViolation

moves = st.lists(st.integers(0, 10), min_size=1, max_size=5).map(tuple)


def _raise_first(violations) -> None:
    if violations:
        raise InvariantViolation(violations[0])


@settings(max_examples=max(3, settings().max_examples // 3), stateful_step_count=10)
@given(moves=moves)
def test_entrypoints_agree_g3(moves: tuple[int, ...]) -> None:
    _raise_first(check_entrypoints_agree(Scenario(moves)))


@settings(max_examples=max(3, settings().max_examples // 3))
@given(moves=moves, duplicates=st.sets(st.integers(0, 6), min_size=1, max_size=3))
def test_duplicate_deliveries_change_nothing_i1(moves: tuple[int, ...], duplicates: set[int]) -> None:
    _raise_first(check_duplicates_change_nothing(Scenario(moves), sorted(duplicates)))
