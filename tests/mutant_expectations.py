"""Which machine finds each mutant, and the invariants it may name (tests and benchmarks).

Some planted defects break two invariants at once (a write through a symlink overwrites a
locked file *and* may leave the workspace); the first one a run meets is the one it names.
"""

EXPECTED: dict[str, tuple[str, frozenset[str]]] = {
    "lock-if-exists": ("governance", frozenset({"G1"})),
    "lock-literal-path": ("governance", frozenset({"G1"})),
    "write-through-symlink": ("governance", frozenset({"G1", "G4"})),
    "corrupt-manifest-open": ("governance", frozenset({"G1"})),
    "dirname-unchecked": ("governance", frozenset({"G4"})),
    "shell-arg": ("governance", frozenset({"G4"})),
    "webhook-skips-gate": ("webhook", frozenset({"G3"})),
    "no-dedupe": ("webhook", frozenset({"I1", "I4"})),
    "error-as-empty": ("webhook", frozenset({"I1", "I4"})),
    "no-lease": ("webhook", frozenset({"I4", "I1"})),
    "spawner-link-only": ("spawner", frozenset({"I2"})),
    "spawner-rollback-ignored": ("spawner", frozenset({"I2"})),
    "spawner-no-pending-marker": ("spawner", frozenset({"I2"})),
    "spawner-flood-no-error": ("spawner", frozenset({"I3"})),
    "ralph-runs-in-workspace": ("ralph", frozenset({"G2", "G1"})),
    "ralph-git-add-all": ("ralph", frozenset({"G2"})),
}

# Planted and proven by direct scenario tests (tests/test_mutants_proofs.py,
# tests/test_reference_spawner.py, tests/test_reference_ralph.py), but not found by the `ci`
# fuzz budget, each for a stated reason:
NOT_FOUND_BY_CI_FUZZ = {
    # equivalent under fuzzing: the reference runs model code in a scratch copy, so nothing
    # unstaged ever reaches the real tests/ for the guard to miss
    "ralph-guard-staged-only": "equivalent while model code runs in a scratch copy",
    # exceeding the cap across runs needs the approved prd.json to grow, which takes an
    # explicit unlock the machines do not model yet
    "spawner-cap-per-run": "needs an explicit-unlock action between runs",
    # the lost tag needs one precise interleaving inside a two-agent column; the scheduler can
    # draw it, but not within the ci budget
    "tag-rmw": "interleaving too rare for the ci budget",
}
