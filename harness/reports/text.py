"""Shared wording for reports: one line per event, numbered board-language steps.

Findings, console output and regression files all show the same evidence, so they all
word it here; card text is hostile by design, so everything shown is forced onto one line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from harness import journal as j
from harness.journal import Event
from harness.violation import INVARIANT_ORDER

SEVERITY_LABELS = {"P0": "P0 blocker", "P1": "P1 high", "P2": "P2 medium", "P3": "P3 low"}
MAX_FIELD = 160  # characters of one value shown before it is cut


def one_line(value: Any, limit: int = MAX_FIELD) -> str:
    """Printable single-line text: control and non-printable characters escaped, long text cut."""
    text = value if isinstance(value, str) else str(value)
    out = []
    for ch in text:
        if ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch.isprintable():
            out.append(ch)
        else:
            code = ord(ch)
            out.append(
                f"\\x{code:02x}"
                if code < 0x100
                else f"\\u{code:04x}"
                if code < 0x10000
                else f"\\U{code:08x}"
            )
    shown = "".join(out)
    if limit and len(shown) > limit:
        shown = shown[: limit - 1] + "…"
    return shown


def severity_label(severity: str) -> str:
    """The brief's words for a severity ("P0 blocker")."""
    return SEVERITY_LABELS.get(severity, severity)


def step_lines(steps: Sequence[Mapping[str, Any]], limit: int = MAX_FIELD) -> list[str]:
    """The shrunk steps as numbered board-language lines ("1. card #3 moved to ...")."""
    lines = []
    for number, step in enumerate(steps, 1):
        text = step.get("text") or _rule_call(step)
        lines.append(f"{number}. {one_line(text, limit)}")
    return lines


def _rule_call(step: Mapping[str, Any]) -> str:
    args = step.get("args") or {}
    shown = ", ".join(f"{k}={args[k]!r}" for k in sorted(args))
    return f"{step.get('rule', '?')}({shown})"


def describe_event(event: Event) -> str:
    """One line saying what happened, who did it, and where it sits in the journal."""
    return f"[journal #{event.seq}, step {event.step}] {_what(event)}"


def _what(event: Event) -> str:
    d = event.data
    who = event.actor
    kind = event.kind
    if kind == j.FILE:
        op = d.get("op", "?")
        path = one_line(d.get("path", "?"))
        if d.get("dst") is not None:
            return f"{op} {path} -> {one_line(d['dst'])} by {who}"
        return f"{op} {path} by {who}"
    if kind == j.CALL:
        params = d.get("params") or {}
        shown = (
            ", ".join(f"{k}={one_line(repr(params[k]), 40)}" for k in sorted(params))
            if isinstance(params, Mapping)
            else one_line(params, 60)
        )
        outcome = d.get("outcome", "?")
        fault = f", planned fault {d['fault']}" if d.get("fault") else ""
        return f"{who} called {d.get('method', '?')}({shown}) -> {outcome}{fault}"
    if kind == j.PROC:
        argv = d.get("argv")
        cmd = " ".join(str(a) for a in argv) if isinstance(argv, list) else str(argv)
        shell = " with shell=True" if d.get("shell") else ""
        cwd = f" in {one_line(d['cwd'])}" if d.get("cwd") else ""
        return f"{who} launched `{one_line(cmd)}`{shell}{cwd}"
    if kind == j.AGENT:
        phase = d.get("phase", "?")
        verb = (
            "started"
            if phase == "start"
            else f"finished (ok={d.get('ok')})"
            if phase == "end"
            else phase
        )
        return f"{who} {verb} agent {d.get('agent', '?')} on card #{d.get('task_id', '?')}"
    if kind == j.ENTRY:
        err = f" (error: {one_line(d['error'])})" if d.get("error") else ""
        return f"entrypoint {d.get('entrypoint', '?')} {d.get('phase', '?')}{err}"
    if kind == j.WEBHOOK:
        return (
            f"Kanboard emitted webhook {d.get('event_name', '?')} for card #{d.get('task_id', '?')}"
        )
    if kind == j.HUMAN:
        rest = ", ".join(
            f"{k}={one_line(repr(d[k]), 40)}" for k in sorted(d) if k not in ("action", "task_id")
        )
        return f"human {d.get('action', '?')} card #{d.get('task_id', '?')}" + (
            f" ({rest})" if rest else ""
        )
    if kind == j.STEP:
        return f"step: {one_line(d.get('text') or d.get('rule', '?'))}"
    if kind == j.LLM:
        return f"model answered role {d.get('role', '?')}: {one_line(d.get('answer', ''), 60)}"
    if kind == j.TRICK:
        return f"harness trick {d.get('trick', '?')} on {one_line(d.get('path', '?'))}"
    if kind == j.NOTE:
        return one_line(d.get("text", ""))
    return f"{who} {kind} {one_line(repr(dict(d)))}"


def first_bad_effect(evidence: Sequence[Event], fallback: str) -> str:
    """The violation's first piece of evidence in one line, or `fallback` when it has none."""
    return describe_event(evidence[0]) if evidence else one_line(fallback)


def thousands(n: int) -> str:
    return f"{n:,}"
