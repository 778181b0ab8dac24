"""Which machine finds each mutant, and the invariants its planted defect breaks (tests and
benchmarks). A campaign goes on past its first finding, so the test asks that one of these
be among what the machine finds, whatever else it meets first."""

EXPECTED: dict[str, tuple[str, frozenset[str]]] = {
    "lock-if-exists": ("governance", frozenset({"G1"})),
    "lock-literal-path": ("governance", frozenset({"G1"})),
    "write-through-symlink": ("governance", frozenset({"G1", "G4"})),
    "corrupt-manifest-open": ("governance", frozenset({"G1"})),
    # needs a person's edit of a locked artifact, then the approval running again
    "relock-current-bytes": ("governance", frozenset({"G1"})),
    "dirname-unchecked": ("governance", frozenset({"G4"})),
    "shell-arg": ("governance", frozenset({"G4"})),
    "webhook-skips-gate": ("webhook", frozenset({"G3"})),
    "no-dedupe": ("webhook", frozenset({"I1", "I4"})),
    "error-as-empty": ("webhook", frozenset({"I1", "I4"})),
    "no-lease": ("webhook", frozenset({"I4", "I1"})),
    "webhook-no-token": ("webhook", frozenset({"R2"})),
    "runner-lets-errors-out": ("webhook", frozenset({"R1"})),
    # needs a model that keeps failing while runners keep coming back
    "retry-failed-agent": ("webhook", frozenset({"R1"})),
    "silent-failure": ("governance", frozenset({"R1"})),
    "spawner-link-only": ("spawner", frozenset({"I2"})),
    "spawner-rollback-ignored": ("spawner", frozenset({"I2"})),
    "spawner-no-pending-marker": ("spawner", frozenset({"I2"})),
    "spawner-flood-no-error": ("spawner", frozenset({"I3"})),
    # needs the plan reopened with the explicit unlock and grown between runs
    "spawner-cap-per-run": ("spawner", frozenset({"I3"})),
    "spawner-column-by-update": ("spawner", frozenset({"K1"})),
    # needs one runner's whole spawner run inside the other's tag read-modify-write
    "tag-rmw": ("spawner", frozenset({"I4"})),
    "ralph-runs-in-workspace": ("ralph", frozenset({"G2", "G1"})),
    "ralph-git-add-all": ("ralph", frozenset({"G2"})),
    # needs a person's edit of the test during the run, which the run then builds on
    "ralph-guard-staged-only": ("ralph", frozenset({"G2"})),
}
