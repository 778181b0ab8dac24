"""Bad input to the harness gets one clear line and exit status 2, never a traceback wall."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def harness(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("args, says", [
    (["run", "--target", "mutant:no-such"], "no-dedupe"),
    (["run", "--target", "nonsense"], "reference"),
    (["run", "--target", "agentleeops", "--agentleeops-path", "/nonexistent/path"], "/nonexistent/path"),
    (["run", "--machines", "nope"], "governance"),
    (["run", "--no-such-option"], "--no-such-option"),
    (["run", "--examples", "0"], "--examples must be"),
    (["run", "--examples", "-5"], "--examples must be"),
    (["run", "--minutes", "-1"], "--minutes must be"),
    (["run", "--minutes", "nan"], "--minutes must be"),
    (["run", "--minutes", "soon"], "--minutes takes a number"),
])
def test_bad_input_is_one_clear_line(args: list[str], says: str) -> None:
    result = harness(*args)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert says in lines[0] and "Traceback" not in result.stderr


@pytest.mark.parametrize("content", [None, "{ not json"])
def test_a_missing_or_corrupt_trace_could_not_run_in_one_line(tmp_path: Path, content: str | None) -> None:
    bad = tmp_path / "trace.json"
    if content is not None:
        bad.write_text(content)
    result = harness("replay", str(bad))
    assert result.returncode == 3
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("could not run: ") and str(bad) in lines[0]


@pytest.fixture(scope="module")
def failing_trace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A trace written by a real run: the shell-arg mutant, found in its first examples."""
    reports = tmp_path_factory.mktemp("reports")
    done = harness("run", "--target", "mutant:shell-arg", "--machines", "governance", "--examples", "10",
                   "--workers", "1", "--reports-dir", str(reports))
    assert done.returncode == 1, done.stdout + done.stderr
    return reports / "latest" / "trace-1.json"


def test_replay_runs_on_the_traces_own_target_and_says_still_failing(failing_trace: Path) -> None:
    result = harness("replay", str(failing_trace))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "still failing on mutant:shell-arg" in result.stdout and "G4" in result.stdout


def test_replay_on_another_target_only_when_asked_and_says_so(failing_trace: Path) -> None:
    result = harness("replay", str(failing_trace), "--target", "reference")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "replaying a trace of mutant:shell-arg on reference, as asked" in result.stdout
    assert "fixed on reference" in result.stdout


def test_replay_of_a_target_not_here_or_a_step_that_no_longer_applies_could_not_run(
        failing_trace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    data = json.loads(failing_trace.read_text())
    elsewhere = tmp_path / "agentleeops.json"
    elsewhere.write_text(json.dumps({**data, "target": "agentleeops", "target_version": "ba02d79"}))
    monkeypatch.delenv("AGENTLEEOPS_PATH", raising=False)
    result = harness("replay", str(elsewhere))
    assert result.returncode == 3 and result.stderr.startswith("could not run: the trace's target agentleeops")
    bad_step = tmp_path / "bad-step.json"
    bad_step.write_text(json.dumps({**data, "steps": [{"rule": "teleport", "args": {}, "text": "?"}]}))
    result = harness("replay", str(bad_step))
    assert result.returncode == 3 and "does not apply" in result.stderr and "Traceback" not in result.stderr


def test_targets_lists_every_target_one_a_line() -> None:
    result = harness("targets")
    names = [line.split("\t")[0] for line in result.stdout.splitlines()]
    assert result.returncode == 0
    assert names[0] == "reference" and "agentleeops" in names
    assert "mutant:lock-if-exists" in names and all("\t" in line for line in result.stdout.splitlines())


def test_serve_prints_where_to_point_agentleeops() -> None:
    result = harness("serve", "--seconds", "0.2")
    assert result.returncode == 0, result.stderr
    assert "KANBOARD_URL=http://127.0.0.1:" in result.stdout and "KANBOARD_TOKEN=" in result.stdout


def test_serve_bad_option_is_one_line() -> None:
    result = harness("serve", "--bogus")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1


def test_an_unreachable_shared_database_is_one_line_before_any_fuzzing(tmp_path: Path) -> None:
    env = {**os.environ, "FUZZ_REDIS_URL": "redis://127.0.0.1:1/0"}
    result = subprocess.run([sys.executable, "-m", "harness", "run", "--reports-dir", str(tmp_path)],
                            cwd=ROOT, capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "FUZZ_REDIS_URL=redis://127.0.0.1:1/0 cannot be reached" in lines[0]
    assert "fuzzing" not in result.stdout


def test_an_unwritable_reports_folder_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = harness("run", "--reports-dir", str(blocker / "reports"))
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "cannot write reports" in result.stderr


@pytest.mark.parametrize("sig, code, workers", [(signal.SIGTERM, 143, "2"), (signal.SIGINT, 130, "1")])
def test_a_signal_after_a_finding_keeps_it_and_stops_soon(tmp_path: Path, sig: int, code: int, workers: str) -> None:
    reports, sandboxes = tmp_path / "reports", tmp_path / "tmp"
    sandboxes.mkdir()
    env = {**os.environ, "TMPDIR": str(sandboxes)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness", "run", "--target", "mutant:no-dedupe", "--machines", "webhook",
         "--profile", "dev", "--minutes", "5", "--workers", workers, "--reports-dir", str(reports)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 240  # ~45 s to the finding on a quiet machine; 2 min was missed under load
        seen = ""
        while "+ finding #1" not in seen and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            seen += line
        assert "+ finding #1" in seen, seen
        time.sleep(5)
        proc.send_signal(sig)
        stopped_at = time.monotonic()
        out, err = proc.communicate(timeout=60)
        took = time.monotonic() - stopped_at
    finally:
        proc.kill()
    assert proc.returncode == code, (out, err)
    assert took < 15, took
    run = reports / "latest"
    assert (run / "trace-1.json").exists() and (run / "test_regression_1.py").exists()
    findings = (run / "findings.md").read_text()
    assert "**Interrupted**" in findings and "I1" in findings + findings.replace("I4", "I1")
    assert not list(sandboxes.glob("alfuzz-*")), "a sandbox was left behind"


def test_two_runs_into_one_reports_folder_both_keep_their_files(tmp_path: Path) -> None:
    runs = [harness("run", "--target", "mutant:shell-arg", "--machines", machines, "--examples", "10",
                    "--workers", "1", "--reports-dir", str(tmp_path)) for machines in ("governance", "governance,webhook")]
    assert [r.returncode for r in runs] == [1, 1], [r.stderr for r in runs]
    folders = sorted(p for p in tmp_path.iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith("."))
    assert len(folders) == 2 and {f.name.split("-seed0-")[1] for f in folders} == {"governance", "governance+webhook"}
    for folder in folders:
        assert (folder / "findings.md").exists() and (folder / "trace-1.json").exists()
    assert (tmp_path / "latest").resolve() == folders[-1].resolve()


@pytest.mark.parametrize("workers", ["1", "2"])
def test_observe_writes_hypothesis_observability_records_and_the_findings(tmp_path: Path, workers: str) -> None:
    """Hypothesis's own schema: a test_case record per test case, whose features are the
    harness's events; and an info record per finding, from every worker."""
    import json

    done = harness("run", "--target", "mutant:no-dedupe", "--machines", "webhook", "--examples", "12",
                   "--workers", workers, "--observe", "--reports-dir", str(tmp_path))
    assert done.returncode == 1, done.stderr
    records = [json.loads(line) for line in (tmp_path / "latest" / "observed.jsonl").read_text().splitlines()]
    cases = [r for r in records if r["type"] == "test_case"]
    findings = [r for r in records if r["type"] == "info" and r["title"] == "finding"]
    assert cases and all(r["property"] and "status" in r for r in cases)
    assert any(key.startswith("step: deliver") for r in cases for key in r["features"])
    traces = list((tmp_path / "latest").glob("trace-*.json"))
    assert len(findings) == len(traces) >= 1
    assert {f["content"]["invariant"] for f in findings} >= {"I1"}
    assert not (tmp_path / ".hypothesis" / "observed").exists()  # not Hypothesis's own folder too
