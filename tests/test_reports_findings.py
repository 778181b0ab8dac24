"""findings.md in the review brief's format, derived from run results only."""

from __future__ import annotations

import re

import pytest

from harness.reports import fixes
from harness.reports.findings import (
    TABLE_COLUMNS,
    group_findings,
    is_ready,
    render_findings,
    verdict,
)
from harness.violation import Violation
from tests.test_reports_fixtures import HOSTILE, g1_world, i1_violation, i3_violation, result, step

TARGET = {"target": "mutant:lock-if-exists", "target_version": "v1"}


def _section(text: str, letter: str) -> str:
    match = re.search(rf"^## {letter}\) .*?$(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert match, f"section {letter} missing"
    return match.group(1)


def _rows(table_text: str) -> list[list[str]]:
    rows = [line for line in table_text.splitlines() if line.startswith("|")]
    return [[c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]] for row in rows]


def _g1() -> Violation:
    return g1_world()[1]


def test_three_sections_in_order_with_title() -> None:
    text = render_findings([result(_g1(), steps=g1_world()[2])], **TARGET)
    assert text.startswith("# Findings: `mutant:lock-if-exists` (v1)")
    positions = [text.index(f"## {s}) ") for s in "ABC"]
    assert positions == sorted(positions)
    assert "## A) Executive summary" in text and "## B) Findings table" in text
    assert "## C) Governance invariants checklist" in text


def test_table_columns_follow_the_brief() -> None:
    text = render_findings(
        [result(_g1()), result(i3_violation(), machine="SpawnerMachine")], **TARGET
    )
    rows = _rows(_section(text, "B"))
    assert tuple(rows[0]) == TABLE_COLUMNS == (
        "#", "Title", "Severity", "Component", "Failure mode", "Repro steps", "Recommended fix", "Suggested test",
    )  # fmt: skip
    assert all(len(r) == len(TABLE_COLUMNS) for r in rows)
    assert [r[2] for r in rows[2:]] == ["P0 blocker", "P1 high"]  # P0 first


@pytest.mark.parametrize(
    ("violations", "expected"),
    [
        ([None, None], "Ready"),
        ([None, "I3"], "Not ready"),  # P1
        (["G1", None], "Not ready"),  # P0
        (["I1", "I4"], "Not ready"),
    ],
)
def test_not_ready_iff_a_p0_or_p1_violation(violations: list[str | None], expected: str) -> None:
    made = {
        "G1": _g1(),
        "I1": i1_violation(),
        "I3": i3_violation(),
        "I4": Violation("I4", "two runners ran pm on card #4", "runner.py:dispatch"),
    }
    results = [result(made[v] if v else None, machine=f"M{i}") for i, v in enumerate(violations)]
    assert verdict(results) == expected
    assert is_ready(results) is (expected == "Ready")
    summary = _section(render_findings(results, **TARGET), "A")
    assert summary.strip().startswith(f"**{expected}.**")


def test_nothing_run_is_not_called_ready() -> None:
    results = [result(None, examples=0, steps_run=0)]
    assert verdict(results) == "Not assessed"
    text = render_findings(results, **TARGET)
    assert "**Not assessed.**" in text
    assert "held over" not in _section(text, "C")


@pytest.mark.parametrize("n_findings", [0, 1, 2, 6])
def test_summary_is_ten_to_fifteen_lines_with_two_to_four_reasons(n_findings: int) -> None:
    violations = [
        Violation(inv, f"defect {inv}", f"module_{inv}.py")
        for inv in ["G1", "G2", "G4", "I1", "I3", "I4"][:n_findings]
    ]
    results = [result(v, machine=f"M{i}") for i, v in enumerate(violations)] + [
        result(None, machine="Clean")
    ]
    summary = [
        line
        for line in _section(render_findings(results, **TARGET), "A").splitlines()
        if line.strip()
    ]
    assert 10 <= len(summary) <= 15, summary
    reasons = [
        line
        for line in summary[summary.index("Reasons:") : summary.index("What was run:")]
        if line.startswith("- ")
    ]
    assert 2 <= len(reasons) <= 4
    if n_findings == 6:
        assert reasons[0].startswith("- P0 G1") and "3 more finding(s)" in reasons[-1]


def test_summary_says_what_was_run() -> None:
    results = [
        result(_g1(), machine="RatchetMachine", examples=40, steps_run=600, seed=7, seconds=1.25),
        result(
            None,
            machine="SpawnerMachine",
            examples=1200,
            steps_run=30000,
            seed=9,
            seconds=3.0,
            checked=["I2", "I3"],
        ),
    ]
    summary = _section(render_findings(results, **TARGET), "A")
    assert "2 machine(s): RatchetMachine, SpawnerMachine" in summary
    assert "1,240 examples, 30,600 steps, seeds: 7, 9, time: 4.2 s" in summary
    assert "P0 G1 (lock checked only when the file exists)" in summary


def test_checklist_covers_all_eight_with_the_briefs_verdicts() -> None:
    results = [
        result(_g1(), examples=10, steps_run=100, checked=["G1", "G2"]),
        result(
            None, machine="SpawnerMachine", examples=30, steps_run=900, checked=["I2", "I3", "G1"]
        ),
    ]
    rows = {
        r[0].split()[0]: r for r in _rows(_section(render_findings(results, **TARGET), "C"))[2:]
    }
    assert sorted(rows) == sorted(["G1", "G2", "G3", "G4", "I1", "I2", "I3", "I4"])
    assert rows["G1"][1] == "**not guaranteed**"
    assert rows["G1"][2].startswith("violated (evidence: [journal #")
    assert "DESIGN.md by webhook; finding #1)" in rows["G1"][2]
    assert rows["G2"][1:] == ["likely", "held over 10 runs of 100 steps (not proven)"]
    assert rows["I3"][1:] == ["likely", "held over 30 runs of 900 steps (not proven)"]
    for inv in ("G3", "G4", "I1", "I4"):
        assert rows[inv][1:] == ["not guaranteed", "not exercised (no machine checked it)"]
    assert all(r[1] != "proven" for r in rows.values())


def test_one_row_per_distinct_finding_with_the_most_shrunk_repro() -> None:
    long = [step(f"step {i}") for i in range(5)]
    short = [
        step("card #3 moved to 5. Plan Approved"),
        step("webhook task.move.column delivered twice"),
    ]
    results = [
        result(i1_violation(3), machine="WebhookMachine", steps=long),
        result(i1_violation(8), machine="CombinedMachine", steps=short),  # same defect, other card
        result(
            Violation("I1", "tags of card #2 lost", "targets/x.py", (), {"mode": "error-as-empty"})
        ),
    ]
    findings = group_findings(results)
    assert [f.fix.defect for f in findings] == [
        "duplicate webhook delivery runs an agent twice",
        "Kanboard error read as an empty answer",
    ]
    row = _rows(_section(render_findings(results, **TARGET), "B"))[2]
    assert "Seen in 2 run(s) (CombinedMachine, WebhookMachine)" in row[4]
    assert (
        row[5]
        == "1. card #3 moved to 5. Plan Approved<br>2. webhook task.move.column delivered twice"
    )
    assert (
        "First bad effect: [journal #2, step 2] webhook started agent spawner on card #8" in row[4]
    )
    assert "record each delivery" in row[6] and "`targets/reference/webhook.py`" in row[6]


def test_rows_point_at_the_regression_file_relative_to_the_report(tmp_path) -> None:
    res = result(_g1())
    res.regression_path = tmp_path / "run" / "test_regression_1.py"
    row = _rows(_section(render_findings([res], **TARGET, relative_to=tmp_path / "run"), "B"))[2]
    assert row[7] == "`test_regression_1.py`"
    assert _rows(_section(render_findings([result(_g1())], **TARGET), "B"))[2][7] == "not written"


def test_hostile_text_cannot_break_the_table() -> None:
    v = Violation("G4", f"path {HOSTILE} escaped", "agents/x.py|y", (), {"mode": "path-escape"})
    text = render_findings([result(v, steps=[step(HOSTILE), step("poll")])], **TARGET)
    rows = _rows(_section(text, "B"))
    assert len(rows) == 3 and len(rows[2]) == len(TABLE_COLUMNS)
    assert "<b>" not in text and "\x00" not in text and "\ud800" not in text
    assert "2. poll" in rows[2][5]


def test_same_results_same_bytes_whatever_their_order() -> None:
    results = [
        result(_g1(), seed=3),
        result(i1_violation(), machine="WebhookMachine", seed=1),
        result(i3_violation(), machine="SpawnerMachine", seed=2),
        result(None, machine="Clean", seed=None),
    ]
    text = render_findings(results, **TARGET)
    assert render_findings(list(reversed(results)), **TARGET) == text
    assert "seeds: 1, 2, 3 and unseeded runs" in text


def test_patch_section_only_where_the_fix_has_a_snippet() -> None:
    with_snippet = render_findings([result(_g1())], **TARGET)
    assert "## D) Patch suggestions" in with_snippet
    assert "```diff" in _section(with_snippet, "D")
    without = render_findings([result(i3_violation())], **TARGET)
    assert fixes.fix_for("I3").snippet is None and "## D)" not in without
    assert "## D)" not in render_findings([result(None)], **TARGET)


def test_every_invariant_has_a_fix_and_modes_are_documented() -> None:
    assert sorted(fixes.DEFAULTS) == sorted(["G1", "G2", "G3", "G4", "I1", "I2", "I3", "I4"])
    for (inv, mode), fix in fixes.BY_MODE.items():
        assert fixes.fix_for(inv, mode) is fix
        assert re.search(
            rf"^    {inv}: .*\b{re.escape(mode)}\b", fixes.__doc__ or "", re.M | re.S
        ), mode
        assert fix.reference.startswith("targets/reference/") and fix.change
    assert fixes.fix_for("G1", "Lock_If Exists").defect == "lock checked only when the file exists"
    assert fixes.fix_for("G1", "no-such-mode") is fixes.DEFAULTS["G1"]
    assert fixes.fix_for("G2", None) is fixes.DEFAULTS["G2"]
