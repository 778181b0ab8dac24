"""A run's findings are deterministic, each replays from its file, and each becomes a
regression test that fails on the defect and passes on the fixed (reference) code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness import profiles
from harness.campaign import Campaign
from harness.config import CONFIG
from harness.events import Stream
from harness.machines import WebhookMachine
from harness.minimize import reproduce
from harness.replay import replay_trace
from harness.reporting import Reporter
from harness.reports.trace import load
from harness.world import World
from targets.registry import get_target

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def three_runs(tmp_path_factory: pytest.TempPathFactory) -> list:
    """The same mutant fuzzed three times from the same seed, shrinking included, each
    run writing its own reports folder."""
    profiles.register()
    saved = (CONFIG.target, CONFIG.face)
    CONFIG.target, CONFIG.face = "mutant:no-dedupe", "inproc"
    runs = []
    try:
        for n in range(3):
            reporter = Reporter(tmp_path_factory.mktemp(f"run{n}"), target=CONFIG.target,
                                target_version="reference-1", face="inproc", seed=0,
                                machines=["webhook"], profile="ci", name="run")
            campaign = Campaign(["webhook"], profile=profiles.use_profile("ci"), seed=0,
                                events=Stream([reporter]))
            result = campaign.run()
            reporter.finish(result)
            runs.append((result, reporter.folder.path))
    finally:
        CONFIG.target, CONFIG.face = saved
    return runs


def test_same_seed_same_findings_and_shrunk_steps_three_times(three_runs: list) -> None:
    signatures = [[f.signature for f in result.findings] for result, _ in three_runs]
    steps = [[[s["text"] for s in f.trace["steps"]] for f in result.findings] for result, _ in three_runs]
    assert signatures[0], "the mutant was not found"
    assert signatures[0] == signatures[1] == signatures[2]
    assert steps[0] == steps[1] == steps[2]
    # ignoring the epoch's run record breaks I1 (duplicate delivery) and, when the rerun comes
    # from another runner, I4; the run goes on past the first and reports both
    assert {"I1", "I4"} <= {f.violation.invariant for f in three_runs[0][0].findings}


def test_identical_runs_write_byte_identical_reports(three_runs: list) -> None:
    names = sorted(p.name for p in three_runs[0][1].iterdir())
    assert "findings.md" in names and "trace-1.json" in names
    for name in names:
        contents = {(folder / name).read_bytes() for _, folder in three_runs}
        assert len(contents) == 1, f"{name} differs between identical runs"


def test_shrunk_steps_read_in_the_board_language(three_runs: list) -> None:
    result, _ = three_runs[0]
    plain = next(f for f in result.findings if f.signature[:2] == ("I1", "an agent ran twice in one epoch"))
    texts = [s["text"] for s in plain.trace["steps"]]
    assert texts[0].startswith("card #1 ") and "created in 1. Inbox" in texts[0]
    assert any("delivered" in t for t in texts)
    assert len(texts) <= 6, texts  # the scene (4 steps) and the duplicate delivery


def test_trace_file_replays_the_violation_and_the_fix_passes(three_runs: list) -> None:
    result, folder = three_runs[0]
    for number, finding in enumerate(result.findings, 1):
        trace = load(folder / f"trace-{number}.json")
        assert trace.machine == "WebhookMachine" and trace.target == "mutant:no-dedupe"
        again = replay_trace(trace)
        assert again.violation is not None and again.violation.signature == finding.signature
        assert replay_trace(trace, target="reference").violation is None
    findings = (folder / "findings.md").read_text()
    assert "Not ready" in findings and f"{len(result.findings)} distinct finding(s)" in findings


def test_regression_test_fails_on_the_defect_and_passes_on_the_fix(three_runs: list) -> None:
    result, folder = three_runs[0]
    test_file = folder / "test_regression_1.py"
    env = {k: v for k, v in os.environ.items() if k not in ("FUZZ_TARGET", "PYTEST_ADDOPTS")}
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
           "--rootdir", str(folder), str(test_file)]
    broken = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert broken.returncode == 1, broken.stdout[-2000:]
    assert result.findings[0].violation.invariant in broken.stdout
    fixed = subprocess.run(cmd, cwd=ROOT, env={**env, "FUZZ_TARGET": "reference"}, capture_output=True,
                           text=True, timeout=300)
    assert fixed.returncode == 0, fixed.stdout[-2000:]


def test_no_single_step_of_a_shrunk_finding_can_be_left_out(three_runs: list) -> None:
    """After Hypothesis's shrink, harness/minimize.py drops what the defect does not need."""
    def world() -> World:
        return World(get_target("mutant:no-dedupe"))

    result, _ = three_runs[0]
    for finding in result.findings:
        steps = finding.trace["steps"]

        def same(v: object, signature: object = finding.signature) -> bool:
            return v.signature == signature  # type: ignore[attr-defined]

        full = reproduce(steps, same, checks=WebhookMachine.checks, make_world=world)
        assert full is not None and len(full.steps) == len(steps)
        every = frozenset(c for cards in full.made for c in cards)
        for i in range(len(steps)):
            kept = [k for k in range(len(steps)) if k != i]
            shorter = reproduce([full.steps[k] for k in kept], same, checks=WebhookMachine.checks,
                                make_world=world, made=[full.made[k] for k in kept], every_made=every)
            assert shorter is None, f"step {i + 1} ({steps[i]['text']}) was not needed"
