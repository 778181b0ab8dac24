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
    # needs the plan reopened with the explicit unlock and grown between runs
    "spawner-cap-per-run": ("spawner", frozenset({"I3"})),
    # needs one runner's whole spawner run inside the other's tag read-modify-write
    "tag-rmw": ("spawner", frozenset({"I4"})),
    "ralph-runs-in-workspace": ("ralph", frozenset({"G2", "G1"})),
    "ralph-git-add-all": ("ralph", frozenset({"G2"})),
    # needs a person's unstaged edit or new test file during the run (invisible to --cached)
    "ralph-guard-staged-only": ("ralph", frozenset({"G2"})),
}
