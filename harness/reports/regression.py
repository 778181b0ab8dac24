"""The "suggested test to prevent regression": a standalone pytest file per finding.

The file embeds its trace, so it keeps working when copied into the target's own test suite;
it fails while the defect exists and passes once it is fixed.
"""

from __future__ import annotations

import ast

from harness.reports.text import one_line, severity_label
from harness.reports.trace import Trace, dumps
from harness.violation import TITLES

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
