"""The text a failing pytest run prints: what broke, the first bad effect, the shrunk steps,
and where the replay files are, so a reader can act without opening anything else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.reports.findings import Row, not_shrunk_reason
from harness.reports.text import first_bad_effect, one_line, severity_label, step_lines
from harness.violation import Violation


def render_failure(
    violation: Violation,
    steps: Sequence[Mapping[str, Any]],
    *,
    trace_path: Path | None = None,
    regression_path: Path | None = None,
    hypothesis_program: str | None = None,
) -> str:
    """The failure report for one violation and its shrunk steps."""
    lines = [
        f"{violation.invariant} violated ({severity_label(violation.severity)}): {violation.title}",
        f"  what broke:       {one_line(violation.message, 300)}",
        f"  component:        {one_line(violation.component, 200)}",
        f"  first bad effect: {first_bad_effect(violation.evidence, '(no journal evidence recorded)')}",
    ]
    if len(violation.evidence) > 1:
        lines.append(
            f"                    (+{len(violation.evidence) - 1} more evidence event(s) in the trace)"
        )
    lines.append(f"  shrunk steps ({len(steps)}):")
    lines += [f"    {line}" for line in step_lines(steps, 300)] or [
        "    (none: the initial board fails)"
    ]
    if trace_path is not None:
        lines.append(f"  trace:            {trace_path}")
        lines.append(f"    replay with:    python -m harness replay {trace_path}")
    if regression_path is not None:
        lines.append(f"  regression test:  {regression_path}")
        lines.append(f"    run with:       pytest {regression_path}")
    if hypothesis_program:
        lines.append("  Hypothesis's reproducible program:")
        lines += [f"    {line}" for line in hypothesis_program.rstrip("\n").splitlines()]
    return "\n".join(lines) + "\n"


def render_row(row: Row) -> str:
    """render_failure for one finding of a run, with its files and commands."""
    f = row.finding
    head = f"finding #{row.number}, met in {f.hits} example(s), first by {f.machine}"
    if not f.shrunk:
        head += f" (not shrunk: {not_shrunk_reason(f)})"
    return f"--- {head}\n" + render_failure(
        f.violation, list(f.trace.get("steps") or ()), trace_path=row.trace_path,
        regression_path=row.regression_path,
    )
