"""Fault plans are well-formed data: one fault per call, kinds named like journal outcomes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from harness.journal import ERROR, FALSY, LOST, TIMEOUT
from strategies.faults import (
    DEFAULT_METHODS,
    KINDS,
    READ_METHODS,
    WRITE_METHODS,
    FaultPlan,
    FaultSpec,
    fault_plans,
    fault_specs,
)
from strategies.sampling import examples, simplest


@settings(max_examples=100, database=None)
@given(fault_plans())
def test_plans_hold_at_most_one_fault_per_call(plan: FaultPlan) -> None:
    keys = [(f.method, f.occurrence) for f in plan.faults]
    assert len(keys) == len(set(keys)) <= 3
    for f in plan.faults:
        assert f.method in DEFAULT_METHODS and f.kind in KINDS and 1 <= f.occurrence <= 3
        assert plan.fault_for(f.method, f.occurrence) is f
        assert plan.fault_for(f.method, f.occurrence + 10) is None
    assert plan.describe()


def test_the_default_methods_are_the_ones_that_matter() -> None:
    assert set(WRITE_METHODS) == {
        "duplicateTaskToProject", "saveTaskMetadata", "createTaskLink", "removeTask",
        "setTaskTags", "updateTask", "moveTaskPosition", "createComment"}
    assert set(READ_METHODS) == {"getTaskTags", "getTaskMetadata", "getAllTaskLinks", "getTask"}
    assert set(KINDS) == {ERROR, FALSY, TIMEOUT, LOST}
    seen = {(f.method, f.kind) for p in examples(fault_plans(max_faults=3), 150) for f in p.faults}
    assert {m for m, _ in seen} == set(DEFAULT_METHODS)
    assert {k for _, k in seen} == set(KINDS)


def test_restricting_methods_and_kinds() -> None:
    for plan in examples(fault_plans(methods=["removeTask"], kinds=[LOST], min_faults=1), 20):
        assert plan.faults and all(f.method == "removeTask" and f.kind == LOST for f in plan.faults)
    with pytest.raises(ValueError, match="at least one method"):
        fault_specs(methods=[])


def test_specs_validate_and_describe_themselves() -> None:
    spec = FaultSpec("duplicateTaskToProject", LOST, 2)
    assert spec.describe() == ("Kanboard duplicateTaskToProject, 2nd call, loses its response "
                               "(applied, the client sees an error)")
    assert spec.matches("duplicateTaskToProject", 2) and not spec.matches("removeTask", 2)
    assert "11th call" in FaultSpec("getTask", ERROR, 11).describe()
    assert "21st call" in FaultSpec("getTask", ERROR, 21).describe()
    with pytest.raises(ValueError, match="unknown fault kind"):
        FaultSpec("getTask", "explode")
    with pytest.raises(ValueError, match="counts from 1"):
        FaultSpec("getTask", ERROR, 0)


def test_shrinking() -> None:
    assert simplest(fault_plans()) == FaultPlan(())
    assert FaultPlan().describe() == "no Kanboard faults"
    assert simplest(fault_plans(min_faults=1)).faults == (
        FaultSpec("duplicateTaskToProject", ERROR, 1),)
