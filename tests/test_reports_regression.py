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

from harness.reports.folder import ReportsError, RunFolder, run_name
from harness.reports.regression import render_regression_test
from harness.reports.trace import Trace, load, trace_from_json
from harness.violation import Violation
from tests.test_reports_fixtures import (
    HOSTILE,
    Work,
    finding,
    g1_trace,
    g1_world,
    i3_violation,
    step,
)

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


# -- the run folder ----------------------------------------------------------------------------


def _folder(root: Path, name: str = "run") -> RunFolder:
    return RunFolder(root, name, target="mutant:lock-if-exists", target_version="reference+lock-if-exists",
                     face="inproc", seed=1234, profile="ci")


def test_a_run_folder_is_written_finding_by_finding(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    folder.add(finding(g1_world()[1], steps=g1_world()[2]))
    folder.write_findings([Work()])
    assert sorted(p.name for p in folder.path.iterdir()) == [
        "findings.md", "report.html", "test_regression_1.py", "trace-1.json"]
    folder.add(finding(i3_violation(), machine="SpawnerMachine", steps=[step("spawner run on epic #2")]))
    folder.write_findings([Work()])
    assert sorted(p.name for p in folder.path.iterdir()) == [
        "findings.md", "report.html", "test_regression_1.py", "test_regression_2.py", "trace-1.json",
        "trace-2.json",
    ]  # fmt: skip
    built = load(folder.path / "trace-2.json")
    assert built.violation_object() == i3_violation() and built.machine == "SpawnerMachine"
    text = (folder.path / "findings.md").read_text()
    assert "`pytest test_regression_1.py`" in text and "`pytest test_regression_2.py`" in text
    assert "(reference+lock-if-exists)" in text.splitlines()[0]
    assert (tmp_path / "latest").resolve() == folder.path.resolve()


def test_a_finding_shrunk_later_rewrites_its_own_row(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    long_steps = [step(f"card #1 moved to column {n}") for n in range(9)]
    folder.add(finding(g1_world()[1], steps=long_steps, shrunk=False))
    folder.add(finding(i3_violation(), machine="SpawnerMachine"))
    folder.add(finding(g1_world()[1], steps=g1_world()[2]))  # the same defect, now shrunk
    assert [r.number for r in folder.rows] == [1, 2] and all(r.finding.shrunk for r in folder.rows)
    assert len(load(folder.path / "trace-1.json").steps) == len(g1_world()[2])
    assert sorted(p.name for p in folder.path.glob("trace-*.json")) == ["trace-1.json", "trace-2.json"]


def test_two_runs_never_share_a_folder(tmp_path: Path) -> None:
    first, second = _folder(tmp_path, "same"), _folder(tmp_path, "same")
    first.add(finding(i3_violation()))
    second.add(finding(g1_world()[1]))
    assert first.path != second.path and second.path.name == "same-2"
    assert load(first.path / "trace-1.json").violation_object() == i3_violation()
    assert (tmp_path / "latest").resolve() == second.path.resolve()


def test_an_unwritable_reports_folder_is_one_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ReportsError, match="cannot write reports under"):
        _folder(blocker).make()


def test_run_names_say_when_what_seed_and_machines() -> None:
    stamp = 1795480618.0
    assert run_name("mutant:no-dedupe", 5, ["webhook"], stamp) == "20261124-003658-mutant-no-dedupe-seed5-webhook"
    assert run_name("../../etc", None, ["a", "b", "c", "d"], stamp).endswith("-etc-unseeded-4-machines")
