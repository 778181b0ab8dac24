"""Hypothesis's own run statistics, added up over a campaign's many Hypothesis runs, so that
`pytest --hypothesis-show-statistics` describes a machine's whole campaign (each slice is a
Hypothesis run of its own, which Hypothesis's plugin never sees)."""

from __future__ import annotations

from typing import Any

from hypothesis import Phase
from hypothesis.statistics import describe_statistics

from harness.events import Event, SliceEnded

KEPT = ("status", "runtime", "drawtime", "events")  # what the description reads of a test case
PHASES = [f"{p.name}-phase" for p in Phase]  # Hypothesis's order: failures count up along it


class Statistics:
    """A listener adding up the statistics of every Hypothesis run of a campaign."""

    def __init__(self) -> None:
        self.merged: dict[str, Any] = {}

    def handle(self, event: Event) -> None:
        if isinstance(event, SliceEnded):
            merge(self.merged, event.statistics)


def merge(into: dict[str, Any], stats: dict[str, Any]) -> None:
    """Add one Hypothesis run's statistics to `into`: its test cases, durations, successful
    shrinks, and the distinct failures each phase found new (Hypothesis counts them
    cumulatively within a run)."""
    before = 0
    for key in PHASES:
        phase = stats.get(key)
        if not isinstance(phase, dict):
            continue
        total = into.setdefault(key, {"test-cases": [], "duration-seconds": 0.0,
                                      "new-failures": 0, "shrinks-successful": 0})
        total["test-cases"].extend({k: case.get(k) for k in KEPT} for case in phase.get("test-cases", ()))
        total["duration-seconds"] += phase.get("duration-seconds", 0.0)
        total["shrinks-successful"] += phase.get("shrinks-successful", 0)
        found = phase.get("distinct-failures", before)
        total["new-failures"] += max(0, found - before)
        before = max(before, found)
    into["runs"] = into.get("runs", 0) + 1
    if stats.get("stopped-because"):
        into["stopped-because"] = stats["stopped-because"]


def describe(stats: dict[str, Any], nodeid: str) -> str:
    """Hypothesis's own description of the statistics (what its pytest plugin prints)."""
    phases: dict[str, Any] = {}
    found = 0
    for key in (k for k in PHASES if k in stats):
        found += stats[key]["new-failures"]
        phases[key] = {**stats[key], "distinct-failures": found}
    last = stats.get("stopped-because", "nothing ran")
    return describe_statistics({
        **phases, "nodeid": nodeid,
        "stopped-because": f"the campaign's budget was spent, over {stats.get('runs', 0)} Hypothesis "
                           f"run(s) (the last stopped because {last})"})
