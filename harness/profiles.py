"""Hypothesis profiles: `ci` (fixed seed, bounded, minutes), `dev`, `nightly`.

CI sets CI=true, which makes Hypothesis load its own built-in `ci` profile; ours is
registered under the same name so CI gets our bounds, not Hypothesis's defaults.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings
from hypothesis.database import DirectoryBasedExampleDatabase

SUPPRESS = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
PROFILES = ("ci", "dev", "nightly")


def example_database():
    """Redis when FUZZ_REDIS_URL is set (machines share counterexamples), else a local dir."""
    url = os.environ.get("FUZZ_REDIS_URL")
    if url:
        from hypothesis.extra.redis import RedisExampleDatabase
        from redis import Redis

        return RedisExampleDatabase(Redis.from_url(url), key_prefix=b"agentleeops-fuzz:")
    return DirectoryBasedExampleDatabase(os.environ.get("FUZZ_DB_DIR", ".hypothesis/examples"))


def register() -> None:
    # Shrinking a stateful failure can take Hypothesis's full five minutes; bound it so one
    # finding cannot eat a CI run (internal knob, read at the start of each shrink).
    from hypothesis.internal.conjecture import engine

    engine.MAX_SHRINKING_SECONDS = int(os.environ.get("FUZZ_SHRINK_SECONDS", "60"))
    common = dict(
        parent=settings.get_profile("default"),  # never inherit whichever profile is loaded
        deadline=None,
        suppress_health_check=SUPPRESS,
        print_blob=True,
        report_multiple_bugs=False,
    )
    shared = os.environ.get("FUZZ_REDIS_URL")
    settings.register_profile(
        "ci",
        max_examples=int(os.environ.get("FUZZ_CI_EXAMPLES", "150")),
        stateful_step_count=6,
        # A fixed seed: derandomized, with no database, so every machine runs the same
        # examples. With a shared Redis, CI instead replays first what nightly runs saved
        # there; Hypothesis uses no database under a fixed seed, so that mode trades the
        # fixed seed for the replay.
        derandomize=not shared,
        database=example_database() if shared else None,
        **common,
    )
    settings.register_profile(
        "dev", max_examples=40, stateful_step_count=20, database=example_database(), **common
    )
    settings.register_profile(
        "nightly",
        max_examples=100_000,
        stateful_step_count=40,
        database=example_database(),
        phases=list(Phase),
        **common,
    )


def default_profile() -> str:
    return "ci" if os.environ.get("CI") else "dev"
