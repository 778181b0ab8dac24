"""I1 and I4 (count form): per (card, agent, epoch) at most one agent run; I4 lost updates.

A run belongs to the epoch its card is in when the run starts (history.py). A second run
with the same (card, agent, epoch) is reported against the first one it pairs with:
  - I1 when both ran under webhook entrypoints (a duplicate delivery, whichever actors);
  - I4 when two different runners (actors) ran it;
  - nothing otherwise (one runner re-running its own agent is neither invariant's case).
Lost update (I4): an applied `setTaskTags` by runner B that drops a tag which another runner
A added after B's last successful `getTaskTags` of the card (or B never read it); an applied
`removeTaskMetadata`, or a `saveTaskMetadata` emptying a key, by B on a value another runner
set after B's last successful metadata read. Overwriting a metadata key with another
non-empty value is contention, not erasure, and is not reported (the count form covers
duplicated work). Tag/metadata state is replayed from the journal and re-synced from the
store after each check; a human's changes have the human as origin (not a runner).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from harness import journal as jr
from harness.invariants.base import (
    Checker,
    WorldView,
    as_int,
    board_metadata,
    board_tags,
    event_component,
)
from harness.invariants.history import History, Run, applied, call_task_id, params
from harness.journal import Event
from harness.violation import Violation

WEBHOOK_ENTRY = "webhook"
_MODES = {"I1": "duplicate-delivery", "I4": "no-lease"}


def classify(first: Run, second: Run) -> str | None:
    """Which invariant a duplicated run breaks (deterministic), or None."""
    if first.entrypoint == WEBHOOK_ENTRY and second.entrypoint == WEBHOOK_ENTRY:
        return "I1"
    if first.actor != second.actor:
        return "I4"
    return None


class _RunCounter:
    """Shared by I1 and I4: the runs of each (card, agent, epoch)."""

    def __init__(self) -> None:
        self.history = History()
        self.by_key: dict[tuple[int, str, int], list[Run]] = {}

    def feed(self, world: WorldView, events: Sequence[Event]) -> list[tuple[Run, Run, str]]:
        pairs: list[tuple[Run, Run, str]] = []
        for event in events:
            run = self.history.feed(world, event)
            if run is None or event.data.get("phase") != "start":
                continue
            key = (run.task_id, run.agent, run.epoch)
            earlier = self.by_key.setdefault(key, [])
            for first in earlier:
                kind = classify(first, run)
                if kind is not None:
                    pairs.append((first, run, kind))
                    break
            earlier.append(run)
        return pairs


def _why_again(world: WorldView, first: Run, second: Run) -> str:
    """What preceded the second run: a read of its runner, on the way to the run, that
    failed (an error taken for "nothing recorded"), the first run having failed, or nothing
    visible."""
    since = second.entry.seq if second.entry is not None else first.start.seq
    for event in world.journal.events(jr.CALL, since=since):
        if event.seq >= second.start.seq:
            break
        if (event.actor == second.actor and event.data.get("outcome") not in (jr.OK, None)
                and str(event.data.get("method", "")).startswith("get")):
            return " after a failed Kanboard read"
    if first.ok is False and first.end is not None and first.end.seq < second.start.seq:
        return " after the first run failed"  # a retry, not a race
    return ""


def _describe(run: Run) -> str:
    via = run.entrypoint or "no entrypoint"
    return f"{run.actor} via {via}"


class I1DuplicateRuns(Checker):
    invariant = "I1"
    kind = "I1"

    def __init__(self) -> None:
        super().__init__()
        self.counter = _RunCounter()

    def examine(self, world: WorldView, events: Sequence[Event]) -> list[Violation]:
        found: list[Violation] = []
        for first, second, kind in self.counter.feed(world, events):
            if kind != self.kind:
                continue
            evidence = [second.start, first.start] + [e for e in (second.entry, first.entry) if e]
            why = _why_again(world, first, second)
            found += self.violation(
                ("runs", second.start.seq),
                f"card #{second.task_id}: agent {second.agent} ran twice in one epoch of its "
                f"column ({_describe(first)}, then {_describe(second)})",
                event_component(second.start, f"{second.entrypoint or second.actor}:{second.agent}"),
                evidence, task_id=second.task_id, agent=second.agent, epoch=second.epoch,
                entrypoint=second.entrypoint or "",
                kind=f"an agent ran twice in one epoch{why}",
                mode={" after a failed Kanboard read": "error-as-empty"}.get(why, _MODES[self.kind]),
            )
        return found


class I4Concurrency(I1DuplicateRuns):
    invariant = "I4"
    kind = "I4"

    def __init__(self) -> None:
        super().__init__()
        self.tags: dict[int, dict[str, tuple[str, int]]] = {}  # card -> tag -> (actor, seq) origin
        self.meta: dict[int, dict[str, tuple[str, str, int]]] = {}  # card -> key -> (value, actor, seq)
        self.tag_reads: dict[tuple[str, int], int] = {}
        self.meta_reads: dict[tuple[str, int], int] = {}

    def examine(self, world: WorldView, events: Sequence[Event]) -> list[Violation]:
        found = super().examine(world, events)
        for event in events:
            if event.kind == jr.CALL:
                found += self._call(event)
            elif event.kind == jr.HUMAN:
                self._human(event)
        self._resync(world)
        return found

    # -- replay ----------------------------------------------------------------------------
    def _call(self, event: Event) -> list[Violation]:
        method = event.data.get("method")
        card = call_task_id(event)
        outcome = event.data.get("outcome")
        p = params(event)
        if card is None and method not in ("createTask",):
            return []
        if method == "getTaskTags" and outcome == jr.OK:
            self.tag_reads[(event.actor, card)] = event.seq
        elif method in ("getTaskMetadata", "getTaskMetadataByName") and outcome == jr.OK:
            self.meta_reads[(event.actor, card)] = event.seq
        elif not applied(event):
            return []
        elif method == "setTaskTags":
            return self._set_tags(event, card, p.get("tags"))
        elif method == "saveTaskMetadata":
            return self._save_meta(event, card, p.get("values"))
        elif method == "removeTaskMetadata":
            return self._remove_meta(event, card, str(p.get("name")))
        elif method == "duplicateTaskToProject":
            new = as_int(event.data.get("result"))
            if new:
                self.tags[new] = {t: (event.actor, event.seq) for t in self.tags.get(card, {})}
                self.meta[new] = {k: (v, event.actor, event.seq)
                                  for k, (v, _, _) in self.meta.get(card, {}).items()}
        elif method == "removeTask":
            self.tags.pop(card, None)
            self.meta.pop(card, None)
        return []

    def _human(self, event: Event) -> None:
        """A human's tag edits: origin human (never a runner's update to lose)."""
        card = as_int(event.data.get("task_id"))
        tags = event.data.get("tags")
        action = str(event.data.get("action") or "")
        if card is None or not isinstance(tags, (list, tuple)) or "tag" not in action:
            return
        current = self.tags.setdefault(card, {})
        named = {str(t) for t in tags}
        if action.startswith("remove"):
            new = set(current) - named
        elif action.startswith("add"):
            new = set(current) | named
        else:
            new = named
        for tag in set(current) - new:
            del current[tag]
        for tag in new - set(current):
            current[tag] = (event.actor, event.seq)

    def _resync(self, world: WorldView) -> None:
        """Align the replayed state with the store (changes the journal did not spell out)."""
        for card in sorted(set(self.tags) | set(self.meta)):
            current = self.tags.setdefault(card, {})
            real = board_tags(world.kanboard, card)
            for tag in set(current) - real:
                del current[tag]
            for tag in real - set(current):
                current[tag] = ("?", 0)
            meta = self.meta.setdefault(card, {})
            real_meta = board_metadata(world.kanboard, card)
            for key in set(meta) - set(real_meta):
                del meta[key]
            for key, value in real_meta.items():
                if key not in meta or meta[key][0] != value:
                    meta[key] = (value, "?", 0)

    def _lost(self, event: Event, card: int, what: str, origin_actor: str, origin_seq: int,
              read_seq: int) -> list[Violation]:
        if not jr.is_system(origin_actor) or origin_actor in (event.actor, "?"):
            return []
        if read_seq > origin_seq:
            return []
        return self.violation(
            ("lost", event.seq, what),
            f"card #{card}: {event.actor}'s {event.data.get('method')} erased {what} that "
            f"{origin_actor} had set after {event.actor} last read the card (lost update)",
            event_component(event, f"{event.actor}:{event.data.get('method')}"), [event],
            task_id=card, lost=what, by=event.actor, origin=origin_actor,
            kind=f"{event.data.get('method')} erased another runner's {what.split(' ', 1)[0]} (lost update)",
            mode="lost-update",
        )

    def _set_tags(self, event: Event, card: int, tags: Any) -> list[Violation]:
        new = {str(t) for t in tags} if isinstance(tags, (list, tuple)) else set()
        current = self.tags.setdefault(card, {})
        read = self.tag_reads.get((event.actor, card), -1)
        found: list[Violation] = []
        for tag in sorted(set(current) - new):
            actor, seq = current[tag]
            found += self._lost(event, card, f"tag {tag!r}", actor, seq, read)
            del current[tag]
        for tag in sorted(new - set(current)):
            current[tag] = (event.actor, event.seq)
        return found[:1]

    def _save_meta(self, event: Event, card: int, values: Any) -> list[Violation]:
        if not isinstance(values, Mapping):
            return []
        meta = self.meta.setdefault(card, {})
        read = self.meta_reads.get((event.actor, card), -1)
        found: list[Violation] = []
        for key, raw in sorted(values.items(), key=lambda kv: str(kv[0])):
            key, value = str(key), "" if raw is None else str(raw)
            old = meta.get(key)
            if old is not None and old[0] != "" and value == "":
                found += self._lost(event, card, f"metadata {key}={old[0]!r}", old[1], old[2], read)
            if old is None or old[0] != value:
                meta[key] = (value, event.actor, event.seq)
        return found[:1]

    def _remove_meta(self, event: Event, card: int, key: str) -> list[Violation]:
        meta = self.meta.setdefault(card, {})
        old = meta.pop(key, None)
        if old is None:
            return []
        read = self.meta_reads.get((event.actor, card), -1)
        return self._lost(event, card, f"metadata {key}={old[0]!r}", old[1], old[2], read)
