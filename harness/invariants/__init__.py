"""The invariants of invariants.md as per-step checkers over the world and the journal.

    checkers = all_checkers()            # fresh instances, one world each
    for c in checkers: c.before_step(world)
    ... run one step ...
    violations = [v for c in checkers for v in c.check(world)]

G3's differential form and I1's are in harness/differential.py.
"""

from __future__ import annotations

from harness.invariants.authenticity import R2Authenticity
from harness.invariants.base import Checker, WorldView, allowed_roots, card_workspaces, workspace_of
from harness.invariants.calls import K1Calls
from harness.invariants.children import I2SpawnerIdempotency, I3FloodControl
from harness.invariants.containment import G4Containment
from harness.invariants.duplicates import I1DuplicateRuns, I4Concurrency
from harness.invariants.gate import G3Gate
from harness.invariants.locks import G1Locks
from harness.invariants.robustness import R1Robustness
from harness.invariants.tests_guard import G2TestsGuard

# The more specific check first: a test Ralph rewrites is also a locked file (G1), and the
# first new violation of a step is the one a machine raises (the others are met again later).
CHECKERS: tuple[type[Checker], ...] = (
    G2TestsGuard,
    G1Locks,
    G3Gate,
    G4Containment,
    R2Authenticity,
    I1DuplicateRuns,
    I2SpawnerIdempotency,
    I3FloodControl,
    I4Concurrency,
    R1Robustness,
    K1Calls,
)


def all_checkers() -> list[Checker]:
    """One fresh instance of every per-step checker (they keep state across steps)."""
    return [cls() for cls in CHECKERS]


__all__ = [
    "CHECKERS",
    "Checker",
    "G1Locks",
    "G2TestsGuard",
    "G3Gate",
    "G4Containment",
    "I1DuplicateRuns",
    "I2SpawnerIdempotency",
    "I3FloodControl",
    "I4Concurrency",
    "K1Calls",
    "R1Robustness",
    "R2Authenticity",
    "WorldView",
    "all_checkers",
    "allowed_roots",
    "card_workspaces",
    "workspace_of",
]
