"""Bad input to the harness gets one clear line and exit status 2, never a traceback wall."""

from __future__ import annotations

import subprocess
import sys
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
    (["replay", "/nonexistent/trace.json"], "/nonexistent/trace.json"),
])
def test_bad_input_is_one_clear_line(args: list[str], says: str) -> None:
    result = harness(*args)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert says in lines[0] and "Traceback" not in result.stderr


def test_corrupt_replay_file_is_one_clear_line(tmp_path: Path) -> None:
    bad = tmp_path / "trace.json"
    bad.write_text("{ not json")
    result = harness("replay", str(bad))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and str(bad) in result.stderr


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
