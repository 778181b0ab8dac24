"""The board's history rebuilt from the journal: entrypoints, agent runs, epochs, creations.

Several invariants speak of "the epoch of (card, column)", "the cards a run created", "the
entrypoint that ran an agent"; this module derives them once, incrementally, from events
(checkers each feed their own `History`, so no checker depends on another's position).

Epoch: a per-card counter that moves each time the card enters a column it was not in (a
human move or create, an applied `moveTaskPosition`, a card created by `createTask` or
`duplicateTaskToProject`, a fake-emitted `task.move.column`/`task.create` webhook) and on a
deliberate retry (a human action on the card's tags or metadata). Runs started while the
counter has one value belong to one epoch of the card's current column.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from harness import journal as jr
from harness.invariants.base import WorldView, as_int, board_task, entrypoint_of
from harness.journal import Event

APPLIED = frozenset({jr.OK, jr.LOST})  # outcomes whose write reached the store
CREATE_METHODS = frozenset({"createTask", "duplicateTaskToProject"})


def applied(event: Event) -> bool:
    return event.kind == jr.CALL and event.data.get("outcome") in APPLIED


def params(event: Event) -> Mapping[str, Any]:
    value = event.data.get("params")
    return value if isinstance(value, Mapping) else {}


def call_task_id(event: Event) -> int | None:
    p = params(event)
    return as_int(p.get("task_id", p.get("id")))


def _payload_data(event: Event) -> Mapping[str, Any]:
    payload = event.data.get("payload")
    if isinstance(payload, Mapping):
        data = payload.get("event_data")
        if isinstance(data, Mapping):
            return data
    return {}


@dataclass
class Run:
    """One agent run (AGENT start ... end) by one actor."""

    agent: str
    task_id: int
    actor: str
    start: Event
    epoch: int
    column: int | None
    entry: Event | None  # the ENTRY start it ran under (innermost open one of the actor)
    end: Event | None = None
    created: list[tuple[int | None, Event]] = field(default_factory=list)  # (card id, CALL)

    @property
    def entrypoint(self) -> str | None:
        """The ENTRY it ran under, else what the runner's actor name says ("webhook#2")."""
        if self.entry is not None:
            return str(self.entry.data.get("entrypoint"))
        return entrypoint_of(self.actor)

    @property
    def ok(self) -> Any:
        return self.end.data.get("ok") if self.end is not None else None

    def contains(self, event: Event) -> bool:
        """The event is this run's own (same actor, between start and end)."""
        if event.actor != self.actor or event.seq <= self.start.seq:
            return False
        return self.end is None or event.seq < self.end.seq


@dataclass(frozen=True)
class Creation:
    card: int
    event: Event  # the CALL or HUMAN event that created the card
    actor: str
    source: int | None  # the card it was duplicated from


class History:
    """Fed every event in order (`feed`); answers questions about the board's past."""

    def __init__(self) -> None:
        self.columns: dict[int, int | None] = {}
        self.epochs: dict[int, int] = {}
        self.runs: list[Run] = []
        self.open_runs: dict[tuple[str, str, int], Run] = {}
        self.entries: dict[str, list[Event]] = {}
        self.created: dict[int, Creation] = {}
        self.removed: set[int] = set()
        self.retitled: set[int] = set()  # cards whose title a person typed (none written since)

    # -- feeding ---------------------------------------------------------------------------
    def feed(self, world: WorldView, event: Event) -> Run | None:
        """Update from one event; returns the Run when the event starts or ends one."""
        kind = event.kind
        if kind == jr.ENTRY:
            self._entry(event)
        elif kind == jr.AGENT:
            return self._agent(world, event)
        elif kind == jr.CALL:
            self._call(world, event)
        elif kind == jr.HUMAN:
            self._human(world, event)
        elif kind == jr.WEBHOOK:
            self._webhook(event)
        return None

    def _entry(self, event: Event) -> None:
        stack = self.entries.setdefault(event.actor, [])
        if event.data.get("phase") == "end":
            if stack:
                stack.pop()
        else:
            stack.append(event)

    def _agent(self, world: WorldView, event: Event) -> Run | None:
        agent = str(event.data.get("agent"))
        task_id = as_int(event.data.get("task_id"))
        if task_id is None:
            return None
        key = (event.actor, agent, task_id)
        if event.data.get("phase") == "end":
            run = self.open_runs.pop(key, None)
            if run is not None:
                run.end = event
            return run
        stack = self.entries.get(event.actor) or []
        run = Run(agent, task_id, event.actor, event, self.epoch(world, task_id),
                  self.column(world, task_id), stack[-1] if stack else None)
        self.runs.append(run)
        self.open_runs[key] = run
        return run

    def _call(self, world: WorldView, event: Event) -> None:
        method = event.data.get("method")
        if not applied(event):
            return
        p = params(event)
        if method == "moveTaskPosition":
            if event.data.get("result"):  # a refused move answers false and moves nothing
                self.enter(call_task_id(event), as_int(p.get("column_id")))
        elif method in CREATE_METHODS:
            card = as_int(event.data.get("result"))  # lost answers are journaled with it too
            if not card:
                return
            source = call_task_id(event) if method == "duplicateTaskToProject" else None
            column = as_int(p.get("column_id"))
            if column is None and source is not None:
                column = self.columns.get(source)
            if column is None:
                task = board_task(world.kanboard, card)
                column = as_int(task.get("column_id")) if task else None
            self._born(card, Creation(card, event, event.actor, source))
            self.enter(card, column, force=True)
            run = self.run_of(event)
            if run is not None:
                run.created.append((card, event))
        elif method == "removeTask":
            self._gone(call_task_id(event))
        elif method == "updateTask" and "title" in p:
            self.retitled.discard(call_task_id(event))  # the system wrote the title again

    def _born(self, card: int, creation: Creation) -> None:
        if card in self.removed:  # Kanboard reuses the highest id after a removal
            self.removed.discard(card)
            self.created.pop(card, None)
            self.retitled.discard(card)
        self.created.setdefault(card, creation)

    def _gone(self, card: int | None) -> None:
        if card is not None:
            self.columns.pop(card, None)
            self.removed.add(card)

    def _human(self, world: WorldView, event: Event) -> None:
        action = str(event.data.get("action") or "").lower()
        card = as_int(event.data.get("task_id"))
        if card is None:
            return
        column = human_column(world, event)
        if "create" in action or "duplicate" in action:
            self._born(card, Creation(card, event, event.actor, None))
            if column is None:
                task = board_task(world.kanboard, card)
                column = as_int(task.get("column_id")) if task else None
            self.enter(card, column, force=True)
        elif "move" in action:
            if event.data.get("result", True):
                self.enter(card, column)
        elif "tag" in action or "meta" in action:
            self.retry(card)
        elif "title" in action:
            if event.data.get("result", True):
                self.retitled.add(card)
        elif "link" in action:
            return
        elif "remove" in action or "delete" in action:
            self._gone(card)

    def _webhook(self, event: Event) -> None:
        name = event.data.get("event_name")
        data = _payload_data(event)
        card = as_int(event.data.get("task_id", data.get("task_id")))
        if card is None:
            return
        if name == "task.move.column":
            self.enter(card, as_int(data.get("dst_column_id", data.get("column_id"))))
        elif name == "task.create":
            task = data.get("task") if isinstance(data.get("task"), Mapping) else data
            self.enter(card, as_int(task.get("column_id")), force=card not in self.columns)

    # -- epochs ----------------------------------------------------------------------------
    def enter(self, card: int | None, column: int | None, force: bool = False) -> None:
        """The card is now in `column`; a new epoch unless it already was there."""
        if card is None:
            return
        if column is not None and self.columns.get(card) == column and not force:
            return
        if force and card in self.columns and self.columns.get(card) == column and column is not None:
            return  # the same creation seen twice (webhook, then the call)
        self.columns[card] = column
        self.epochs[card] = self.epochs.get(card, 0) + 1

    def retry(self, card: int) -> None:
        self.epochs[card] = self.epochs.get(card, 0) + 1

    def epoch(self, world: WorldView, card: int) -> int:
        if card not in self.epochs:
            self.epochs[card] = 1
            task = board_task(world.kanboard, card)
            self.columns.setdefault(card, as_int(task.get("column_id")) if task else None)
        return self.epochs[card]

    def column(self, world: WorldView, card: int) -> int | None:
        column = self.columns.get(card)
        if column is None:
            task = board_task(world.kanboard, card)
            column = as_int(task.get("column_id")) if task else None
        return column

    # -- runs ------------------------------------------------------------------------------
    def run_of(self, event: Event) -> Run | None:
        """The open run of the event's actor (innermost), if any."""
        candidates = [r for r in self.open_runs.values() if r.actor == event.actor]
        return max(candidates, key=lambda r: r.start.seq) if candidates else None

    def creator(self, card: int) -> Creation | None:
        return self.created.get(card)

    def still_made_by(self, card: int | None, event: Event) -> bool:
        """The card with this id is still the one `event` created (Kanboard reuses the id
        of a card removed last for the next new one)."""
        creation = self.created.get(card) if card is not None else None
        return creation is not None and creation.event is event


def human_column(world: WorldView, event: Event) -> int | None:
    """The column a human event names (by id or title), if any."""
    data = event.data
    for key in ("column_id", "dst_column_id", "to_column_id"):
        value = as_int(data.get(key))
        if value is not None:
            return value
    for key in ("column", "column_title", "to"):
        title = data.get(key)
        if as_int(title) is not None:
            return as_int(title)
        if isinstance(title, str) and title:
            try:
                return as_int(world.kanboard.column_id(title))
            except Exception:
                return None
    return None


_ERROR_WORDS = re.compile(r"fail|error", re.IGNORECASE)


def visible_error(run: Run, event: Event, *, metadata: bool = True) -> bool:
    """An applied write by the run's runner, on the run's card, that a human would see as an
    error: a comment, a tag with "fail"/"error" in it, and (`metadata`) such a metadata key
    or value (only custom fields show on the card; R1 asks for a comment or a tag)."""
    if event.actor != run.actor or event.seq <= run.start.seq or not applied(event):
        return False
    if call_task_id(event) != run.task_id:
        return False
    method = event.data.get("method")
    p = params(event)
    if method == "createComment":
        return True
    if method == "setTaskTags":
        return any(_ERROR_WORDS.search(str(t)) for t in p.get("tags") or ())
    if method == "saveTaskMetadata" and metadata:
        values = p.get("values")
        return isinstance(values, dict) and any(
            _ERROR_WORDS.search(str(k)) or _ERROR_WORDS.search(str(v)) for k, v in values.items())
    return False
