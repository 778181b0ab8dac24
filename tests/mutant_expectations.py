"""Which machine finds each mutant, and the invariant it must name (used by tests/benchmarks)."""

EXPECTED = {
    "lock-if-exists": ("governance", "G1"),
    "lock-literal-path": ("governance", "G1"),
    "write-through-symlink": ("governance", "G1"),
    "corrupt-manifest-open": ("governance", "G1"),
    "dirname-unchecked": ("governance", "G4"),
    "shell-arg": ("governance", "G4"),
    "webhook-skips-gate": ("webhook", "G3"),
    "no-dedupe": ("webhook", "I1"),
    "error-as-empty": ("webhook", "I1"),
    "no-lease": ("webhook", "I4"),
    "tag-rmw": ("webhook", "I4"),
    "spawner-link-only": ("spawner", "I2"),
    "spawner-rollback-ignored": ("spawner", "I2"),
    "spawner-no-pending-marker": ("spawner", "I2"),
    "spawner-cap-per-run": ("spawner", "I3"),
    "spawner-flood-no-error": ("spawner", "I3"),
    "ralph-runs-in-workspace": ("ralph", "G2"),
    "ralph-git-add-all": ("ralph", "G2"),
    "ralph-guard-staged-only": ("ralph", "G2"),
}
