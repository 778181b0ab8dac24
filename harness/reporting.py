"""From a campaign to the files a developer uses: one run folder, written as findings arrive.

Both fronts (the pytest plugin and `python -m harness run`) come through here, so a defect
found in CI and one found by the main job produce the same reports.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.campaign import CampaignResult, MachineReport
from harness.events import Event, FindingMade, RunEnded, TurnEnded
from harness.reports.console import render_row
from harness.reports.folder import RunFolder, run_name


class Reporter:
    """The run folder as a listener of the run's events: each finding written the moment it
    is made, findings.md after every finding and every machine turn, and once more, whole,
    when the run ends (`findings_md`; with `empty_report` False, only if it found anything);
    `folder` is created on the first write."""

    def __init__(self, reports_dir: str | Path, *, target: str, target_version: str, face: str,
                 seed: int | None, machines: Sequence[str], profile: str = "",
                 budget_minutes: float | None = None, name: str | None = None,
                 empty_report: bool = True) -> None:
        self.folder = RunFolder(
            reports_dir, name or run_name(target, seed, machines), target=target,
            target_version=target_version, face=face, seed=seed, profile=profile,
            budget_minutes=budget_minutes,
        )
        self.machines: list[MachineReport] = []  # what the run did so far
        self.findings_md: Path | None = None
        self.empty_report = empty_report

    def handle(self, event: Event) -> None:
        if isinstance(event, FindingMade):
            self.machines = list(event.machines)
            self.folder.add(event.finding)
            self.folder.write_findings(self.machines)
        elif isinstance(event, TurnEnded):
            self.machines = list(event.machines)
            self.folder.write_findings(self.machines)
        elif isinstance(event, RunEnded) and (self.empty_report or self.folder.rows):
            self.finish(event.result)

    def finish(self, result: CampaignResult) -> Path:
        """findings.md as the run ended: every finding's final hits, every machine's work."""
        self.folder.update(result.findings)
        self.findings_md = self.folder.write_findings(result.machines, stopped=result.stopped)
        return self.findings_md

    def failure_text(self) -> str:
        """Every finding of the run as the console shows it, then where findings.md and
        report.html are."""
        parts = [render_row(row) for row in self.folder.rows]
        folder = self.folder.path
        parts.append(f"findings: {folder / 'findings.md'} (timelines: {folder / 'report.html'})\n")
        return "\n".join(parts)


def summary_line(result: CampaignResult, findings_md: Any) -> str:
    p = {sev: 0 for sev in ("P0", "P1", "P2")}
    for f in result.findings:
        p[f.violation.severity] += 1
    counts = ", ".join(f"{n} {sev}" for sev, n in p.items() if n) or "none"
    return (f"{len(result.findings)} distinct finding(s) ({counts}) in {result.examples:,} examples "
            f"({result.test_calls:,} test cases with shrinking), "
            f"{result.steps:,} steps, {result.seconds:.0f} s; findings: {findings_md}")
