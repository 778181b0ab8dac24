"""Several machines share one Hypothesis example database on a real Redis: a counterexample
one run found (say, at night) is replayed first by the next run (say, CI in the morning)."""

from __future__ import annotations

import shutil

import pytest
from hypothesis import Phase, settings

from harness import profiles
from harness.campaign import run_campaign
from harness.config import CONFIG

REDIS = shutil.which("redis-server")
pytestmark = pytest.mark.skipif(REDIS is None, reason="redis-server is not installed (.ci/run installs it)")


def test_a_failure_saved_by_one_run_is_replayed_first_by_the_next(redis_url, monkeypatch) -> None:
    monkeypatch.setenv("FUZZ_REDIS_URL", redis_url)
    monkeypatch.setattr(CONFIG, "target", "mutant:no-dedupe")
    monkeypatch.setattr(CONFIG, "face", "inproc")
    profiles.register()
    try:
        _night_then_morning(redis_url)
    finally:  # re-registering reloads the active profile: it must not keep this test's Redis
        monkeypatch.delenv("FUZZ_REDIS_URL")
        profiles.register()


def _night_then_morning(redis_url: str) -> None:
    database = profiles.example_database()
    assert type(database).__name__ == "RedisExampleDatabase"
    night = settings(settings.get_profile("dev"), database=database)
    first = run_campaign(["webhook"], profile=night, seed=3)
    assert first.findings
    from redis import Redis

    assert Redis.from_url(redis_url).keys(b"agentleeops-fuzz:*"), "nothing was saved in Redis"
    # the morning run: no generation at all, only what the database holds, replayed first
    morning = settings(night, phases=[Phase.explicit, Phase.reuse])
    second = run_campaign(["webhook"], profile=morning, seed=99)
    assert second.findings
    assert {f.signature for f in second.findings} == {f.signature for f in first.findings}
    shrunk = {f.signature: [s["text"] for s in f.trace["steps"]] for f in first.findings}
    assert all([s["text"] for s in f.trace["steps"]] == shrunk[f.signature] for f in second.findings)
