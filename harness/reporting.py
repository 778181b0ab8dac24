"""From a failed machine to files a developer can use: trace, regression test, findings.

Both entries (the pytest plugin and `python -m harness run`) come through here, so a failure
found in CI and one found by the main job produce the same reports.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from harness.reports.console import render_result_failure
from harness.reports.findings import RunResult
from harness.reports.regression import write_run_reports
from harness.reports.trace import make_trace


def _program(error: BaseException) -> str:
    return "\n".join(str(n) for n in getattr(error, "__notes__", []) or [])


def _result(trace: dict[str, Any], *, seed: int | None, program: str, examples: int = 0,
            steps: int = 0, seconds: float = 0.0, checks: Sequence[str] = ()) -> RunResult:
    violation = trace["violation"]
    built = make_trace(
        target=trace["target"], target_version=trace["target_version"], machine=trace["machine"],
        seed=seed, face=trace["face"], steps=trace["steps"], violation=violation,
        journal=trace["journal"], hypothesis_program=program,
    )
    return RunResult(
        machine=trace["machine"], target=trace["target"], examples_run=examples, steps_run=steps,
        seconds=seconds, seed=seed, violation=violation, invariants_checked=list(checks),
        steps=list(trace["steps"]), trace=built,
    )


def report_failure(error: BaseException, trace: dict[str, Any], nodeid: str, reports_dir: str) -> str:
    """Write the reports of one failing pytest item; return the console text for it."""
    result = _result(trace, seed=None, program=_program(error))
    run_id = "pytest-" + "".join(c if c.isalnum() else "-" for c in nodeid).strip("-")[-80:]
    run_dir = write_run_reports([result], reports_dir, run_id=run_id, target=trace["target"],
                                target_version=trace["target_version"])
    return _console(run_dir, result)


def _console(run_dir: Path, result: RunResult) -> str:
    trace_path = run_dir / "trace-1.json"
    regression = run_dir / "test_regression_1.py"
    shown = replace(result, trace_path=trace_path if trace_path.exists() else None,
                    regression_path=regression if regression.exists() else None)
    return render_result_failure(shown) + f"  findings:         {run_dir / 'findings.md'}\n"


def write_run(runs: Sequence[Any], *, target: str, reports_dir: str, seed: int) -> Path:
    """Reports for a whole `python -m harness run`: every machine run, failed or not."""
    results = []
    for run in runs:
        if run.trace is not None:
            results.append(_result(run.trace, seed=run.seed, program=run.program, examples=run.examples,
                                   steps=run.steps, seconds=run.seconds, checks=run.checks))
        else:
            results.append(RunResult(machine=run.machine, target=target, examples_run=run.examples,
                                     steps_run=run.steps, seconds=run.seconds, seed=run.seed,
                                     invariants_checked=list(run.checks)))
    return write_run_reports(results, reports_dir, target=target)
