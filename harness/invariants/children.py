"""I2 (spawner idempotency) and I3 (flood control): an epic's children, recognised every way.

Epics: cards a spawner run started on, and cards another card names as its parent. A card C
is a child of epic E (C != E) when any marker relates them: a link of any label between C
and E, `parent_id` metadata = E, a "Parent: #E" / "**Parent**: #E" line, C created by the
system as a copy of E, or C created by a spawner run on E. A card that E itself names as
its parent (by those directional markers) is never E's child. Story ids of a child: its
`atomic_id` metadata and its `[id]` title prefix (both count), but not a prefix a person
typed: a person's look-alike is a situation, not the system's duplicate.

I2, after every step: for each epic and story id, at most one live (active) child, reported
when the system created a child while an earlier-created live child of that story existed
(a human's look-alike cards alone are situations, not defects). When a spawner run ends,
every card it created (applied createTask/duplicateTaskToProject, lost answers included)
is removed or complete: linked to the epic, `atomic_id` set, `parent_id` = the epic, title
containing the atomic id (unless a person typed the title since).

I3, after every step: an epic has at most `target.fanout_cap` existing children, reported
when the newest child was created by the system. A spawner run whose epic's prd.json asks
for too much (a "stories" value that is not a list, or new stories that with the existing
children exceed the cap; stories compared by a coarse key, lower-case alphanumerics, so
ids that a target may merge are never counted twice) must create nothing and leave a
visible error on the epic while it runs or as its runner reports it: an applied
createComment, or an applied tag / metadata key or value containing "fail" or "error".
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import journal as jr
from harness.invariants.base import (
    Checker,
    WorldView,
    as_int,
    board_links,
    board_metadata,
    board_task,
    board_tasks,
    event_component,
    is_active,
    workspace_of,
)
from harness.invariants.history import History, Run, visible_error
from harness.journal import Event
from harness.violation import Violation

SPAWNER = "spawner"
_TITLE_PREFIX = re.compile(r"^\s*\[([^\]\n]+)\]")
_PARENT_TEXT = re.compile(r"\*{0,2}parent\*{0,2}[ \t]*:[ \t]*\*{0,2}[ \t]*#[ \t]*(\d+)", re.IGNORECASE)


@dataclass
class Child:
    card: int
    task: dict[str, Any]
    metadata: dict[str, str]
    stories: frozenset[str]

    @property
    def active(self) -> bool:
        return is_active(self.task)


@dataclass
class Family:
    epics: dict[int, dict[int, Child]] = field(default_factory=dict)

    def children(self, epic: int) -> dict[int, Child]:
        return self.epics.get(epic, {})


def story_ids(task: dict[str, Any], metadata: dict[str, str], *, typed_title: bool = False) -> frozenset[str]:
    """The story ids a child carries; a title a person typed (`typed_title`) names none."""
    ids = set()
    atomic = (metadata.get("atomic_id") or "").strip()
    if atomic:
        ids.add(atomic)
    match = None if typed_title else _TITLE_PREFIX.match(str(task.get("title") or ""))
    if match and match.group(1).strip():
        ids.add(match.group(1).strip())
    return frozenset(ids)


def coarse_key(story_id: Any) -> str:
    return re.sub(r"[^a-z0-9]", "_", str(story_id).strip().lower())


def family(world: WorldView, history: History) -> Family:
    """Every epic's children as the board stands now."""
    kb = world.kanboard
    tasks = {as_int(t["id"]): t for t in board_tasks(kb)}
    metas = {tid: board_metadata(kb, tid) for tid in tasks if tid is not None}
    spawned_on: dict[int, set[int]] = {}
    for run in history.runs:
        if run.agent == SPAWNER:
            for card, event in run.created:
                if history.still_made_by(card, event):
                    spawned_on.setdefault(card, set()).add(run.task_id)
    directional: dict[int, set[int]] = {}
    for tid, task in tasks.items():
        if tid is None:
            continue
        parents: set[int] = set()
        pid = as_int(metas[tid].get("parent_id"))
        if pid is not None:
            parents.add(pid)
        parents.update(int(m) for m in _PARENT_TEXT.findall(str(task.get("description") or "")))
        creation = history.creator(tid)
        if creation is not None and creation.source is not None and jr.is_system(creation.actor):
            parents.add(creation.source)
        parents.update(spawned_on.get(tid, ()))
        parents.discard(tid)
        directional[tid] = parents
    epics = {r.task_id for r in history.runs if r.agent == SPAWNER}
    epics |= {p for ps in directional.values() for p in ps if p in tasks}
    result = Family()
    for tid, task in tasks.items():
        if tid is None:
            continue
        related = set(directional[tid])
        related.update(other for other, _ in board_links(kb, tid) if other in epics)
        for epic in related & epics:
            if epic == tid or tid in directional.get(epic, ()):
                continue
            stories = story_ids(task, metas[tid], typed_title=tid in history.retitled)
            result.epics.setdefault(epic, {})[tid] = Child(tid, task, metas[tid], stories)
    for epic in epics:
        result.epics.setdefault(epic, {})
    return result


def _created_at(history: History, card: int) -> tuple[int, str, Event | None]:
    creation = history.creator(card)
    if creation is None:
        return 0, jr.HARNESS_ACTOR, None
    return creation.event.seq, creation.actor, creation.event


class I2SpawnerIdempotency(Checker):
    invariant = "I2"

    def __init__(self) -> None:
        super().__init__()
        self.history = History()

    def examine(self, world: WorldView, events: Sequence[Event]) -> list[Violation]:
        ended: list[Run] = []
        for event in events:
            run = self.history.feed(world, event)
            if run is not None and run.agent == SPAWNER and run.end is event:
                ended.append(run)
        fam = family(world, self.history)
        found = self._duplicates(world, fam)
        for run in ended:
            found += self._leftovers(world, run)
        return found

    def _duplicates(self, world: WorldView, fam: Family) -> list[Violation]:
        found: list[Violation] = []
        for epic in sorted(fam.epics):
            groups: dict[str, list[Child]] = {}
            for child in fam.children(epic).values():
                if child.active:
                    for story in child.stories:
                        groups.setdefault(story, []).append(child)
            for story in sorted(groups):
                members = sorted(groups[story], key=lambda c: (_created_at(self.history, c.card)[0], c.card))
                if len(members) < 2:
                    continue
                first_seq = _created_at(self.history, members[0].card)[0]
                for late in members[1:]:
                    seq, actor, event = _created_at(self.history, late.card)
                    if not jr.is_system(actor) or seq <= first_seq:
                        continue
                    ids = ", ".join(f"#{c.card}" for c in members)
                    evidence = [e for e in (_created_at(self.history, c.card)[2] for c in [late, *members]) if e]
                    found += self.violation(
                        ("dup", epic, story, late.card),
                        f"epic #{epic} has {len(members)} live child cards for story {story} ({ids})",
                        event_component(event, f"{actor}:{SPAWNER}"), _unique(evidence),
                        epic=epic, story=story, children=[c.card for c in members],
                        kind="duplicate child " + self._how_missed(world, epic, members[0], late),
                        mode="link-only",
                    )
                    break
        return found

    def _how_missed(self, world: WorldView, epic: int, first: Child, late: Child) -> str:
        """How the later child came to be made beside the earlier one: both by one run, by
        runs that overlapped, or by a rerun that did not recognise the earlier child (and
        what that child lacked)."""
        first_run = self._run_that_made(first.card)
        late_run = self._run_that_made(late.card)
        if first_run is not None and first_run is late_run:
            return "made twice in one run"
        if first_run is not None and late_run is not None and first_run.actor != late_run.actor \
                and (first_run.end is None or late_run.start.seq < first_run.end.seq):
            return "made by concurrent runs"
        lacks = incomplete(world, epic, first.card, first.task, typed_title=first.card in self.history.retitled)
        if lacks:
            return f"made again beside one with no {', no '.join(lacks)}"
        return "made again beside a complete one"

    def _run_that_made(self, card: int) -> Run | None:
        for run in self.history.runs:
            if any(c == card and self.history.still_made_by(c, e) for c, e in run.created):
                return run
        return None

    def _leftovers(self, world: WorldView, run: Run) -> list[Violation]:
        kb = world.kanboard
        epic = run.task_id
        found: list[Violation] = []
        for card, event in run.created:
            if not self.history.still_made_by(card, event):
                continue  # removed, and its id given to a later card
            task = board_task(kb, card)
            if task is None:
                continue
            missing = incomplete(world, epic, card, task, typed_title=card in self.history.retitled)
            if missing:
                found += self.violation(
                    ("partial", run.start.seq, card),
                    f"the spawner run on epic #{epic} ended leaving card #{card} half-made "
                    f"(missing {', '.join(missing)})",
                    event_component(event, f"{run.actor}:{SPAWNER}"), [event, run.end or run.start],
                    epic=epic, card=card, missing=missing,
                    kind=f"half-made child (no {', no '.join(missing)})", mode="rollback-ignored",
                )
        return found


def incomplete(world: WorldView, epic: int, card: int, task: dict[str, Any], *,
               typed_title: bool = False) -> list[str]:
    """What a child card still lacks: link, atomic_id, parent_id, story id in the title (not
    asked of a title a person typed: the run wrote it, the person changed it)."""
    kb = world.kanboard
    meta = board_metadata(kb, card)
    missing = []
    linked = any(other == epic for other, _ in board_links(kb, card)) or any(
        other == card for other, _ in board_links(kb, epic))
    if not linked:
        missing.append("link to the epic")
    atomic = (meta.get("atomic_id") or "").strip()
    if not atomic:
        missing.append("atomic_id")
    if (meta.get("parent_id") or "").strip() != str(epic):
        missing.append("parent_id")
    if not typed_title and (not atomic or atomic not in str(task.get("title") or "")):
        missing.append("story id in the title")
    return missing


def _unique(events: list[Event]) -> list[Event]:
    seen: set[int] = set()
    return [e for e in events if not (e.seq in seen or seen.add(e.seq))]


def read_prd(workspace: Path | None) -> Any:
    if workspace is None:
        return None
    try:
        return json.loads((workspace / "prd.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError, RecursionError):
        return None


@dataclass
class CapPlan:
    run: Run
    reason: str  # why the request would exceed the cap
    signals: list[Event] = field(default_factory=list)


class I3FloodControl(Checker):
    invariant = "I3"

    def __init__(self) -> None:
        super().__init__()
        self.history = History()
        self.pre: Family = Family()
        self.plans: dict[int, CapPlan] = {}  # run start seq -> plan (over-cap runs only)
        self._after: tuple[int, Family] | None = None  # the family the last check saw, and when

    def before_step(self, world: WorldView) -> None:
        # nothing journaled since the last check: the board and the history are as it left them
        if self._after is not None and self._after[0] == world.journal.last_seq():
            self.pre = self._after[1]
        else:
            self.pre = family(world, self.history)

    def examine(self, world: WorldView, events: Sequence[Event]) -> list[Violation]:
        cap = int(getattr(world.target, "fanout_cap", 20))
        ended: list[CapPlan] = []
        for event in events:
            run = self.history.feed(world, event)
            if run is not None and run.agent == SPAWNER:
                if run.start is event:
                    reason = self._over_cap(world, run, cap)
                    if reason:
                        self.plans[run.start.seq] = CapPlan(run, reason)
                elif run.start.seq in self.plans:
                    ended.append(self.plans[run.start.seq])
            for plan in self.plans.values():
                if visible_error(plan.run, event):
                    plan.signals.append(event)
        found = self._cap(world, cap)
        for plan in ended:
            found += self._refusal(plan, cap)
            del self.plans[plan.run.start.seq]
        return found

    def _over_cap(self, world: WorldView, run: Run, cap: int) -> str | None:
        doc = read_prd(workspace_of(world, run.task_id))
        if not isinstance(doc, dict) or "stories" not in doc:
            return None
        stories = doc["stories"]
        if not isinstance(stories, list):
            return f"its prd.json stories are not a list ({type(stories).__name__})"
        existing = {c: ch for c, ch in self.pre.children(run.task_id).items() if ch.active}
        taken = {coarse_key(s) for ch in existing.values() for s in ch.stories}
        wanted: set[str] = set()
        for story in stories:
            sid = story.get("id") if isinstance(story, dict) else None
            if isinstance(sid, (str, int)) and not isinstance(sid, bool) and str(sid).strip():
                wanted.add(coarse_key(sid))
        new = wanted - taken
        if new and len(existing) + len(new) > cap:
            return (f"{len(existing)} existing child card(s) + {len(new)} new stor(ies) "
                    f"exceed the cap of {cap}")
        return None

    def _cap(self, world: WorldView, cap: int) -> list[Violation]:
        found: list[Violation] = []
        fam = family(world, self.history)
        self._after = (world.journal.last_seq(), fam)
        for epic in sorted(fam.epics):
            children = fam.children(epic)
            if len(children) <= cap:
                continue
            newest = max(children, key=lambda c: (_created_at(self.history, c)[0], c))
            seq, actor, event = _created_at(self.history, newest)
            if not jr.is_system(actor):
                continue
            found += self.violation(
                ("cap", epic),
                f"epic #{epic} has {len(children)} child cards, more than the cap of {cap}",
                event_component(event, f"{actor}:{SPAWNER}"), [event] if event else [],
                epic=epic, children=sorted(children), cap=cap, kind="more children than the cap",
                mode="cap-per-run",
            )
        return found

    def _refusal(self, plan: CapPlan, cap: int) -> list[Violation]:
        run = plan.run
        epic = run.task_id
        if run.created:
            first = run.created[0][1]
            return self.violation(
                ("created", run.start.seq),
                f"the spawner run on epic #{epic} created {len(run.created)} card(s) although "
                f"{plan.reason}",
                event_component(first, f"{run.actor}:{SPAWNER}"), [first, run.start],
                epic=epic, created=[c for c, _ in run.created], cap=cap,
                kind="created cards for a plan over the cap", mode="cap-per-run",
            )
        if not plan.signals:
            return self.violation(
                ("silent", run.start.seq),
                f"the spawner run on epic #{epic} refused a request that would exceed the cap "
                f"({plan.reason}) without a visible error on the card",
                event_component(run.start, f"{run.entrypoint or run.actor}:{SPAWNER}"),
                [run.start] + ([run.end] if run.end else []),
                epic=epic, cap=cap, kind="refused a plan over the cap without a visible error",
                mode="silent-refusal",
            )
        return []
