"""Running machines outside pytest: the main job, nightly budgets, per-machine results.

`python -m harness run` uses this; pytest uses the same machines through harness/test_*.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hypothesis import core, settings
from hypothesis.stateful import run_state_machine_as_test

from harness.machines import MACHINES
from harness.machines.base import STATS
from harness.violation import InvariantViolation

# examples per machine per slice of a timed run: nightly examples are long (~100 steps), so a
# slice is a minute or two, and every machine gets its turn within a ten-minute budget
ROUND_EXAMPLES = 50


@dataclass
class MachineRun:
    machine: str
    seed: int | None
    examples: int
    steps: int
    seconds: float
    error: InvariantViolation | None = None
    trace: dict[str, Any] | None = None
    program: str = ""
    checks: tuple[str, ...] = field(default_factory=tuple)


def run_machine(name: str, *, seed: int | None, profile: settings, cap: int | None = None) -> MachineRun:
    """One Hypothesis run of a machine (it shrinks any failure before returning); `cap`
    bounds its examples whatever its budget (a slice of a timed run)."""
    cls = MACHINES[name]
    before = dict(STATS)
    start = time.monotonic()
    previous = core.global_force_seed
    core.global_force_seed = seed
    error = None
    try:
        scaled = cls.settings_for(profile)
        if cap is not None and scaled.max_examples > cap:
            scaled = settings(scaled, max_examples=cap)
        run_state_machine_as_test(cls, settings=scaled)
    except InvariantViolation as caught:
        error = caught
    finally:
        core.global_force_seed = previous
    return MachineRun(
        machine=cls.__name__,
        seed=seed,
        examples=STATS["examples"] - before["examples"],
        steps=STATS["steps"] - before["steps"],
        seconds=time.monotonic() - start,
        error=error,
        trace=getattr(error, "trace", None),
        program="\n".join(getattr(error, "__notes__", []) or []),
        checks=cls.checks or ("G1", "G2", "G3", "G4", "I1", "I2", "I3", "I4"),
    )


def run_budget(
    machines: Sequence[str],
    *,
    profile: settings,
    seed: int,
    minutes: float | None,
    progress: Callable[[MachineRun], None] = lambda run: None,
) -> list[MachineRun]:
    """Each machine once; with a time budget, round after round with new seeds until it ends.

    Hypothesis cannot be stopped mid-run, so under a budget each machine run is a slice of
    at most ROUND_EXAMPLES examples; the budget is checked between slices.
    """
    deadline = time.monotonic() + minutes * 60 if minutes else None
    if deadline is not None:
        profile = settings(profile, max_examples=min(profile.max_examples, ROUND_EXAMPLES))
    runs: list[MachineRun] = []
    round_no = 0
    while True:
        for name in machines:
            run = run_machine(name, seed=seed + round_no, profile=profile,
                              cap=ROUND_EXAMPLES if deadline is not None else None)
            runs.append(run)
            progress(run)
            if deadline is not None and time.monotonic() > deadline:
                return runs
        round_no += 1
        if deadline is None:
            return runs
        # a machine that already failed keeps failing the same way: spend the time elsewhere
        machines = [m for m in machines if not any(r.error and r.machine == MACHINES[m].__name__ for r in runs)] or machines
