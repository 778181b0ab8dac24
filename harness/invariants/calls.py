"""K1 – every Kanboard call the system makes is accepted as meant.

For every system CALL, checked as it is journalled (the fake answers exactly as real Kanboard
does; kanboard-facts.md):
  - rejected: an error answer that was not a planned fault (Invalid params: "Wrong number of
    arguments" / "Too many arguments" / "Missing argument", Method not found, HTTP 500, ...);
  - ignored: a named parameter the method does not declare, which Kanboard drops silently
    when the method declares enough others (`updateTask(id, column_id=...)` moves nothing);
  - answered false: a write whose falsy answer means nothing was done (createComment,
    updateTask, saveTaskMetadata, moveTaskPosition, duplicateTaskToProject, ...) on a card
    that still exists, not planned. Falsy answers that leave the board as meant (removing what
    is gone, linking what is linked, tags with a duplicate name) and reads are not findings.
The system believes it changed the board and did not: P2, unless the lost change breaks
another invariant (which then reports it too).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from harness import journal as jr
from harness.invariants.base import Checker, WorldView, as_int, board_task, event_component
from harness.journal import Event
from harness.kanboard import php
from harness.kanboard.binding import find
from harness.violation import Violation

# Writes whose falsy answer means Kanboard did nothing.
NOTHING_DONE_WHEN_FALSY = frozenset({
    "createTask", "createComment", "updateTask", "saveTaskMetadata", "moveTaskPosition",
    "duplicateTaskToProject", "createTaskFile", "openTask", "closeTask", "createSubtask",
    "updateComment",
})


def ignored_params(method: str, params: Any, metamagik: bool) -> list[str]:
    """Named parameters the method does not declare (Kanboard drops them without a word)."""
    proc = find(method, metamagik)
    if proc is None or not isinstance(params, Mapping) or php.is_list_like(params):
        return []
    return sorted(str(k) for k in params if str(k) not in proc.params)


class K1Calls(Checker):
    invariant = "K1"

    def examine(self, world: WorldView, events: Sequence[Event]) -> list[Violation]:
        found: list[Violation] = []
        metamagik = bool(getattr(world.kanboard, "metamagik", True))
        for event in events:
            if event.kind != jr.CALL or not jr.is_system(event.actor) or event.data.get("fault"):
                continue
            method = str(event.data.get("method"))
            params = event.data.get("params")
            outcome = event.data.get("outcome")
            if outcome == jr.ERROR:
                error = event.data.get("error") or {}
                why = str(error.get("message", "error"))
                if error.get("data"):
                    why += f": {error['data']}"
                found += self._report(event, f"was rejected ({why})", f"{method} rejected ({why})",
                                      "rejected", method)
            elif outcome == jr.OK:
                unknown = ignored_params(method, params, metamagik)
                if unknown:
                    names = ", ".join(unknown)
                    found += self._report(event, f"silently ignored {names}",
                                          f"{method} ignored {names}", "ignored", method)
                elif method in NOTHING_DONE_WHEN_FALSY and not event.data.get("result") \
                        and self._card_still_there(world, params):
                    found += self._report(event, "answered false: nothing was done",
                                          f"{method} answered false", "answered-false", method)
        return found

    @staticmethod
    def _card_still_there(world: WorldView, params: Any) -> bool:
        if not isinstance(params, Mapping):
            return True
        card = as_int(params.get("task_id", params.get("id")))
        return card is None or board_task(world.kanboard, card) is not None

    def _report(self, event: Event, what: str, kind: str, mode: str, method: str) -> list[Violation]:
        return self.violation(
            ("call", event.seq),
            f"{event.actor}'s {method}({_params(event.data.get('params'))}) {what}; the system "
            "went on as if the board had changed",
            event_component(event, f"{event.actor}:{method}"), [event],
            kind=kind, mode=f"call-{mode}", method=method,
        )


def _params(params: Any) -> str:
    if isinstance(params, Mapping):
        return ", ".join(f"{k}={_short(v)}" for k, v in params.items())
    if isinstance(params, (list, tuple)):
        return ", ".join(_short(v) for v in params)
    return ""


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 30 else text[:29] + "…"
