"""Replay: re-apply a trace's steps to a fresh world and check every invariant after each.

This is what `python -m harness replay FILE` and every generated regression test call, so a
shrunk failure reproduces without Hypothesis, on the target it was found on or another one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.invariants import all_checkers
from harness.steps import Step, apply
from harness.violation import Violation
from harness.world import World


@dataclass
class ReplayResult:
    violation: Violation | None
    steps_applied: int
    texts: list[str] = field(default_factory=list)
    journal: list[dict[str, Any]] = field(default_factory=list)


def replay_trace(
    trace: Any, *, target: str | None = None, agentleeops_path: str | None = None
) -> ReplayResult:
    """Run `trace` (a harness.reports.trace.Trace) again; stop at the first violation."""
    from harness.machines import MACHINES
    from targets.registry import get_target

    by_class = {cls.__name__: cls for cls in MACHINES.values()}
    machine = MACHINES.get(trace.machine) or by_class.get(trace.machine)
    checks = getattr(machine, "checks", None) if machine else None
    world = World(get_target(target or trace.target, agentleeops_path=agentleeops_path), face=trace.face)
    checkers = [c for c in all_checkers() if checks is None or c.invariant in checks]
    texts: list[str] = []
    try:
        for index, raw in enumerate(trace.steps, start=1):
            for checker in checkers:
                checker.before_step(world)
            texts.append(apply(world, Step(raw["rule"], raw.get("args", {}))).text)
            for checker in checkers:
                violations = checker.check(world)
                if violations:
                    return ReplayResult(violations[0], index, texts, world.journal.to_json())
        return ReplayResult(None, len(trace.steps), texts, world.journal.to_json())
    finally:
        world.close()
