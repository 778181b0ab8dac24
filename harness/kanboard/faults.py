"""Planned faults: which calls fail, and how.

A fault matches a call by method name, by occurrence (the nth call of that method, 1-based)
and/or by a predicate over (method, params); each fires once unless `times` says otherwise.
Kinds:
  error    a JSON-RPC error object reaches the client; nothing is applied
  falsy    the method's quiet-failure value (false/null/0/[]/{}); nothing is applied
  timeout  nothing is applied and the client gets no answer (it times out)
  lost     the call is applied, then the client gets no answer (the lost response)
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness.kanboard import errors

ERROR = "error"
FALSY = "falsy"
TIMEOUT = "timeout"
LOST = "lost"
KINDS = (ERROR, FALSY, TIMEOUT, LOST)

UNSET: Any = object()
Predicate = Callable[[str, Any], bool]


class TransportFault(Exception):
    """Raised by the dispatcher for timeout/lost: the transport must not deliver an answer."""

    def __init__(self, kind: str, result: Any = None) -> None:
        super().__init__(kind)
        self.kind = kind
        self.result = result


@dataclass
class Fault:
    kind: str
    method: str | None = None
    nth: int | None = None
    when: Predicate | None = None
    times: int | None = 1  # how many more times it fires; None: every matching call
    code: int = errors.DATABASE_LOCKED[0]
    message: str = errors.DATABASE_LOCKED[1]
    data: Any = None
    value: Any = UNSET  # for falsy: the value to return instead of the method's own
    fired: int = field(default=0)

    def matches(self, method: str, count: int, params: Any) -> bool:
        if self.times is not None and self.fired >= self.times:
            return False
        if self.method is not None and method != self.method:
            return False
        if self.nth is not None and count != self.nth:
            return False
        return self.when is None or bool(self.when(method, params))

    def describe(self) -> dict[str, Any]:
        """What the journal records about the fault that fired."""
        return {"kind": self.kind, "method": self.method, "nth": self.nth}


class FaultPlan:
    """The faults planned for one fake; thread-safe, consulted once per call."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def add(
        self,
        kind: str,
        method: str | None = None,
        *,
        nth: int | None = None,
        when: Predicate | None = None,
        times: int | None = 1,
        code: int | None = None,
        message: str | None = None,
        data: Any = None,
        value: Any = UNSET,
    ) -> Fault:
        """Plan a fault; raises ValueError with one clear line on a bad plan."""
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(KINDS)}")
        if nth is not None and (method is None or not isinstance(nth, int) or nth < 1):
            raise ValueError("a fault by occurrence needs a method name and nth >= 1")
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 (or None for every matching call)")
        if method is None and nth is None and when is None:
            raise ValueError("a fault needs a method name, an occurrence or a predicate")
        fault = Fault(kind, method, nth, when, times, data=data, value=value)
        if code is not None:
            fault.code = code
        if message is not None:
            fault.message = message
        with self._lock:
            self._faults.append(fault)
        return fault

    def error(self, method: str | None = None, **options: Any) -> Fault:
        return self.add(ERROR, method, **options)

    def falsy(self, method: str | None = None, **options: Any) -> Fault:
        return self.add(FALSY, method, **options)

    def timeout(self, method: str | None = None, **options: Any) -> Fault:
        return self.add(TIMEOUT, method, **options)

    def lost(self, method: str | None = None, **options: Any) -> Fault:
        return self.add(LOST, method, **options)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> list[Fault]:
        """Faults that can still fire."""
        with self._lock:
            return [f for f in self._faults if f.times is None or f.fired < f.times]

    def count(self, method: str) -> int:
        """How many calls of `method` the fake has seen."""
        with self._lock:
            return self._counts[method]

    def consult(self, method: str, params: Any) -> Fault | None:
        """Count this call and return the first planned fault it triggers (consuming it)."""
        with self._lock:
            self._counts[method] += 1
            count = self._counts[method]
            for fault in self._faults:
                if fault.matches(method, count, params):
                    fault.fired += 1
                    return fault
        return None
