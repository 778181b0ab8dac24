"""Differential forms of G3 and I1: the same scenario in several worlds must end the same.

The driver (the lead's) builds one world per variant of a scenario (through the webhook,
the poller, the CLI; with and without duplicate deliveries), takes `outcome(world)` of each
and calls `compare`. Cards are matched by id (the fake numbers cards deterministically);
files by workspace-relative path, so worlds in different sandboxes compare.

G3 compares gate decisions (which agents ran on each card) and locks. I1 compares what a
duplicate delivery must not change: agent run counts, locks, tags, column, children (story
ids and count), workspace files (content hashes; .git and caches excluded) and the comments
(their texts, digits masked so ids and times do not count, as a multiset).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.invariants.base import (
    WorldView,
    as_int,
    board_comments,
    board_tags,
    board_tasks,
    card_workspaces,
)
from harness.invariants.children import family
from harness.invariants.history import History
from harness.snapshot import snapshot
from harness.violation import Violation

G3_FIELDS = ("agents", "locks")
I1_FIELDS = ("runs", "locks", "tags", "column", "children", "files", "comments")
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class CardOutcome:
    agents: tuple[str, ...]  # agents that ran on the card (the gate's decisions)
    runs: tuple[tuple[str, int], ...]  # agent -> number of runs
    locks: tuple[tuple[str, str], ...]  # rel -> sha256 the target's manifest records
    tags: tuple[str, ...]
    column: str | None
    children: tuple[str, ...]  # story ids of its children, one entry per child
    files: tuple[tuple[str, str], ...]  # workspace rel path -> file state
    comments: tuple[str, ...]  # comment texts, digits masked, sorted


@dataclass(frozen=True)
class Outcome:
    cards: Mapping[int, CardOutcome] = field(default_factory=dict)


def outcome(world: WorldView) -> Outcome:
    """What a scenario left behind, per card (see the module docstring)."""
    kb = world.kanboard
    history = History()
    for event in world.journal.events():
        history.feed(world, event)
    runs: dict[int, Counter[str]] = {}
    for run in history.runs:
        runs.setdefault(run.task_id, Counter())[run.agent] += 1
    workspaces = card_workspaces(world)
    fam = family(world, history)
    cards: dict[int, CardOutcome] = {}
    for task in board_tasks(kb):
        tid = as_int(task.get("id"))
        if tid is None:
            continue
        ws = workspaces.get(tid)
        locks: dict[str, str] = {}
        files: dict[str, str] = {}
        if ws is not None:
            try:
                locks = {str(k): str(v) for k, v in (world.target.locked_artifacts(ws) or {}).items()}
            except Exception:
                locks = {}
            files = snapshot(ws)
        children = sorted(
            "|".join(sorted(child.stories)) for child in fam.children(tid).values()
        )
        column = _column(kb, task)
        comments = sorted(_DIGITS.sub("#", _unsandboxed(world, str(c.get("comment") or c.get("content") or "")))
                          for c in board_comments(kb, tid))
        counted = runs.get(tid, Counter())
        cards[tid] = CardOutcome(
            agents=tuple(sorted(counted)),
            runs=tuple(sorted(counted.items())),
            locks=tuple(sorted(locks.items())),
            tags=tuple(sorted(board_tags(kb, tid))),
            column=column,
            children=tuple(children),
            files=tuple(sorted(files.items())),
            comments=tuple(comments),
        )
    for tid in sorted(set(runs) - set(cards)):  # cards removed since: their runs still count
        counted = runs[tid]
        cards[tid] = CardOutcome(tuple(sorted(counted)), tuple(sorted(counted.items())),
                                 (), (), None, (), (), ())
    return Outcome(dict(sorted(cards.items())))


def _unsandboxed(world: WorldView, text: str) -> str:
    """Comment text with each world's own sandbox path (random per world) made one word, so
    two worlds' comments naming the same workspace file compare equal."""
    for root in sorted({str(world.home.parent), os.path.realpath(world.home.parent)}, key=len, reverse=True):
        text = text.replace(root, "<sandbox>")
    return text


def _column(kb: Any, task: Mapping[str, Any]) -> str | None:
    column_id = as_int(task.get("column_id"))
    if column_id is None:
        return None
    try:
        return str(kb.column_title(column_id))
    except Exception:
        return str(column_id)


def compare(outcomes: Mapping[str, Outcome], invariant: str = "G3") -> list[Violation]:
    """Violations for every variant whose outcome differs from the first one's.

    `outcomes` maps a variant's name (an entrypoint such as "webhook", "poll", "cli"; or
    "once" / "duplicated") to its outcome; the first name is the baseline.
    """
    if invariant not in ("G3", "I1"):
        raise ValueError(f"compare() knows G3 and I1, not {invariant!r}")
    fields = G3_FIELDS if invariant == "G3" else I1_FIELDS
    names = list(outcomes)
    if len(names) < 2:
        return []
    base_name = names[0]
    base = outcomes[base_name]
    found: list[Violation] = []
    for name in names[1:]:
        other = outcomes[name]
        differences = _differences(base, other, fields)
        if not differences:
            continue
        card, what, left, right = differences[0]
        message = f"card #{card}: {_WORDS[what]} differ: {_explain(what, left, right, base_name, name)}"
        if len(differences) > 1:
            message += f" (+{len(differences) - 1} more difference(s))"
        found.append(Violation(
            invariant, message, f"entrypoint:{name}", (),
            {"baseline": base_name, "variant": name,
             "differences": [{"card": c, "field": w, base_name: _plain(a), name: _plain(b)}
                             for c, w, a, b in differences]},
        ))
    return found


def _differences(base: Outcome, other: Outcome, fields: tuple[str, ...]) -> list[tuple[int, str, Any, Any]]:
    empty = CardOutcome((), (), (), (), None, (), (), ())
    found = []
    for card in sorted(set(base.cards) | set(other.cards)):
        left = base.cards.get(card, empty)
        right = other.cards.get(card, empty)
        for name in fields:
            a, b = getattr(left, name), getattr(right, name)
            if a != b:
                found.append((card, name, a, b))
    return found


_WORDS = {
    "agents": "the agents run",
    "runs": "agent runs",
    "locks": "locked artifacts",
    "tags": "tags",
    "column": "column",
    "children": "child cards",
    "files": "workspace files",
    "comments": "comments",
}


def _explain(what: str, left: Any, right: Any, left_name: str, right_name: str) -> str:
    if what in ("locks", "files"):
        a, b = dict(left), dict(right)
        parts = []
        only_a = sorted(set(a) - set(b))
        only_b = sorted(set(b) - set(a))
        changed = sorted(k for k in set(a) & set(b) if a[k] != b[k])
        if only_a:
            parts.append(f"only through {left_name}: {', '.join(only_a)}")
        if only_b:
            parts.append(f"only through {right_name}: {', '.join(only_b)}")
        if changed:
            parts.append(f"different content: {', '.join(changed)}")
        return "; ".join(parts)
    return f"through {left_name} {_show(what, left)}, through {right_name} {_show(what, right)}"


def _show(what: str, value: Any) -> str:
    if what in ("agents", "tags", "children"):
        return "[" + ", ".join(map(str, value)) + "]" if value else "none"
    if what == "runs":
        return ", ".join(f"{a} x{n}" for a, n in value) or "none"
    if what == "comments":
        return f"{len(value)} comment(s)"
    return repr(value)


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value
