"""`--observe`: a run's Hypothesis observability records, in Hypothesis's own JSONL schema.

One `test_case` record per test case (its `features` carry the harness's events: each step
kind, file trick, fault, race schedule and model answer reached), written by Hypothesis's
own observability callback, so tools that read Hypothesis's observations read our runs;
and one `info` record per finding. Every process of a run appends whole lines to the run
folder's `observed.jsonl`. Line coverage is not collected: tracing every line would slow
the run several times over and measure the harness, not the target.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from harness.events import Event, RunEnded
from harness.ledger import Finding

FILE = "observed.jsonl"


class Observer:
    """Appends observations to `path`: Hypothesis's test cases while entered (in the process
    that enters it), and the findings when the run ends (a listener of its events)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.started = time.time()

    def __enter__(self) -> Observer:
        from hypothesis.internal import observability

        observability.OBSERVABILITY_COLLECT_COVERAGE = False
        observability.add_observability_callback(self._test_case, all_threads=True)
        return self

    def __exit__(self, *exc: object) -> None:
        from hypothesis.internal import observability

        observability.remove_observability_callback(self._test_case)

    def _test_case(self, observation: Any, thread_id: int | None = None) -> None:
        from hypothesis.strategies._internal.utils import to_jsonable

        self._append(to_jsonable(observation, avoid_realization=False))

    def handle(self, event: Event) -> None:
        """A listener of the run: when it ends, one record per finding, as it ended."""
        if isinstance(event, RunEnded):
            for finding in event.result.findings:
                self.finding(finding)

    def finding(self, finding: Finding) -> None:
        """A distinct finding, as an `info` record of the machine's property."""
        v = finding.violation
        self._append({
            "type": "info", "title": "finding", "property": finding.machine, "run_start": self.started,
            "content": {
                "invariant": v.invariant, "severity": v.severity, "kind": finding.signature[1],
                "component": finding.signature[2], "message": v.message, "hits": finding.hits,
                "shrunk": finding.shrunk, "steps": [s.get("text") for s in finding.trace.get("steps", ())],
            },
        })

    def _append(self, record: Any) -> None:
        line = (json.dumps(record, default=str) + "\n").encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, line)  # one write per line: processes appending never interleave a line
        finally:
            os.close(fd)
