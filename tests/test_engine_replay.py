"""A shrunk failure is deterministic, replays from its file, and becomes a regression test
that fails on the defect and passes on the fixed (reference) code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

from harness import profiles
from harness.config import CONFIG
from harness.replay import replay_trace
from harness.reporting import write_run
from harness.reports.trace import load
from harness.runner import run_machine

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def three_runs() -> list:
    """The same mutant fuzzed three times from the same (ci) seed, shrinking included."""
    profiles.register()
    saved = (CONFIG.target, CONFIG.face)
    CONFIG.target, CONFIG.face = "mutant:no-dedupe", "inproc"
    try:
        return [run_machine("webhook", seed=None, profile=settings.get_profile("ci")) for _ in range(3)]
    finally:
        CONFIG.target, CONFIG.face = saved


def test_same_seed_same_shrunk_steps_three_times(three_runs: list) -> None:
    steps = [[s["text"] for s in run.trace["steps"]] for run in three_runs]
    assert all(run.error is not None for run in three_runs)
    assert steps[0] == steps[1] == steps[2]
    # ignoring the epoch's run record breaks I1 (duplicate delivery) and, when the rerun comes
    # from another runner, I4; one run's shrunk minimum names one of them, the same each time
    assert len({run.error.violation.invariant for run in three_runs}) == 1
    assert three_runs[0].error.violation.invariant in {"I1", "I4"}


def test_shrunk_steps_read_in_the_board_language(three_runs: list) -> None:
    texts = [s["text"] for s in three_runs[0].trace["steps"]]
    assert texts[0].startswith("card #1 ") and "created in 1. Inbox" in texts[0]
    assert any("delivered" in t for t in texts)
    assert len(texts) <= 8, texts  # scene (3 steps) + the duplicate delivery, give or take


def test_trace_file_replays_the_violation_and_the_fix_passes(three_runs: list, tmp_path: Path) -> None:
    run_dir = write_run(three_runs[:1], target="mutant:no-dedupe", reports_dir=str(tmp_path), seed=0)
    trace = load(run_dir / "trace-1.json")
    assert trace.machine == "WebhookMachine" and trace.target == "mutant:no-dedupe"
    again = replay_trace(trace)
    assert again.violation is not None
    assert again.violation.invariant == three_runs[0].error.violation.invariant
    assert replay_trace(trace, target="reference").violation is None
    findings = (run_dir / "findings.md").read_text()
    assert "Not ready" in findings and three_runs[0].error.violation.invariant in findings


def test_regression_test_fails_on_the_defect_and_passes_on_the_fix(three_runs: list, tmp_path: Path) -> None:
    run_dir = write_run(three_runs[:1], target="mutant:no-dedupe", reports_dir=str(tmp_path), seed=0)
    test_file = run_dir / "test_regression_1.py"
    env = {k: v for k, v in os.environ.items() if k not in ("FUZZ_TARGET", "PYTEST_ADDOPTS")}
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(run_dir), str(test_file)]
    broken = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert broken.returncode == 1, broken.stdout[-2000:]
    assert three_runs[0].error.violation.invariant in broken.stdout
    fixed = subprocess.run(cmd, cwd=ROOT, env={**env, "FUZZ_TARGET": "reference"}, capture_output=True, text=True, timeout=300)
    assert fixed.returncode == 0, fixed.stdout[-2000:]
