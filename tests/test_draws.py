"""The machines' strategies go by short names and draw exactly what they drew unnamed."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from hypothesis.internal.reflection import get_pretty_function_description

from harness.machines import MACHINES, draws

NAMED = [draws.dirnames, draws.card_titles, draws.card_specs, draws.tricks, draws.coder_answers,
         draws.grown_prds, draws.spawner_fault_plans]


@pytest.mark.parametrize("name", sorted(MACHINES))
def test_a_machines_rules_are_short_to_print(name: str) -> None:
    """Hypothesis prints every rule once per example (a retried rule draw): a few hundred
    characters each, not the 200 KB the combined machine's came to when spelt out."""
    rules = MACHINES[name].setup_state().rules
    longest = max(rules, key=lambda r: len(get_pretty_function_description(r)))
    assert len(get_pretty_function_description(longest)) < 1000, longest.function.__name__


def test_a_named_strategy_shows_its_call() -> None:
    assert repr(draws.dirnames()) == "dirnames()"
    assert repr(draws.grown_prds(7)) == "grown_prds(7)"
    assert repr(draws.tokens().map(len)) == "tokens().map(len)"


def _drawn(strategy: st.SearchStrategy) -> list:
    values: list = []

    @seed(20261208)
    @settings(max_examples=60, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(value: object) -> None:
        values.append(repr(value))

    collect()
    return values


@pytest.mark.parametrize("make", NAMED, ids=lambda make: make.__name__)
def test_a_name_changes_no_draw(make) -> None:
    """The same seed gives the same values, named or not: the name adds no span, and spans
    steer Hypothesis's mutations (a composite wrapper fails this)."""
    assert _drawn(make()) == _drawn(make.__wrapped__())
