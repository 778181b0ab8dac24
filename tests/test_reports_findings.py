"""findings.md in the review brief's format: one row per distinct finding, from the run only."""

from __future__ import annotations

import re

import pytest

from harness.reports import fixes
from harness.reports.findings import TABLE_COLUMNS, Row, render_findings, verdict
from harness.violation import INVARIANT_ORDER, Violation
from tests.test_reports_fixtures import (
    HOSTILE,
    Work,
    finding,
    g1_world,
    i1_violation,
    i3_violation,
    row,
    step,
)

TARGET = {"target": "mutant:lock-if-exists", "target_version": "v1", "seed": 7, "profile": "ci"}
WORK = [Work()]


def _section(text: str, letter: str) -> str:
    match = re.search(rf"^## {letter}\) .*?$(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert match, f"section {letter} missing"
    return match.group(1)


def _rows(table_text: str) -> list[list[str]]:
    rows = [line for line in table_text.splitlines() if line.startswith("|")]
    return [[c.strip() for c in re.split(r"(?<!\\)\|", r)[1:-1]] for r in rows]


def _g1() -> Violation:
    return g1_world()[1]


def test_three_sections_in_order_with_title() -> None:
    text = render_findings([row(_g1(), steps=g1_world()[2])], WORK, **TARGET)
    assert text.startswith("# Findings: `mutant:lock-if-exists` (v1)")
    positions = [text.index(f"## {s}) ") for s in "ABC"]
    assert positions == sorted(positions)
    assert "## A) Executive summary" in text and "## B) Findings table" in text
    assert "## C) Governance invariants checklist" in text


def test_table_columns_follow_the_brief_and_p0_comes_first() -> None:
    text = render_findings([row(i3_violation(), 1), row(_g1(), 2)], WORK, **TARGET)
    rows = _rows(_section(text, "B"))
    assert tuple(rows[0]) == TABLE_COLUMNS == (
        "#", "Title", "Severity", "Component", "Failure mode", "Repro steps", "Recommended fix", "Suggested test",
    )  # fmt: skip
    assert all(len(r) == len(TABLE_COLUMNS) for r in rows)
    assert [r[2] for r in rows[2:]] == ["P0 blocker", "P1 high"]
    assert [r[0] for r in rows[2:]] == ["2", "1"]  # numbers are the order found


def test_a_row_is_titled_by_what_happened_and_says_how_often_and_where_first() -> None:
    r = _rows(_section(render_findings([row(_g1(), hits=17)], WORK, **TARGET), "B"))[2]
    assert r[1] == "G1: Overwrote (recreating it after a delete)"
    assert "Met in 17 example(s); first found by RatchetMachine via webhook after 12 example(s)." in r[4]
    assert r[5] == "1. card #1 moved to 2. Design Draft"
    assert "lock by resolved path" in r[6]


@pytest.mark.parametrize(("invariants", "expected"), [
    ([], "Ready"), (["I3"], "Not ready"), (["G1"], "Not ready"), (["K1"], "Ready"),
])
def test_not_ready_iff_a_p0_or_p1_finding(invariants: list[str], expected: str) -> None:
    made = {"G1": _g1(), "I3": i3_violation(), "K1": Violation("K1", "updateTask ignored column_id", "x:y",
                                                               kind="updateTask ignored column_id")}
    rows = [row(made[i], n) for n, i in enumerate(invariants, 1)]
    assert verdict(rows, WORK) == expected
    summary = _section(render_findings(rows, WORK, **TARGET), "A")
    assert summary.strip().startswith(f"**{expected}.**")


def test_nothing_run_is_not_called_ready() -> None:
    idle = [Work(examples=0, steps=0, seconds=0.0)]
    assert verdict([], idle) == "Not assessed"
    text = render_findings([], idle, **TARGET)
    assert "**Not assessed.**" in text and "held over" not in _section(text, "C")
    assert "RatchetMachine: did not run" in text


@pytest.mark.parametrize("n_findings", [0, 1, 2, 6])
def test_summary_has_two_to_five_reasons(n_findings: int) -> None:
    violations = [Violation(inv, f"defect {inv}", f"module_{inv}.py", kind=f"defect {inv}")
                  for inv in ["G1", "G2", "G4", "I1", "I3", "I4"][:n_findings]]
    rows = [row(v, n) for n, v in enumerate(violations, 1)]
    summary = [line for line in _section(render_findings(rows, WORK, **TARGET), "A").splitlines() if line.strip()]
    reasons = [line for line in summary[summary.index("Reasons:"): summary.index("What was run:")]
               if line.startswith("- ")]
    assert 1 <= len(reasons) <= 5
    if n_findings == 6:
        assert reasons[0].startswith("- P0 G1: Defect G1") and "3 more finding(s)" in reasons[3]


def test_summary_says_what_was_run_per_machine() -> None:
    work = [Work("RatchetMachine", examples=40, test_calls=90, steps=600, seconds=1.25,
                 budget_seconds=30.0),
            Work("SpawnerMachine", checks=("I2", "I3"), examples=1200, test_calls=1200, steps=30000,
                 seconds=3.0)]
    summary = _section(render_findings([row(_g1())], work, budget_minutes=1, **TARGET), "A")
    assert "Target `mutant:lock-if-exists` at `v1`; profile ci, seed 7, budget 1 min." in summary
    assert ("1,240 examples generated; 1,290 test cases run (shrinking and replays included), "
            "30,600 steps, 4.2 s of fuzzing in 2 machine(s):") in summary  # timed
    assert "RatchetMachine: 40 examples, 90 test cases, 600 steps, 1.2 s of its 30.0 s share" in summary
    assert "SpawnerMachine: 1,200 examples, 1,200 test cases, 30,000 steps, 3.0 s" in summary


def test_an_interrupted_run_says_so() -> None:
    text = render_findings([row(_g1(), shrunk=False)], WORK, stopped="SIGTERM", **TARGET)
    assert "**Interrupted** (SIGTERM)" in text and "Not shrunk: the run ended or was interrupted" in text


def test_a_finding_the_run_knows_why_is_not_shrunk_says_why() -> None:
    text = render_findings([row(_g1(), shrunk=False, shrink_note="its saved failure passed")], WORK, **TARGET)
    assert "Not shrunk: its saved failure passed." in text and "the run ended" not in text


def test_checklist_covers_every_invariant_with_the_briefs_verdicts() -> None:
    work = [Work(checks=("G1", "G2"), examples=10, steps=100),
            Work("SpawnerMachine", checks=("I2", "I3", "G1"), examples=30, steps=900)]
    rows = {r[0].split()[0]: r for r in _rows(_section(render_findings([row(_g1())], work, **TARGET), "C"))[2:]}
    assert list(rows) == list(INVARIANT_ORDER)
    assert rows["G1"][1] == "**not guaranteed**"
    assert rows["G1"][2].startswith("violated (evidence: [journal #") and "finding #1)" in rows["G1"][2]
    assert rows["G2"][1:] == ["likely", "held over 10 examples of 100 steps (not proven)"]
    assert rows["I3"][1:] == ["likely", "held over 30 examples of 900 steps (not proven)"]
    for inv in ("G3", "G4", "I1", "I4", "R1", "R2", "K1"):
        assert rows[inv][1:] == ["not guaranteed", "not exercised (no machine checked it)"]


def test_rows_point_at_their_files_relative_to_the_report(tmp_path) -> None:
    run = tmp_path / "run"
    r = Row(1, finding(_g1()), run / "trace-1.json", run / "test_regression_1.py")
    cell = _rows(_section(render_findings([r], WORK, relative_to=run, **TARGET), "B"))[2][7]
    assert cell == "`pytest test_regression_1.py`; replay: `python -m harness replay trace-1.json`"
    assert _rows(_section(render_findings([row(_g1())], WORK, **TARGET), "B"))[2][7] == "not written"


def test_hostile_text_cannot_break_the_table_and_arrows_stay_readable() -> None:
    v = Violation("G4", f"path {HOSTILE} escaped -> out", "agents/x.py|y", (), {"mode": "path-escape"},
                  kind="write outside the workspace")
    text = render_findings([row(v, steps=[step(HOSTILE), step("poll")])], WORK, **TARGET)
    rows = _rows(_section(text, "B"))
    assert len(rows) == 3 and len(rows[2]) == len(TABLE_COLUMNS)
    assert "<b>" not in text and "\x00" not in text and "\ud800" not in text
    assert "escaped -> out" in text and "&gt;" not in text
    assert "2. poll" in rows[2][5]


def test_same_rows_same_bytes_whatever_their_order() -> None:
    rows = [row(_g1(), 3), row(i1_violation(), 1), row(i3_violation(), 2)]
    text = render_findings(rows, WORK, **TARGET)
    assert render_findings(list(reversed(rows)), WORK, **TARGET) == text


def test_patch_section_only_where_the_fix_has_a_snippet() -> None:
    with_snippet = render_findings([row(_g1())], WORK, **TARGET)
    assert "## D) Patch suggestions" in with_snippet and "```diff" in _section(with_snippet, "D")
    assert fixes.fix_for("I3").snippet is None
    assert "## D)" not in render_findings([row(i3_violation())], WORK, **TARGET)
    assert "## D)" not in render_findings([], WORK, **TARGET)


def test_every_invariant_has_a_fix_and_modes_are_documented() -> None:
    assert sorted(fixes.DEFAULTS) == sorted(INVARIANT_ORDER)
    for (inv, mode), fix in fixes.BY_MODE.items():
        assert fixes.fix_for(inv, mode) is fix
        assert re.search(rf"^    {inv}: .*\b{re.escape(mode)}\b", fixes.__doc__ or "", re.M | re.S), mode
        assert fix.reference.startswith("targets/reference/") and fix.change
    assert fixes.fix_for("G1", "Lock_If Exists").defect == "lock checked only when the file exists"
    assert fixes.fix_for("G1", "no-such-mode") is fixes.DEFAULTS["G1"]
    assert fixes.fix_for("G2", None) is fixes.DEFAULTS["G2"]


def test_one_defect_met_at_several_places_is_one_row_listing_each() -> None:
    def at(component: str) -> Violation:
        return Violation("K1", "createComment(...) was rejected", component, kind="createComment rejected")

    rows = [row(at("webhook:process_pm_task"), 1, hits=2), row(_g1(), 2),
            row(at("orchestrator:process_pm_task"), 3, hits=5)]
    text = render_findings(rows, WORK, **TARGET)
    table = _rows(_section(text, "B"))[2:]
    assert [r[0] for r in table] == ["2", "1, 3"]
    k1 = table[1]
    assert k1[3] == "`webhook:process_pm_task`<br>`orchestrator:process_pm_task`"
    assert "The same at: `orchestrator:process_pm_task` (#3, 5 example(s))." in k1[4]
    assert k1[7].count("pytest") == 0 and k1[7].count("<br>") == 1  # one test cell per place
    assert "2 distinct finding(s) at 3 places in the code" in _section(text, "A")


def test_a_defect_shows_the_steps_of_its_place_that_was_shrunk() -> None:
    """A defect met at several places shows a shrunk place's steps, not a first place whose
    shrink was cut short; the unshrunk place is listed as such."""
    def at(component: str) -> Violation:
        return Violation("K1", "createComment(...) was rejected", component, kind="createComment rejected")

    long_steps = [step(f"card #{n} moved to 2. Design Draft") for n in range(1, 9)]
    rows = [row(at("webhook:process_pm_task"), 1, shrunk=False, steps=long_steps),
            row(at("orchestrator:process_pm_task"), 2, steps=[step("card #1 moved to 3. Design Approved")])]
    k1 = _rows(_section(render_findings(rows, WORK, **TARGET), "B"))[2]
    assert k1[0] == "1, 2"
    assert "Not shrunk" not in k1[4]
    assert "The same at: `webhook:process_pm_task` (#1, 3 example(s), not shrunk)." in k1[4]
    assert "3. Design Approved" in k1[5] and "card #8" not in k1[5]
