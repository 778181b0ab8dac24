"""Replay: re-apply a trace's steps to a fresh world and check every invariant after each.

This is what `python -m harness replay FILE` and every generated regression test call, so a
shrunk failure reproduces without Hypothesis, on the target it was found on or another one.
A replay goes past other violations (as the run that found it did, where they were known
findings) and asks one question: does the recorded one happen again?
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.invariants import all_checkers
from harness.invariants.base import Checker, shared_reads
from harness.steps import Applied, Step, apply_modelled
from harness.violation import Violation, defect_of
from harness.world import World

STILL_FAILING, FIXED, COULD_NOT_RUN = "still failing", "fixed", "could not run"
EXIT_CODES = {FIXED: 0, STILL_FAILING: 1, COULD_NOT_RUN: 3}


@dataclass
class ReplayResult:
    recorded: Violation | None  # what the trace says broke
    reproduced: Violation | None  # that same defect (invariant and kind), met again
    steps_applied: int
    texts: list[str] = field(default_factory=list)
    others: list[Violation] = field(default_factory=list)  # every other violation met, in order
    journal: list[dict[str, Any]] = field(default_factory=list)

    @property
    def violation(self) -> Violation | None:
        """The recorded defect met again, else (a trace that recorded none) the first one met."""
        if self.recorded is None:
            return self.others[0] if self.others else None
        return self.reproduced

    @property
    def outcome(self) -> str:
        return STILL_FAILING if self.violation is not None else FIXED


def checked_step(world: World, checkers: Sequence[Checker], step: Step) -> tuple[Applied, list[Violation]]:
    """Apply one step between the checkers' two looks, as a fuzz run does: what it broke."""
    with shared_reads():
        for checker in checkers:
            checker.before_step(world)
    applied = apply_modelled(world, step)
    with shared_reads():
        return applied, [v for checker in checkers for v in checker.check(world)]


def same_defect(recorded: Violation, met: Violation) -> bool:
    """Same invariant and the same kind of bad effect (the code around it may have moved)."""
    return defect_of(recorded.signature) == defect_of(met.signature)


def replay_trace(
    trace: Any, *, target: str | None = None, agentleeops_path: str | None = None,
    face: str | None = None,
) -> ReplayResult:
    """Run `trace` (a harness.reports.trace.Trace) again on its own target (or `target`)."""
    from harness.machines import MACHINES
    from targets.registry import get_target

    by_class = {cls.__name__: cls for cls in MACHINES.values()}
    machine = MACHINES.get(trace.machine) or by_class.get(trace.machine)
    checks = getattr(machine, "checks", None) if machine else None
    recorded = trace.violation_object()
    world = World(get_target(target or trace.target, agentleeops_path=agentleeops_path),
                  face=face or trace.face)
    checkers = [c for c in all_checkers() if checks is None or c.invariant in checks]
    texts: list[str] = []
    others: list[Violation] = []
    try:
        for index, raw in enumerate(trace.steps, start=1):
            applied, found = checked_step(world, checkers, Step(raw["rule"], raw.get("args", {})))
            texts.append(applied.text)
            for violation in found:
                if recorded is not None and same_defect(recorded, violation):
                    return ReplayResult(recorded, violation, index, texts, others, world.journal.to_json())
                others.append(violation)
            if recorded is None and others:
                return ReplayResult(None, None, index, texts, others, world.journal.to_json())
        return ReplayResult(recorded, None, len(trace.steps), texts, others, world.journal.to_json())
    finally:
        world.close()
