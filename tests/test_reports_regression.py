"""The generated regression test: standalone, deterministic, and failing exactly while the defect does.

It is run here for real (pytester, in-process) against a stand-in `harness.replay`, so the
test exercises the file's own logic: target override, the AgentLeeOps skip, the assertion.
"""

from __future__ import annotations

import ast
import json
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from harness.reports.regression import default_run_id, render_regression_test, write_run_reports
from harness.reports.trace import Trace, load, save, trace_from_json
from harness.violation import Violation
from tests.test_reports_fixtures import HOSTILE, g1_trace, g1_world, i3_violation, result, step

pytest_plugins = ["pytester"]


def _module_constants(source: str) -> tuple[str, str]:
    tree = ast.parse(source)
    doc = ast.get_docstring(tree, clean=False) or ""
    trace_json = next(
        node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "TRACE_JSON"
    )
    return doc, trace_json


def test_file_compiles_embeds_the_trace_and_is_deterministic() -> None:
    trace = g1_trace()
    source = render_regression_test(trace)
    assert source == render_regression_test(g1_trace())
    compile(source, "test_regression_1.py", "exec")
    doc, trace_json = _module_constants(source)
    assert trace_from_json(json.loads(trace_json)) == trace
    assert "Regression: G1 (P0 blocker) Approved artifacts cannot be silently overwritten." in doc
    for n, s in enumerate(trace.steps, 1):
        assert f"    {n}. {s['text']}" in doc
    assert "def test_g1_holds_on_replay():" in source
    imports = [n for n in ast.parse(source).body if isinstance(n, (ast.Import, ast.ImportFrom))]
    harness_imports = sorted(
        (n.module, a.name) for n in imports if isinstance(n, ast.ImportFrom) and n.module.startswith("harness")
        for a in n.names
    )  # fmt: skip
    assert harness_imports == [
        ("harness.replay", "replay_trace"),
        ("harness.reports.trace", "trace_from_json"),
    ]


def test_hostile_step_text_cannot_break_the_file() -> None:
    trace = g1_trace(steps=[step(HOSTILE, rule="edit"), step('ends with a quote"')])
    source = render_regression_test(trace)
    compile(source, "test_regression_hostile.py", "exec")
    source.encode("utf-8")  # surrogates escaped, so the file can be written
    doc, trace_json = _module_constants(source)
    assert trace_from_json(json.loads(trace_json)).steps[0]["text"] == HOSTILE
    assert '1. card "..\\x" """ | <b>\\n\\x00 \\ud800 раth -rf' in doc  # shown escaped, on one line
    assert '2. ends with a quote"' in doc


# -- running the generated file ----------------------------------------------------------------


@dataclass
class FakeReplay:
    """Stands in for the lead's harness.replay; records how the regression file called it."""

    violation: Violation | None
    calls: list[dict[str, Any]] = field(default_factory=list)

    def module(self) -> types.ModuleType:
        mod = types.ModuleType("harness.replay")

        @dataclass
        class ReplayResult:
            violation: Violation | None
            journal: list[Any]

        def replay_trace(
            trace: Trace, *, target: str | None = None, agentleeops_path: str | None = None
        ):
            self.calls.append(
                {"trace": trace, "target": target, "agentleeops_path": agentleeops_path}
            )
            return ReplayResult(self.violation, [])

        mod.ReplayResult = ReplayResult  # type: ignore[attr-defined]
        mod.replay_trace = replay_trace  # type: ignore[attr-defined]
        return mod


@pytest.fixture
def run_regression(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("FUZZ_TARGET", raising=False)
    monkeypatch.delenv("AGENTLEEOPS_PATH", raising=False)
    # The generated file needs no plugin; loading them all costs about a second per run.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")

    def run(
        trace: Trace, replay_violation: Violation | None
    ) -> tuple[pytest.RunResult, FakeReplay]:
        fake = FakeReplay(replay_violation)
        monkeypatch.setitem(sys.modules, "harness.replay", fake.module())
        path = pytester.path / "test_regression_1.py"
        path.write_text(render_regression_test(trace), encoding="utf-8")
        return pytester.runpytest_inprocess(str(path), "-p", "no:cacheprovider", "-rs"), fake

    return run


def test_fails_while_replay_still_finds_the_violation(run_regression) -> None:
    trace = g1_trace()
    still = trace.violation_object()
    outcome, fake = run_regression(trace, still)
    outcome.assert_outcomes(failed=1)
    out = outcome.stdout.str()
    assert f"still violated on mutant:lock-if-exists: {still.headline()}" in out
    assert "1. card #1 moved to 3. Design Approved" in out
    assert "3. webhook task.move.column delivered for card #1" in out
    assert fake.calls[0]["target"] == "mutant:lock-if-exists" and fake.calls[0]["trace"] == trace


def test_passes_once_replay_finds_nothing(run_regression) -> None:
    outcome, fake = run_regression(g1_trace(), None)
    outcome.assert_outcomes(passed=1)
    assert len(fake.calls) == 1


def test_fuzz_target_overrides_the_traces_target(
    run_regression, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FUZZ_TARGET", "reference")
    outcome, fake = run_regression(g1_trace(), None)
    outcome.assert_outcomes(passed=1)
    assert fake.calls[0]["target"] == "reference" and fake.calls[0]["agentleeops_path"] is None


@pytest.mark.parametrize("via_env", [False, True])
def test_real_system_needs_its_checkout(
    run_regression, monkeypatch: pytest.MonkeyPatch, via_env: bool
) -> None:
    trace = g1_trace(target="mutant:lock-if-exists" if via_env else "agentleeops")
    if via_env:
        monkeypatch.setenv("FUZZ_TARGET", "agentleeops")
    outcome, fake = run_regression(trace, None)
    outcome.assert_outcomes(skipped=1)
    assert "needs a real AgentLeeOps checkout: set AGENTLEEOPS_PATH" in outcome.stdout.str()
    assert fake.calls == []

    monkeypatch.setenv("AGENTLEEOPS_PATH", "/checkouts/agentleeops")
    outcome, fake = run_regression(trace, trace.violation_object())
    outcome.assert_outcomes(failed=1)
    assert fake.calls[0] == {
        "trace": trace,
        "target": "agentleeops",
        "agentleeops_path": "/checkouts/agentleeops",
    }


# -- the run directory -------------------------------------------------------------------------


def test_write_run_reports_lays_out_the_run(tmp_path: Path) -> None:
    g1 = g1_trace()
    failing = result(g1.violation_object(), steps=g1.steps)
    failing.trace = g1
    p1 = result(i3_violation(), machine="SpawnerMachine", steps=[step("spawner run on epic #2")])
    clean = result(None, machine="WebhookMachine")
    run_dir = write_run_reports([clean, p1, failing], tmp_path)
    assert run_dir == tmp_path / "mutant-lock-if-exists-seed-1234"
    assert sorted(p.name for p in run_dir.iterdir()) == [
        "findings.md", "test_regression_1.py", "test_regression_2.py", "trace-1.json", "trace-2.json",
    ]  # fmt: skip
    # The engine's own trace, numbered in findings order (P0 first).
    assert load(run_dir / "trace-1.json") == g1
    built = load(run_dir / "trace-2.json")  # no trace given: made from the result
    assert built.violation_object() == i3_violation() and built.steps == p1.steps
    findings = (run_dir / "findings.md").read_text()
    assert "`test_regression_1.py`" in findings and "`test_regression_2.py`" in findings
    assert "(reference+lock-if-exists)" in findings.splitlines()[0]
    first = {p.name: p.read_bytes() for p in run_dir.iterdir()}
    write_run_reports([failing, clean, p1], tmp_path)
    assert {p.name: p.read_bytes() for p in run_dir.iterdir()} == first  # deterministic


def test_stale_files_of_an_earlier_run_are_removed(tmp_path: Path) -> None:
    run_dir = tmp_path / "r"
    run_dir.mkdir()
    (run_dir / "trace-7.json").write_text("{}")
    (run_dir / "test_regression_7.py").write_text("")
    (run_dir / "notes.txt").write_text("mine")
    write_run_reports([result(i3_violation())], tmp_path, run_id="r")
    assert sorted(p.name for p in run_dir.iterdir()) == [
        "findings.md", "notes.txt", "test_regression_1.py", "trace-1.json",
    ]  # fmt: skip


def test_a_trace_file_from_the_engine_is_reused(tmp_path: Path) -> None:
    trace = g1_trace(face="http")
    res = result(g1_world()[1])
    res.trace_path = save(trace, tmp_path / "engine" / "t.json")
    run_dir = write_run_reports([res], tmp_path / "reports", target_version="abc123")
    assert load(run_dir / "trace-1.json").face == "http"
    assert "(abc123)" in (run_dir / "findings.md").read_text().splitlines()[0]


def test_default_run_id() -> None:
    assert default_run_id("mutant:no-dedupe", [5, 5]) == "mutant-no-dedupe-seed-5"
    assert default_run_id("agentleeops", [None]) == "agentleeops-unseeded"
    many = default_run_id("reference", [2, 1, None])
    assert many.startswith("reference-seeds-") and many == default_run_id("reference", [1, 2])
    assert default_run_id("../../etc", [1]) == "etc-seed-1"
    with pytest.raises(ValueError, match="pass target="):
        write_run_reports([result(None, target="a"), result(None, target="b")], "/nonexistent")
