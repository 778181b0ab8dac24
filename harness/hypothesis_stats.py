"""Hypothesis's own run statistics, added up over a campaign's many Hypothesis runs, so that
`pytest --hypothesis-show-statistics` describes a machine's whole campaign (each slice is a
Hypothesis run of its own, which Hypothesis's plugin never sees)."""

from __future__ import annotations

from typing import Any

from hypothesis.statistics import describe_statistics

KEPT = ("status", "runtime", "drawtime", "events")  # what the description reads of a test case


def merge(into: dict[str, Any], stats: dict[str, Any]) -> None:
    """Add one Hypothesis run's statistics to `into`: its test cases per phase, phase
    durations, successful shrinks; distinct failures counted once per run."""
    for key, phase in stats.items():
        if not key.endswith("-phase") or not isinstance(phase, dict):
            continue
        total = into.setdefault(key, {"test-cases": [], "duration-seconds": 0.0,
                                      "distinct-failures": 0, "shrinks-successful": 0})
        total["test-cases"].extend({k: case.get(k) for k in KEPT} for case in phase.get("test-cases", ()))
        total["duration-seconds"] += phase.get("duration-seconds", 0.0)
        total["shrinks-successful"] += phase.get("shrinks-successful", 0)
    failures = max((p.get("distinct-failures", 0) for k, p in stats.items()
                    if k.endswith("-phase") and isinstance(p, dict)), default=0)
    into["failures-so-far"] = into.get("failures-so-far", 0) + failures
    into["runs"] = into.get("runs", 0) + 1
    if stats.get("stopped-because"):
        into["stopped-because"] = stats["stopped-because"]
    for key in (k for k in into if k.endswith("-phase")):
        # cumulative, as Hypothesis counts it: the failures met by the end of that phase
        into[key]["distinct-failures"] = max(into[key]["distinct-failures"],
                                             stats.get(key, {}).get("distinct-failures", 0)
                                             + into["failures-so-far"] - failures)


def describe(stats: dict[str, Any], nodeid: str) -> str:
    """Hypothesis's own description of the statistics (what its pytest plugin prints)."""
    runs = stats.get("runs", 0)
    last = stats.get("stopped-because", "nothing ran")
    return describe_statistics({**{k: v for k, v in stats.items() if k.endswith("-phase")}, "nodeid": nodeid,
                                "stopped-because": f"the campaign's budget was spent, over {runs} Hypothesis "
                                                   f"run(s) (the last stopped because {last})"})
