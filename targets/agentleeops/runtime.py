"""Process state its code reads at run time, made per-thread or per-call while bound.

Its polling loop sleeps through the module-level `time`, its CLI scripts read `sys.argv`, and
its relative paths (`prompts/`, `config/llm.yaml`) need a working directory: here are the
stand-ins that bound the loop without sleeping, give each thread its own argv, and enter the
runtime directory for the length of an entrypoint.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any


class StopPolling(BaseException):
    """Ends its polling loop after the allowed ticks; its loop catches only Exception."""


class TickingTime:
    """Stands in for `time` inside its orchestrator: `sleep()` ends a tick and never sleeps."""

    def __init__(self, real: ModuleType) -> None:
        self._real = real
        self._local = threading.local()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def sleep(self, seconds: float) -> None:
        left = getattr(self._local, "left", None)
        if left is None:
            return  # outside a budget nothing loops on sleep; never wait for real
        self._local.left = left - 1
        if self._local.left <= 0:
            raise StopPolling

    @contextlib.contextmanager
    def budget(self, ticks: int) -> Iterator[None]:
        """Allow `ticks` sleeps in this thread; the last one stops the loop."""
        saved = getattr(self._local, "left", None)
        self._local.left = ticks
        try:
            yield
        finally:
            self._local.left = saved


class ThreadArgv(list):
    """`sys.argv` whose contents a thread can set for itself (concurrent CLI runs)."""

    def __init__(self, fallback: list[str]) -> None:
        super().__init__(fallback)
        self._local = threading.local()

    def _current(self) -> list[str]:
        own = getattr(self._local, "argv", None)
        return own if own is not None else list(super().__iter__())

    def __getitem__(self, index: Any) -> Any:
        return self._current()[index]

    def __len__(self) -> int:
        return len(self._current())

    def __iter__(self) -> Iterator[str]:
        return iter(self._current())

    def __repr__(self) -> str:
        return repr(self._current())

    @contextlib.contextmanager
    def using(self, argv: list[str]) -> Iterator[None]:
        saved = getattr(self._local, "argv", None)
        self._local.argv = list(argv)
        try:
            yield
        finally:
            self._local.argv = saved


class WorkingDir:
    """Enter a directory for the length of an entrypoint; nested and concurrent entries share it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._depth = 0
        self._saved: str | None = None

    @contextlib.contextmanager
    def inside(self) -> Iterator[None]:
        with self._lock:
            if self._depth == 0:
                self._saved = os.getcwd()
                os.chdir(self.path)
            self._depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                if self._depth == 0 and self._saved is not None:
                    os.chdir(self._saved)
                    self._saved = None
