"""report.html: one self-contained page per run (no script, no network), for people.

A summary of the run, what it reached (and never reached), and each finding as a timeline:
one lane per party (the harness's steps, the person, each runner and webhook delivery,
Kanboard's webhooks, the files), every journal event in order, the first bad effect marked,
with the links to the finding's trace and regression test and its replay command.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness import coverage
from harness import journal as j
from harness.journal import Event
from harness.reports.findings import MachineWork, Row, defects, not_shrunk_reason, relative_path, verdict
from harness.reports.text import describe_event, one_line, severity_label, step_lines, thousands
from harness.violation import INVARIANT_ORDER

MAX_EVENTS = 800  # of one finding's timeline; the trace holds them all
STEPS, PERSON, KANBOARD, FILES = "steps", "person", "Kanboard", "files"

_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.5em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:2px 6px;vertical-align:top}
th{background:#f4f4f4;text-align:left}.num{text-align:right;white-space:nowrap}
.never{background:#fff3cd}.P0{color:#b00020;font-weight:bold}.P1{color:#c05000;font-weight:bold}
.P2{color:#7a6000}.verdict{font-size:1.2em;font-weight:bold}
article{border:1px solid #ccc;border-radius:6px;padding:.5em 1em;margin:1em 0}
.timeline{font-size:12px;width:100%}.timeline td{max-width:28em;overflow-wrap:anywhere}
.timeline th{position:sticky;top:0}.bad{background:#ffd6d6;outline:2px solid #b00020}
.lane-steps{background:#eef4ff}code{background:#f4f4f4;padding:0 3px}
"""


def render_html(
    rows: Sequence[Row],
    machines: Sequence[MachineWork],
    timelines: Mapping[int, str],
    *,
    target: str,
    target_version: str,
    seed: int | None,
    profile: str = "",
    budget_minutes: float | None = None,
    stopped: str | None = None,
    relative_to: Path | None = None,
) -> str:
    """The page; `timelines` maps a row's number to its timeline (`render_timeline`)."""
    title = f"Fuzz run: {target}"
    parts = [
        "<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{_e(title)}{f' <small>({_e(target_version)})</small>' if target_version else ''}</h1>",
        *_summary(rows, machines, target, target_version, seed, profile, budget_minutes, stopped),
        *_coverage(machines),
        '<h2 id="findings">Findings</h2>',
    ]
    found = defects(rows)
    if not found:
        parts.append("<p>No violation found.</p>")
    for defect in found:
        for row in defect.rows:
            parts.append(_finding(row, timelines.get(row.number, ""), relative_to))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _summary(rows: Sequence[Row], machines: Sequence[MachineWork], target: str, target_version: str,
             seed: int | None, profile: str, budget_minutes: float | None, stopped: str | None) -> list[str]:
    found = defects(rows)
    counts = {sev: sum(1 for d in found if d.severity == sev) for sev in ("P0", "P1", "P2")}
    timed = budget_minutes is not None
    head = "<tr><th>machine</th><th>examples</th><th>test cases</th><th>steps</th>" + \
        ("<th>seconds used</th><th>share</th>" if timed else "") + "<th>stopped</th></tr>"
    lines = [
        f'<h2 id="summary">Summary</h2><p class="verdict">{_e(verdict(rows, machines))}</p>',
        "<table>",
        f"<tr><th>target</th><td>{_e(target)}</td></tr>",
        f"<tr><th>version</th><td>{_e(target_version or 'unknown')}</td></tr>",
        f"<tr><th>profile</th><td>{_e(profile or 'unnamed')}</td></tr>",
        f"<tr><th>seed</th><td>{_e('none fixed' if seed is None else seed)}</td></tr>",
        f"<tr><th>budget</th><td>{_e(f'{budget_minutes:g} min' if timed else 'examples')}</td></tr>",
        f"<tr><th>examples</th><td>{thousands(sum(m.examples for m in machines))}</td></tr>",
        f"<tr><th>steps</th><td>{thousands(sum(m.steps for m in machines))}</td></tr>",
        f"<tr><th>distinct findings</th><td>{len(found)} ({counts['P0']} P0, {counts['P1']} P1, "
        f"{counts['P2']} P2) at {len(rows)} place(s)</td></tr>",
    ]
    if stopped:
        lines.append(f"<tr><th>interrupted</th><td>{_e(stopped)}: the run is incomplete</td></tr>")
    lines += ["</table>", "<table>", head]
    for m in machines:
        cells = [m.cls_name, thousands(m.examples), thousands(m.test_calls), thousands(m.steps)]
        if timed:
            cells += [f"{m.seconds:.1f}", f"{m.budget_seconds:.1f}" if m.budget_seconds else "–"]
        cells.append(m.stopped or "budget spent")
        lines.append("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in cells) + "</tr>")
    lines.append("</table>")
    broken = sorted({r.invariant for r in rows}, key=INVARIANT_ORDER.index)
    lines.append(f"<p>Violated: {_e(', '.join(broken) or 'none')}.</p>")
    return lines


def _coverage(machines: Sequence[MachineWork]) -> list[str]:
    reached: dict[str, int] = {}
    for m in machines:
        for key, n in (getattr(m, "reached", None) or {}).items():
            reached[key] = reached.get(key, 0) + n
    rows = coverage.table(reached)
    never = sum(1 for _, _, n in rows if n == 0)
    lines = [
        '<h2 id="coverage">What the run reached</h2>',
        f"<p>Steps of every test case (shrinks and replays included); {never} never reached, marked.</p>",
        "<table><tr><th>family</th><th>name</th><th>times</th></tr>",
    ]
    for family, name, n in rows:
        mark = ' class="never"' if n == 0 else ""
        shown = thousands(n) if n else "never reached"
        lines.append(f"<tr{mark}><td>{_e(family)}</td><td>{_e(name)}</td><td class=\"num\">{shown}</td></tr>")
    lines.append("</table>")
    return lines


def _finding(row: Row, timeline: str, relative_to: Path | None) -> str:
    f = row.finding
    v = f.violation
    trace = _link(row.trace_path, relative_to)
    test = _link(row.regression_path, relative_to)
    replay = f"python -m harness replay {relative_path(row.trace_path, relative_to)}" if row.trace_path else ""
    shrunk = "shrunk" if f.shrunk else f"not shrunk ({not_shrunk_reason(f)})"
    if f.shrunk and f.shrink_capped:
        shrunk = "shrunk as far as its budget went"
    steps = "".join(f"<li>{_e(line.split('. ', 1)[1] if '. ' in line else line)}</li>"
                    for line in step_lines(f.trace.get("steps", ())))
    return "\n".join([
        f'<article id="finding-{row.number}">',
        f'<h3>#{row.number} <span class="{_e(row.severity)}">{_e(severity_label(row.severity))}</span> '
        f"{_e(row.title)}</h3>",
        f"<p>{_e(one_line(v.message, 400))}</p>",
        f"<p>Component <code>{_e(f.signature[2])}</code>; entrypoint {_e(v.entrypoint or '–')}; "
        f"met in {thousands(f.hits)} example(s); first found by {_e(f.machine)}; {_e(shrunk)}.</p>",
        f"<p>Trace {trace}; regression test {test}; replay: <code>{_e(replay)}</code></p>",
        f"<h4>Steps ({len(f.trace.get('steps', ()))})</h4><ol>{steps}</ol>",
        "<h4>Timeline</h4>",
        timeline,
        "</article>",
    ])


def render_timeline(journal: Sequence[Mapping[str, Any]], evidence: Sequence[int]) -> str:
    """A finding's journal as a table: a column per lane, a row per event, in order; the
    events in `evidence` (journal seqs, the first bad effect first) marked."""
    events = [Event(e["seq"], e["kind"], e["actor"], e["step"], e.get("data") or {}) for e in journal]
    step_text = {e.data.get("step_seq"): e.data.get("text") for e in events
                 if e.kind == j.NOTE and e.data.get("step_seq") is not None}
    shown = [e for e in events if not (e.kind == j.NOTE and e.data.get("step_seq") is not None)]
    more = len(shown) - MAX_EVENTS
    if more > 0:  # keep the end: the bad effect is there
        shown = shown[-MAX_EVENTS:]
    lanes: list[str] = [STEPS]
    for e in shown:
        lane = _lane(e)
        if lane not in lanes:
            lanes.append(lane)
    bad = set(evidence)
    lines = ['<table class="timeline"><tr><th>#</th>' + "".join(f"<th>{_e(lane)}</th>" for lane in lanes) + "</tr>"]
    if more > 0:
        lines.append(f'<tr><td colspan="{len(lanes) + 1}">… {more} earlier event(s) are in the trace</td></tr>')
    for e in shown:
        text = (step_text.get(e.seq) or e.data.get("text")) if e.kind == j.STEP else None
        what = f"step {e.step}: {one_line(text, 300)}" if text else describe_event(e).split("] ", 1)[-1]
        lane = _lane(e)
        cls = ' class="bad"' if e.seq in bad else (' class="lane-steps"' if lane == STEPS else "")
        cells = "".join(f"<td{cls}>{_e(what)}</td>" if name == lane else "<td></td>" for name in lanes)
        lines.append(f'<tr id="e{e.seq}"><td class="num">{e.seq}</td>{cells}</tr>')
    lines.append("</table>")
    return "\n".join(lines)


def _lane(e: Event) -> str:
    if e.kind in (j.STEP, j.NOTE) and e.actor == "harness":
        return STEPS
    if e.kind == j.WEBHOOK:
        return KANBOARD
    if e.kind in (j.FILE, j.TRICK):
        return FILES
    if e.kind == j.HUMAN or e.actor == "human":
        return PERSON
    return e.actor


def _link(path: Path | None, relative_to: Path | None) -> str:
    if path is None:
        return "–"
    shown = relative_path(path, relative_to)
    return f'<a href="{_e(shown)}">{_e(shown)}</a>'


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)
