"""The journal: one ordered record of everything that happened in a world.

Invariants read only the world and this journal, so every actor writes here: the harness
(steps, human actions, file tricks), the fake Kanboard (calls with their outcome, webhooks
it emitted), the audit hook (file effects, subprocess launches) and targets (agent runs).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

# Event kinds. Keep this list closed: checkers and reports switch on it.
STEP = "step"  # a harness rule began: {"rule", "args", "text"}
CALL = "call"  # a Kanboard JSON-RPC call: {"method", "params", "outcome", "result"|"error", "fault"}
HUMAN = "human"  # a human action on the board: {"action", "task_id", ...}
WEBHOOK = "webhook"  # a webhook the fake emitted: {"event_name", "task_id", "payload"}
FILE = "file"  # a file effect: {"op", "path", "dst"?}; op in write/truncate/rename/remove/symlink/mkdir/chmod
PROC = "proc"  # a subprocess launch: {"argv": list|str, "shell": bool, "cwd"}
AGENT = "agent"  # an agent run: {"agent", "task_id", "phase": "start"|"end", "ok"?}
ENTRY = "entry"  # an entrypoint ran: {"entrypoint", "phase": "start"|"end", "error"?}
LLM = "llm"  # a scripted model answer was served: {"role", "answer"}
TRICK = "trick"  # a file trick made by the harness: {"trick", "path", ...}
LISTEN = "listen"  # a socket bind by the system: {"host", "port", "refused", "where"}
NOTE = "note"  # anything else worth showing in a report: {"text"}

KINDS = frozenset({STEP, CALL, HUMAN, WEBHOOK, FILE, PROC, AGENT, ENTRY, LLM, TRICK, NOTE, LISTEN})

# Actors that are not "the system" (invariants.md): their effects set up situations.
HUMAN_ACTOR = "human"
HARNESS_ACTOR = "harness"
NON_SYSTEM_ACTORS = frozenset({HUMAN_ACTOR, HARNESS_ACTOR})

# Call outcomes (CALL events).
OK = "ok"  # the method ran and its result reached the caller
ERROR = "error"  # a JSON-RPC error object reached the caller (real or planned)
FALSY = "falsy"  # a planned false/null/0 result reached the caller (nothing applied)
TIMEOUT = "timeout"  # planned: nothing applied, the client raised
LOST = "lost"  # planned: applied, then the client raised (the lost response)

_local = threading.local()


def current_actor() -> str:
    """The runner on whose behalf this thread acts; the harness when none was set."""
    stack = getattr(_local, "stack", None)
    return stack[-1] if stack else HARNESS_ACTOR


@contextlib.contextmanager
def acting_as(actor: str) -> Iterator[None]:
    """Attribute everything this thread does inside the block to `actor`."""
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    stack.append(actor)
    try:
        yield
    finally:
        stack.pop()


def is_system(actor: str) -> bool:
    """True for runners of the target (webhook, poller, cli, agents); false for human/harness."""
    return actor not in NON_SYSTEM_ACTORS


@dataclass(frozen=True)
class Event:
    seq: int
    kind: str
    actor: str
    step: int
    data: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "kind": self.kind,
            "actor": self.actor,
            "step": self.step,
            "data": _jsonable(self.data),
        }


def _jsonable(value: Any) -> Any:
    """Best-effort conversion so a journal always serialises (reports, replay files)."""
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        if isinstance(value, Mapping):
            return {str(k): _jsonable(v) for k, v in value.items()}
        if isinstance(value, (list, tuple, set, frozenset)):
            return [_jsonable(v) for v in value]
        if isinstance(value, bytes):
            return value.decode("utf-8", "replace")
        return repr(value)


class Journal:
    """Append-only, thread-safe event list with a step counter set by the harness."""

    def __init__(self) -> None:
        self._events: list[Event] = []
        self._lock = threading.Lock()
        self._seq = itertools.count(1)
        self.step = 0

    def record(self, kind: str, data: Mapping[str, Any] | None = None, actor: str | None = None) -> Event:
        if kind not in KINDS:
            raise ValueError(f"unknown journal event kind {kind!r}")
        with self._lock:
            event = Event(next(self._seq), kind, actor or current_actor(), self.step, dict(data or {}))
            self._events.append(event)
        return event

    @contextlib.contextmanager
    def agent_run(self, agent: str, task_id: int) -> Iterator[dict[str, Any]]:
        """Bracket one agent run; the caller may set result["ok"] inside the block."""
        from harness.where import here

        result: dict[str, Any] = {"ok": None}
        # where: the target's code that started the run (its dispatcher), for findings
        self.record(AGENT, {"agent": agent, "task_id": int(task_id), "phase": "start", "where": here()})
        try:
            yield result
        except BaseException:
            result["ok"] = False
            raise
        finally:
            self.record(AGENT, {"agent": agent, "task_id": int(task_id), "phase": "end", "ok": result["ok"]})

    def __len__(self) -> int:
        return len(self._events)

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events())

    def events(self, kind: str | None = None, since: int = 0) -> list[Event]:
        """A snapshot of events (of one kind), those with seq > since."""
        with self._lock:
            # seq n sits at index n - 1 (numbered and appended under one lock): a checker
            # asking for what is new reads only that, not the whole journal again
            events = self._events[max(0, since):] if since > 0 else list(self._events)
        return [e for e in events if (kind is None or e.kind == kind) and e.seq > since]

    def last_seq(self) -> int:
        with self._lock:
            return self._events[-1].seq if self._events else 0

    def to_json(self) -> list[dict[str, Any]]:
        return [e.to_json() for e in self.events()]
