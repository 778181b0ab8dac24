"""The failure text a pytest run prints."""

from __future__ import annotations

from pathlib import Path

from harness.reports.console import render_failure, render_row
from harness.reports.findings import Row
from harness.violation import Violation
from tests.test_reports_fixtures import HOSTILE, finding, g1_world, step


def test_failure_text_says_what_where_how_and_where_the_files_are(tmp_path: Path) -> None:
    _, violation, steps = g1_world()
    text = render_failure(
        violation,
        steps,
        trace_path=tmp_path / "trace-1.json",
        regression_path=tmp_path / "test_regression_1.py",
        hypothesis_program="state = RatchetMachine()\nstate.teardown()\n",
    )
    lines = text.splitlines()
    assert lines[0] == "G1 violated (P0 blocker): Approved artifacts cannot be silently overwritten"
    assert "  what broke:       DESIGN.md of card #1 rewritten after it was locked" in lines
    assert "  component:        targets/mutants/lock_if_exists.py:write" in lines
    assert (
        "  first bad effect: [journal #5, step 3] write /sandbox/home/projects/demo/DESIGN.md by webhook"
        in lines
    )
    i = lines.index("  shrunk steps (3):")
    assert lines[i + 1 : i + 4] == [
        "    1. card #1 moved to 3. Design Approved",
        "    2. file trick: delete DESIGN.md of card #1",
        "    3. webhook task.move.column delivered for card #1",
    ]
    assert f"  trace:            {tmp_path / 'trace-1.json'}" in lines
    assert f"  regression test:  {tmp_path / 'test_regression_1.py'}" in lines
    assert "    state.teardown()" in lines


def test_without_evidence_or_files_it_says_so() -> None:
    text = render_failure(Violation("I3", "epic #2 has 21 children", "spawner.py"), [])
    assert "first bad effect: (no journal evidence recorded)" in text
    assert "(none: the initial board fails)" in text
    assert "trace:" not in text and "regression test:" not in text


def test_each_hostile_step_stays_on_its_own_line() -> None:
    _, violation, _ = g1_world()
    text = render_failure(violation, [step(HOSTILE), step("poll")])
    lines = text.splitlines()
    i = lines.index("  shrunk steps (2):")
    assert lines[i + 1].startswith("    1. card ") and "\\n\\x00 \\ud800" in lines[i + 1]
    assert lines[i + 2] == "    2. poll"


def test_a_finding_of_a_run_is_rendered_with_its_files(tmp_path: Path) -> None:
    r = Row(2, finding(g1_world()[1], hits=9, shrunk=False), tmp_path / "trace-2.json")
    text = render_row(r)
    assert text.startswith("--- finding #2, met in 9 example(s), first by RatchetMachine (not shrunk")
    assert str(tmp_path / "trace-2.json") in text and "replay with:" in text
