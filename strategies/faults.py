"""Fault plans for Kanboard calls, as data the fake Kanboard applies.

A `FaultSpec` says: the n-th call of `method` (counted per world, from 1) goes wrong in one
of four ways, named like the journal's call outcomes: an error object, a falsy result with
nothing applied, a timeout with nothing applied, or the lost response (applied, then the
client sees an error) that breaks idempotency in practice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hypothesis import strategies as st

from harness.journal import ERROR, FALSY, LOST, TIMEOUT

KINDS = (ERROR, FALSY, TIMEOUT, LOST)

# Writes whose failure strands state, and the reads every decision hangs on.
WRITE_METHODS = (
    "duplicateTaskToProject", "saveTaskMetadata", "createTaskLink", "removeTask",
    "setTaskTags", "updateTask", "moveTaskPosition", "createComment",
)
READ_METHODS = ("getTaskTags", "getTaskMetadata", "getAllTaskLinks", "getTask")
DEFAULT_METHODS = WRITE_METHODS + READ_METHODS

_KIND_PHRASES = {
    ERROR: "fails with an error",
    FALSY: "returns false (nothing applied)",
    TIMEOUT: "times out (nothing applied)",
    LOST: "loses its response (applied, the client sees an error)",
}


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@dataclass(frozen=True)
class FaultSpec:
    """The `occurrence`-th call (from 1) of `method` goes wrong as `kind`. With `new_card`,
    only calls on cards created after the fault is planned count (a spawned child's own
    completion calls, whatever number of writes the target makes before them)."""

    method: str
    kind: str
    occurrence: int = 1
    new_card: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; known: {', '.join(KINDS)}")
        if self.occurrence < 1:
            raise ValueError(f"fault occurrence counts from 1, got {self.occurrence}")

    def matches(self, method: str, occurrence: int) -> bool:
        """Whether the call numbered `occurrence` of `method` is the one to spoil."""
        return method == self.method and occurrence == self.occurrence

    def describe(self) -> str:
        """E.g. "Kanboard duplicateTaskToProject, 2nd call, loses its response (...)"."""
        on = " on a card created after planning" if self.new_card else ""
        return f"Kanboard {self.method}, {_ordinal(self.occurrence)} call{on}, {_KIND_PHRASES[self.kind]}"


@dataclass(frozen=True)
class FaultPlan:
    """Faults to inject, at most one per (method, occurrence); empty means none."""

    faults: tuple[FaultSpec, ...] = ()

    def fault_for(self, method: str, occurrence: int) -> FaultSpec | None:
        """The fault planned for this call, if any."""
        return next((f for f in self.faults if f.matches(method, occurrence)), None)

    def describe(self) -> str:
        """The faults in board language; "no Kanboard faults" when empty."""
        return "; ".join(f.describe() for f in self.faults) or "no Kanboard faults"


def fault_specs(methods: Sequence[str] = DEFAULT_METHODS, kinds: Sequence[str] = KINDS,
                max_occurrence: int = 3) -> st.SearchStrategy[FaultSpec]:
    """One fault on one of `methods`; shrinks to the first method's first call erroring."""
    if not methods or not kinds:
        raise ValueError("fault_specs needs at least one method and one kind")
    return st.builds(FaultSpec, st.sampled_from(tuple(methods)), st.sampled_from(tuple(kinds)),
                     st.integers(1, max_occurrence))


def fault_plans(methods: Sequence[str] = DEFAULT_METHODS, kinds: Sequence[str] = KINDS,
                max_faults: int = 3, max_occurrence: int = 3,
                min_faults: int = 0) -> st.SearchStrategy[FaultPlan]:
    """Plans of up to `max_faults` faults on distinct calls; shrinks to no faults."""
    return st.lists(
        fault_specs(methods, kinds, max_occurrence), min_size=min_faults, max_size=max_faults,
        unique_by=lambda f: (f.method, f.occurrence),
    ).map(lambda fs: FaultPlan(tuple(fs)))
