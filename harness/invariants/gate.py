"""G3 (per-step form) – no entrypoint runs an agent whose upstream artifacts are not locked.

Upstream artifacts come from the target's optional `upstream` mapping (agent name ->
workspace-relative glob patterns that must be locked when that agent starts); without one,
invariants.md's example: Ralph needs its tests locked (`tests/test_*.py`), the spawner its
plan (`prd.json`). A pattern is satisfied when at least one locked artifact of the card's
workspace matches it. Locks are what `Target.locked_artifacts` said before or after the
step, remembered until a human unlocks the card (a corrupted manifest is not "unlocked").
The differential form (same situation through each entrypoint) is harness/differential.py.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from pathlib import Path

from harness import journal as jr
from harness.invariants.base import (
    Checker,
    WorldView,
    as_int,
    card_dirname,
    card_workspaces,
    event_component,
    listed_locks,
    metadata_strings,
    safe_workspace,
    workspace_of,
)
from harness.invariants.history import History
from harness.journal import Event
from harness.violation import Violation

DEFAULT_UPSTREAM: Mapping[str, tuple[str, ...]] = {
    "ralph": ("tests/test_*.py",),
    "spawner": ("prd.json",),
}


def upstream_of(target: object) -> Mapping[str, tuple[str, ...]]:
    declared = getattr(target, "upstream", None)
    if isinstance(declared, Mapping):
        return {str(k): tuple(v) if not isinstance(v, str) else (v,) for k, v in declared.items()}
    return DEFAULT_UPSTREAM


class G3Gate(Checker):
    invariant = "G3"

    def __init__(self) -> None:
        super().__init__()
        self.history = History()
        self.pre_ws: dict[int, Path] = {}
        self.seen: dict[str, set[str]] = {}  # workspace -> rel paths ever locked (until unlock)
        self.ws_cards: dict[str, set[int]] = {}

    def _learn(self, world: WorldView) -> None:
        for card, ws in card_workspaces(world).items():
            self.ws_cards.setdefault(str(ws), set()).add(card)
        for ws in sorted(self.ws_cards):
            self.seen.setdefault(ws, set()).update(str(rel) for rel in listed_locks(world, ws))

    def before_step(self, world: WorldView) -> None:
        self.pre_ws = card_workspaces(world)
        self._learn(world)

    def examine(self, world: WorldView, events: Sequence[Event]) -> list[Violation]:
        upstream = upstream_of(world.target)
        starts = []
        read: dict[int, tuple[dict | None, dict]] = {}  # task -> the system's last reads of it
        for event in events:
            _note_read(read, event)
            if event.kind == jr.HUMAN and str(event.data.get("action")) == "unlock":
                card = as_int(event.data.get("task_id"))
                named = event.data.get("paths")
                for ws, cards in self.ws_cards.items():
                    if card is None or card in cards:
                        if isinstance(named, (list, tuple)):  # only what was unlocked
                            self.seen[ws] = self.seen.get(ws, set()) - {str(p) for p in named}
                        else:
                            self.seen[ws] = set()
            run = self.history.feed(world, event)
            if run is not None and run.start is event and run.agent in upstream:
                starts.append((run, read.get(run.task_id)))
        if not starts:
            self._learn(world)
            return []
        self._learn(world)
        found: list[Violation] = []
        for run, seen_then in starts:
            # a card made and deleted within the step (a spawner's orphan, cleaned up) is on
            # no board the checker sees: its workspace is what the system read of it
            ws = self.pre_ws.get(run.task_id) or workspace_of(world, run.task_id) \
                or (safe_workspace(world, card_dirname(*seen_then)) if seen_then else None)
            locked = self.seen.get(str(ws), set()) if ws is not None else set()
            missing = [p for p in upstream[run.agent]
                       if not any(fnmatch.fnmatchcase(rel, p) for rel in locked)]
            if not missing:
                continue
            via = run.entrypoint or "no entrypoint"
            found += self.violation(
                ("gate", run.start.seq),
                f"card #{run.task_id}: {via} ran {run.agent} although {', '.join(missing)} "
                f"{'was' if len(missing) == 1 else 'were'} never locked (approved)",
                event_component(run.start, f"{via}:{run.agent}"),
                [run.start] + ([run.entry] if run.entry else []),
                task_id=run.task_id, agent=run.agent, missing=missing,
                entrypoint=run.entrypoint or "", kind=f"ran {run.agent} with its upstream not approved",
                mode="gate-skipped",
            )
        return found


def _note_read(read: dict[int, tuple[dict | None, dict]], event: Event) -> None:
    """Keep the system's latest successful getTask / getTaskMetadata answer per card."""
    if event.kind != jr.CALL or not jr.is_system(event.actor) or event.data.get("outcome") != "ok":
        return
    method, params, result = event.data.get("method"), event.data.get("params"), event.data.get("result")
    task_id = as_int(params.get("task_id")) if isinstance(params, Mapping) else None
    if task_id is None or not isinstance(result, Mapping):
        return
    task, meta = read.get(task_id, (None, {}))
    if method == "getTask":
        read[task_id] = (dict(result), meta)
    elif method == "getTaskMetadata":
        read[task_id] = (task, metadata_strings(result))
