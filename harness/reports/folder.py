"""A run's own reports folder, written the moment each finding is made.

`reports/<UTC time>-<target>-seed<N>-<machines>/` holds `trace-<n>.json` and
`test_regression_<n>.py` per finding (numbered in the order found) and `findings.md`,
rewritten after every finding, so an interrupted run keeps all it found. Nothing outside
its folder is touched, except `reports/latest`, a symlink to the newest run.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from harness.ledger import Finding
from harness.reports.findings import MachineWork, Row, render_findings
from harness.reports.html import render_html, render_timeline
from harness.reports.regression import render_regression_test
from harness.reports.trace import Trace, TraceError, make_trace, save

LATEST = "latest"


class ReportsError(Exception):
    """The reports folder cannot be written; the message is one line for the user."""


def run_name(target: str, seed: int | None, machines: Sequence[str], stamp: float | None = None) -> str:
    """`20261203-192112-mutant-no-dedupe-seed0-webhook+spawner`: when, what, which seed, which
    machines; two runs never share a folder unless started the same second with the same
    everything (then a counter is added)."""
    when = time.strftime("%Y%m%d-%H%M%S", time.gmtime(stamp if stamp is not None else time.time()))
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", target).strip("-.") or "target"
    which = "+".join(machines) if len(machines) <= 3 else f"{len(machines)}-machines"
    seeded = "unseeded" if seed is None else f"seed{seed}"
    return f"{when}-{slug}-{seeded}-{which}"


def trace_of(finding: Finding, *, target: str, target_version: str, face: str) -> Trace:
    """The replay file of a finding, from the live trace its machine recorded."""
    live: dict[str, Any] = finding.trace
    return make_trace(
        target=live.get("target", target), target_version=live.get("target_version", target_version),
        machine=finding.machine, seed=finding.seed, face=live.get("face", face),
        steps=live.get("steps", ()), violation=finding.violation, journal=live.get("journal", ()),
        hypothesis_program=finding.program,
    )


class RunFolder:
    """One run's folder under `reports_dir`; created on the first write."""

    def __init__(self, reports_dir: str | Path, name: str, *, target: str, target_version: str,
                 face: str, seed: int | None, profile: str = "",
                 budget_minutes: float | None = None) -> None:
        self.root = Path(reports_dir)
        self.path = self.root / name
        self.target, self.target_version, self.face = target, target_version, face
        self.seed, self.profile, self.budget_minutes = seed, profile, budget_minutes
        self.rows: list[Row] = []
        self.timelines: dict[int, str] = {}  # row number -> its timeline's HTML
        self._made = False

    def make(self) -> Path:
        """Create the folder (a fresh one: never another run's) and point `latest` at it."""
        if self._made:
            return self.path
        base, n = self.path, 1
        while True:
            try:
                self.path.mkdir(parents=True, exist_ok=False)
                break
            except FileExistsError:
                n += 1
                self.path = base.with_name(f"{base.name}-{n}")
            except OSError as exc:
                raise ReportsError(f"cannot write reports under {self.root}: {exc.strerror or exc}") from None
        self._made = True
        self._point_latest()
        return self.path

    def _point_latest(self) -> None:
        link = self.root / LATEST
        tmp = self.root / f".{LATEST}.{os.getpid()}"
        with contextlib.suppress(OSError):
            if tmp.is_symlink():
                tmp.unlink()
            os.symlink(self.path.name, tmp)
            os.replace(tmp, link)

    def add(self, finding: Finding) -> Row:
        """Write the finding's trace and regression test; it becomes the next numbered row, or
        replaces its own row when it is news of a finding already written (now shrunk)."""
        self.make()
        index = next((i for i, r in enumerate(self.rows) if r.finding.signature == finding.signature),
                     len(self.rows))
        number = index + 1
        try:
            trace = trace_of(finding, target=self.target, target_version=self.target_version, face=self.face)
            trace_path = save(trace, self.path / f"trace-{number}.json")
            regression = self.path / f"test_regression_{number}.py"
            regression.write_text(render_regression_test(trace), encoding="utf-8")
        except TraceError as exc:
            raise ReportsError(str(exc)) from None
        except OSError as exc:
            raise ReportsError(f"cannot write reports in {self.path}: {exc.strerror or exc}") from None
        row = Row(number, finding, trace_path, regression)
        self.rows[index:index + 1] = [row]
        evidence = [e.get("seq") for e in (trace.violation or {}).get("evidence", ()) if isinstance(e, dict)]
        self.timelines[number] = render_timeline(trace.journal, [s for s in evidence if isinstance(s, int)])
        return row

    def update(self, findings: Sequence[Finding]) -> None:
        """Rows whose finding has news (a final hit count) take it; files stay as written."""
        latest = {f.signature: f for f in findings}
        self.rows = [replace(row, finding=latest.get(row.finding.signature, row.finding)) for row in self.rows]

    def write_findings(self, machines: Sequence[MachineWork], stopped: str | None = None) -> Path:
        """(Re)write findings.md and report.html from every finding so far and the machines'
        work; returns findings.md's path."""
        self.make()
        about: dict[str, Any] = dict(
            target=self.target, target_version=self.target_version, seed=self.seed,
            profile=self.profile, budget_minutes=self.budget_minutes, stopped=stopped,
            relative_to=self.path,
        )
        self._write("report.html", render_html(self.rows, machines, self.timelines, **about))
        return self._write("findings.md", render_findings(self.rows, machines, **about))

    def _write(self, name: str, text: str) -> Path:
        """Replace one file whole (a reader never sees half of it)."""
        out = self.path / name
        tmp = self.path / f".{name}.tmp"
        try:
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, out)
        except OSError as exc:
            raise ReportsError(f"cannot write {out}: {exc.strerror or exc}") from None
        return out
