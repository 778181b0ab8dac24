"""The "suggested test to prevent regression": a standalone pytest file per failure, and the
writer that lays out a run's reports directory.

The file embeds its trace, so it keeps working when copied into the target's own test suite;
it fails while the defect exists and passes once it is fixed.
"""

from __future__ import annotations

import ast
import hashlib
import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from harness.reports.findings import RunResult, group_findings, render_findings
from harness.reports.text import one_line, severity_label
from harness.reports.trace import Trace, dumps, load, make_trace, save
from harness.violation import TITLES

_STALE = re.compile(r"^(trace-\d+\.json|test_regression_\d+\.py)$")

_TEMPLATE = '''\
"""{doc}"""

from __future__ import annotations

import json
import os

import pytest

from harness.replay import replay_trace
from harness.reports.trace import trace_from_json

TRACE_JSON = {trace_literal}


def _still_broken(trace, target, violation):
    steps = "\\n".join(f"  {{n}}. {{s['text']}}" for n, s in enumerate(trace.steps, 1))
    return f"still violated on {{target}}: {{violation.headline()}}\\nrepro steps:\\n{{steps}}"


def {test_name}():
    trace = trace_from_json(json.loads(TRACE_JSON))
    target = os.environ.get("FUZZ_TARGET") or trace.target
    agentleeops_path = os.environ.get("AGENTLEEOPS_PATH") or None
    if target.split(":", 1)[0] == "agentleeops" and agentleeops_path is None:
        pytest.skip(
            f"replaying on {{target}} needs a real AgentLeeOps checkout: "
            "set AGENTLEEOPS_PATH=/path/to/agentleeops"
        )
    result = replay_trace(trace, target=target, agentleeops_path=agentleeops_path)
    assert result.violation is None, _still_broken(trace, target, result.violation)
'''


def render_regression_test(trace: Trace) -> str:
    """Source of a standalone pytest file replaying `trace`; same trace, same text."""
    violation = trace.violation_object()
    test_name = (
        f"test_{violation.invariant.lower()}_holds_on_replay"
        if violation
        else "test_replay_stays_clean"
    )
    source = _TEMPLATE.format(
        doc=_docstring(trace), trace_literal=_trace_literal(trace), test_name=test_name
    )
    compile(source, "<regression test>", "exec")  # a bug here must not reach a user's suite
    return source


def _docstring(trace: Trace) -> str:
    violation = trace.violation_object()
    seed = "no fixed seed" if trace.seed is None else f"seed {trace.seed}"
    version = f" (version {trace.target_version})" if trace.target_version else ""
    if violation is not None:
        head = f"Regression: {violation.invariant} ({severity_label(violation.severity)}) {TITLES[violation.invariant]}."
        broke = f"What broke: {violation.message} [{violation.component}]"
    else:
        head = "Regression: replay of a run that found no violation."
        broke = "What broke: nothing was recorded; the test guards that it stays so."
    lines = [
        head,
        "",
        f"Found by {trace.created_by} on target {trace.target}{version}, machine {trace.machine},",
        f"{seed}, Kanboard face {trace.face}. It replays the shrunk steps and FAILS while the",
        "defect exists; it passes once the defect is fixed.",
        "",
        broke,
        "",
        "Repro steps (board language):",
    ]
    lines += [
        f"    {n}. {one_line(s.get('text') or s.get('rule', '?'), 300)}"
        for n, s in enumerate(trace.steps, 1)
    ]
    if not trace.steps:
        lines.append("    (none: the initial board already fails)")
    lines += [
        "",
        "Replay against another target with FUZZ_TARGET=<name> (reference, mutant:<name>,",
        "agentleeops); the real system also needs AGENTLEEOPS_PATH=/path/to/checkout.",
        "",
    ]
    return "\n".join(_py_doc_line(line) for line in lines)


def _py_doc_line(line: str) -> str:
    """Text that reads back unchanged inside a triple-quoted docstring."""
    shown = one_line(line, 0)  # control characters escaped, so no stray line breaks or NULs
    return shown.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def _trace_literal(trace: Trace) -> str:
    text = dumps(trace)
    literal = f'r"""\n{text}"""'
    try:  # raw triple quotes hold ASCII JSON as is; prove it, else fall back to repr
        if ast.literal_eval(literal) == "\n" + text:
            return literal
    except (SyntaxError, ValueError):
        pass
    return repr(text)


# -- the run directory -------------------------------------------------------------------------


def default_run_id(target: str, seeds: Sequence[int | None]) -> str:
    """A run id from the target and seed(s): the same run always lands in the same directory."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", target).strip("-.") or "target"
    fixed = sorted({s for s in seeds if s is not None})
    if not fixed:
        return f"{slug}-unseeded"
    if len(fixed) == 1 and None not in seeds:
        return f"{slug}-seed-{fixed[0]}"
    digest = hashlib.sha256(",".join(map(str, fixed)).encode()).hexdigest()[:10]
    return f"{slug}-seeds-{digest}"


def write_run_reports(
    results: Sequence[RunResult],
    out_dir: str | Path,
    *,
    run_id: str | None = None,
    target: str | None = None,
    target_version: str | None = None,
) -> Path:
    """Write reports/<run-id>/: findings.md, and trace-<n>.json + test_regression_<n>.py per
    failing run (numbered in findings order). Returns the run directory."""
    results = list(results)
    target = target or _common_target(results)
    run_dir = Path(out_dir) / (run_id or default_run_id(target, [r.seed for r in results]))
    run_dir.mkdir(parents=True, exist_ok=True)

    failing = [run for finding in group_findings(results) for run in finding.runs]
    traces = [_trace_of(r, target_version) for r in failing]
    if target_version is None:
        target_version = next((t.target_version for t in traces if t.target_version), "")

    written: dict[int, RunResult] = {}
    keep: set[str] = set()
    for n, (result, trace) in enumerate(zip(failing, traces, strict=True), 1):
        trace_path = save(trace, run_dir / f"trace-{n}.json")
        regression_path = run_dir / f"test_regression_{n}.py"
        regression_path.write_text(render_regression_test(trace), encoding="utf-8")
        keep |= {trace_path.name, regression_path.name}
        written[id(result)] = replace(
            result, trace=trace, trace_path=trace_path, regression_path=regression_path
        )
    for stale in run_dir.iterdir():  # files a previous run with more failures left behind
        if _STALE.match(stale.name) and stale.name not in keep:
            stale.unlink()

    final = [written.get(id(r), r) for r in results]
    text = render_findings(final, target=target, target_version=target_version, relative_to=run_dir)
    (run_dir / "findings.md").write_text(text, encoding="utf-8")
    return run_dir


def _common_target(results: Sequence[RunResult]) -> str:
    targets = sorted({r.target for r in results})
    if len(targets) != 1:
        raise ValueError(
            f"results name {len(targets)} targets ({', '.join(targets) or 'none'}); pass target="
        )
    return targets[0]


def _trace_of(result: RunResult, target_version: str | None) -> Trace:
    """The failing run's trace: as the engine built it, else from its file, else from the result."""
    if result.trace is not None:
        return result.trace
    if result.trace_path is not None:
        return load(result.trace_path)
    violation = result.violation
    return make_trace(
        target=result.target,
        target_version=target_version or "",
        machine=result.machine,
        seed=result.seed,
        face="inproc",
        steps=result.steps,
        violation=violation,
        journal=violation.evidence if violation else (),
        hypothesis_program="",
    )
