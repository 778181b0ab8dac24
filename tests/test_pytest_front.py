"""`pytest harness/` on a failing target tells a CI dashboard what the CLI tells a person:
Hypothesis's statistics for the whole campaign, JUnit failures that carry the board-language
steps and the artifact paths, and a findings.md whose counts are the run's own."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.test_reports_html import CHROMIUM, assert_renders_every_step

ROOT = Path(__file__).resolve().parent.parent


def test_a_failing_pytest_run_reports_statistics_junit_steps_and_true_counts(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    env = {**os.environ, "CI": "true"}
    env.pop("PYTEST_XDIST_WORKER", None)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "harness/", "-p", "no:xdist", "-p", "no:cacheprovider",
         "--target", "mutant:no-dedupe", "-k", "webhook", "--reports-dir", str(tmp_path / "reports"),
         "--hypothesis-show-statistics", f"--junitxml={junit}", "-q"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    out = proc.stdout
    assert proc.returncode == 1, out + proc.stderr
    found = int(re.search(r"(\d+) distinct finding\(s\) on mutant:no-dedupe", out).group(1))
    assert found >= 2

    # statistics: the campaign's own, every kind of step it took named as an event
    stats = out[out.index("Hypothesis Statistics"):out.index("short test summary info")]
    assert "test_invariants_hold[webhook]" in stats
    assert "step: deliver" in stats and "step: create_card" in stats
    # each phase says how many distinct failures it found new; together, the run's findings
    assert sum(int(n) for n in re.findall(r"Found (\d+)(?: more)? distinct error", stats)) == found
    generate = re.search(r"during generate phase.*?\n.*?\n\s+- (\d+) passing, (\d+) failing, and (\d+) invalid",
                         stats, re.S)
    generated = sum(int(n) for n in generate.groups())

    # JUnit: the failure carries the board-language steps and where the artifacts are
    failure = ET.parse(junit).getroot().find(".//testcase/failure")
    assert failure is not None
    text = (failure.text or "") + failure.get("message", "")
    assert "shrunk steps" in text and "1. card #1" in text
    folder = next((tmp_path / "reports").glob("*-mutant-no-dedupe-seed0-webhook"))
    assert str(folder / "trace-1.json") in text and "test_regression_1.py" in text

    # findings.md counts what the run did, from the pytest front too
    findings = (folder / "findings.md").read_text()
    assert f"{found} distinct finding(s)" in findings
    assert f"{generated:,} examples generated" in findings
    assert (folder / "report.html").is_file()
    if CHROMIUM is not None:  # the browser check the CLI's report gets, on this front's report
        assert_renders_every_step(folder)


def test_statistics_of_several_hypothesis_runs_add_up_phase_by_phase() -> None:
    from harness import hypothesis_stats

    def case(status: str) -> dict:
        return {"status": status, "runtime": 0.01, "drawtime": 0.001, "events": ["step: move"]}

    total: dict = {}
    hypothesis_stats.merge(total, {"generate-phase": {"test-cases": [case("valid"), case("interesting")],
                                                      "duration-seconds": 1.0, "distinct-failures": 1},
                                   "shrink-phase": {"test-cases": [case("interesting")], "duration-seconds": 2.0,
                                                    "distinct-failures": 1, "shrinks-successful": 1},
                                   "stopped-because": "settings.max_examples=2"})
    hypothesis_stats.merge(total, {"generate-phase": {"test-cases": [case("interesting")],
                                                      "duration-seconds": 1.0, "distinct-failures": 2},
                                   "shrink-phase": {"test-cases": [], "duration-seconds": 0.5,
                                                    "distinct-failures": 2, "shrinks-successful": 0}})
    text = hypothesis_stats.describe(total, "x::y")
    assert "1 passing, 2 failing, and 0 invalid" in text  # generate, both runs
    assert "Found 3 distinct errors in this phase" in text  # 1 + 2 new in generate
    assert "Found" not in text.split("shrink phase")[1]  # the shrinks found nothing new
    assert "Tried 1 shrinks of which 1 were successful" in text
    assert "over 2 Hypothesis run(s)" in text and "100.00%, step: move" in text


def test_a_machine_that_only_met_findings_reported_elsewhere_says_so_in_its_summary_line() -> None:
    from harness.test_machines import failure_message

    text = failure_message("agentleeops", 0, "", ["K1 saveTaskMetadata rejected in lib.task_fields:update_status"])
    first, *rest = text.splitlines()
    assert first == "0 distinct finding(s) on agentleeops, and 1 more met here"
    assert rest == ["met here, but shrunk and reported by another machine of this session:",
                    "  - K1 saveTaskMetadata rejected in lib.task_fields:update_status"]
    own = failure_message("reference", 2, "the two findings\n", [])
    assert own == "2 distinct finding(s) on reference\nthe two findings\n"
