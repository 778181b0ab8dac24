"""Hypothesis profiles: `ci` (fixed seed, bounded, minutes), `dev`, `nightly`.

CI sets CI=true, which makes Hypothesis load its own built-in `ci` profile; ours is
registered under the same name so CI gets our bounds, not Hypothesis's defaults.
"""

from __future__ import annotations

import os
import time
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis.database import DirectoryBasedExampleDatabase

SUPPRESS = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
PROFILES = ("ci", "dev", "nightly")


CACHE_DIR = {"path": os.environ.get("FUZZ_CACHE_DIR", os.path.join("reports", ".hypothesis"))}


class DatabaseError(Exception):
    """The shared example database cannot be used; one line for the user."""


def use_cache_dir(path: str) -> None:
    """Hypothesis's own files (and the local example database) go here, not the cwd."""
    from hypothesis.configuration import set_hypothesis_home_dir

    CACHE_DIR["path"] = path
    set_hypothesis_home_dir(path)


def example_database():
    """Redis when FUZZ_REDIS_URL is set (machines share counterexamples), else a local dir."""
    url = os.environ.get("FUZZ_REDIS_URL")
    if url:
        from hypothesis.extra.redis import RedisExampleDatabase
        from redis import Redis

        return RedisExampleDatabase(Redis.from_url(url), key_prefix=b"agentleeops-fuzz:")
    return DirectoryBasedExampleDatabase(
        os.environ.get("FUZZ_DB_DIR", os.path.join(CACHE_DIR["path"], "examples")))


def check_database() -> None:
    """A FUZZ_REDIS_URL that cannot be reached is an error before any fuzzing, not a run that
    silently saves nothing."""
    url = os.environ.get("FUZZ_REDIS_URL")
    if not url:
        return
    from redis import Redis
    from redis.exceptions import RedisError

    try:
        Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3).ping()
    except (RedisError, ValueError, OSError) as exc:
        raise DatabaseError(f"FUZZ_REDIS_URL={url} cannot be reached: {exc}") from None


# Test calls one finding's shrink may make, by profile (FUZZ_SHRINK_CALLS overrides): CI has
# dozens of findings to shrink on a slow target within minutes; a night can afford minimal ones.
SHRINK_CALLS = {"ci": 50, "dev": 200, "nightly": 500}
SHRINK_SECONDS = 300  # a safety net only: hitting it makes shrinking depend on the machine
SHRINK = {"calls": SHRINK_CALLS["dev"], "seconds": SHRINK_SECONDS}
AFTER_FAILURE_CALLS = 10  # examples a Hypothesis run still generates after its first failure


def use_profile(name: str) -> settings:
    """The profile `name`, with the shrink budget that goes with it."""
    SHRINK["calls"] = int(os.environ.get("FUZZ_SHRINK_CALLS", SHRINK_CALLS.get(name, SHRINK_CALLS["dev"])))
    return settings.get_profile(name)


def register() -> None:
    """Register the profiles, and bound shrinking and the search after a first failure by
    work done (deterministic), not time."""
    bound_shrinking(int(os.environ.get("FUZZ_SHRINK_SECONDS", SHRINK_SECONDS)))
    bound_search_after_failure(AFTER_FAILURE_CALLS)
    shrink_saved_failures_on_request()
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
        # The campaign seeds every run from --seed, so CI runs the same examples every time;
        # no database, unless a shared Redis holds what nightly runs found (replayed first)
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


def bound_shrinking(seconds: int) -> None:
    """Stop each shrink after SHRINK["calls"] test calls: a stateful failure can otherwise take
    Hypothesis's full five minutes, and a time cap stops at a different point on every
    machine. Hypothesis has no public knob for either; its shrinker checks `check_calls`
    after every call, which is where the bound goes. The time cap (`seconds` a finding, a safety
    net) is checked there too, so either one marks the finding as shrunk only as far as its
    budget went.
    A timed run's per-finding shrink time, its end, or a signal stops a shrink there too."""
    from hypothesis.internal.conjecture import engine, shrinker

    SHRINK["seconds"] = seconds
    # Hypothesis's own cap covers the whole shrink phase of a run and stops it unmarked:
    # kept past the per-finding cap, as the last resort
    engine.MAX_SHRINKING_SECONDS = 2 * seconds
    cls = shrinker.Shrinker
    original = getattr(cls.check_calls, "__wrapped__", cls.check_calls)

    def check_calls(self: Any) -> None:
        from harness.ledger import RUN

        origin = getattr(self.shrink_target, "interesting_origin", None)
        signature = getattr(getattr(origin, "exc_type", None), "signature", None)
        started = self.__dict__.setdefault("_harness_started", time.monotonic())
        spent = self.calls - self.initial_calls >= SHRINK["calls"]
        if spent or time.monotonic() - started >= SHRINK["seconds"]:
            if signature is not None:
                RUN.control.capped.add(signature)
            raise shrinker.StopShrinking
        if RUN.control.shrink_must_stop(signature, started):
            raise shrinker.StopShrinking
        original(self)

    check_calls.__wrapped__ = original  # type: ignore[attr-defined]
    cls.check_calls = check_calls  # type: ignore[method-assign]


def bound_search_after_failure(calls: int) -> None:
    """After its first failure a Hypothesis run (multi-bug mode) goes on generating for a
    while, and stops early once ten seconds have passed: a clock that makes the same seed
    find different things on a slower machine. Here it stops `calls` examples after the first
    failure, whatever the clock (the campaign's next run goes on past what this one found);
    only a timed turn's end, or a signal, stops it sooner (Control.generation_over)."""
    from hypothesis.internal.conjecture import engine

    cls = engine.ConjectureRunner
    original = getattr(cls.should_generate_more, "__wrapped__", cls.should_generate_more)

    def should_generate_more(self: Any) -> bool:
        from harness.ledger import RUN

        first = getattr(self, "first_bug_found_at", None)
        if first is not None:
            # the examples after a failure run with the failure's shrink pending, when the
            # turn's clock no longer stops a step (Control.check): stop them at the clock too
            if self.call_count - first >= calls or RUN.control.generation_over():
                return False
            self.first_bug_found_time = engine.time.monotonic()  # never "ten seconds ago"
        return original(self)

    should_generate_more.__wrapped__ = original  # type: ignore[attr-defined]
    cls.should_generate_more = should_generate_more  # type: ignore[method-assign]


def shrink_saved_failures_on_request() -> None:
    """Hypothesis does not shrink a failure it replays exactly from the database (a fast path:
    it was shrunk when saved). A finding whose shrink a timed run cut short was saved as
    found, so a pass that replays saved failures to finish their shrinks
    (`RUN.control.reshrink`) turns that fast path off."""
    from hypothesis.internal.conjecture import engine

    cls = engine.ConjectureRunner
    original = getattr(cls.reuse_existing_test_cases, "__wrapped__", cls.reuse_existing_test_cases)

    def reuse_existing_test_cases(self: Any) -> None:
        from harness.ledger import RUN

        original(self)
        if RUN.control.reshrink:
            self.reused_previously_shrunk_test_case = False

    reuse_existing_test_cases.__wrapped__ = original  # type: ignore[attr-defined]
    cls.reuse_existing_test_cases = reuse_existing_test_cases  # type: ignore[method-assign]


def default_profile() -> str:
    return "ci" if os.environ.get("CI") else "dev"
