"""The fake's default clock: deterministic, never the wall clock.

Kanboard stamps dates with `time()`; the fake reads its clock once per operation (a call or
a human action), so everything one operation writes shares one timestamp, and the default
clock moves one second per reading: same run, same dates.
"""

from __future__ import annotations

import threading

DEFAULT_START = 1_700_000_000


class StepClock:
    """Epoch seconds starting at `start`, `step` more at each reading."""

    def __init__(self, start: int = DEFAULT_START, step: int = 1) -> None:
        self._next = start
        self._step = step
        self._lock = threading.Lock()

    def __call__(self) -> int:
        with self._lock:
            now = self._next
            self._next += self._step
            return now
