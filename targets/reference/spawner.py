"""The reference spawner: fans an epic out into one child card per prd.json story (I2, I3).

Hardened where AgentLeeOps is not: the whole document is validated before anything is
created; the cap counts the epic's children across runs; a pending marker is written on
the epic before each duplication (MetaMagik copies it onto the new card, so a copy whose
creation answer was lost identifies itself); children are recognised by every marker; every
card a run creates ends complete or verifiably removed; a failed read never means "none".
Each step is a method so a mutant can replace exactly one of them.
"""

from __future__ import annotations

import hashlib
from typing import Any

from targets.reference.context import AgentContext, AgentResult, GuardError
from targets.reference.spawn_board import Board, ReadError
from targets.reference.spawn_prd import PrdError, Story, parse_prd
from targets.reference.spawn_scan import (
    COMPLETE,
    COPY_LABEL,
    ERROR_KEY,
    PENDING_KEY,
    RELATES_TO,
    STATE_KEY,
    Card,
    Scan,
    child_description,
    child_title,
    pending_story,
    pending_value,
    recognise,
    story_key,
)

PRD = "prd.json"
CHILD_COLUMN = "Tests Draft"


class SpawnError(Exception):
    """The run stops here; the message goes on the epic (comment and `spawn_error`)."""


class Spawner:
    """One spawner run on one epic. `run_spawner(ctx)` is `Spawner(ctx).run()`."""

    attempts = 4  # per read before failing closed; per removal; per duplication
    complete_passes = 1  # passes over a new child's missing parts before rolling it back

    def __init__(self, ctx: AgentContext) -> None:
        self.ctx = ctx
        self.epic = int(ctx.task["id"])
        self.project = int(ctx.project_id)
        self.board = Board(ctx.kb, self.attempts)
        self.created: list[int] = []  # cards this run duplicated (known ids)
        self.removed: list[int] = []
        self.completed: list[int] = []  # partial cards of earlier runs completed by this one
        self.marked = PENDING_KEY in ctx.metadata  # the epic may carry our pending marker

    # -- the run ---------------------------------------------------------------------------
    def run(self) -> AgentResult:
        try:
            spawned = self.spawn()
        except SpawnError as exc:
            self.finish(str(exc))
            return AgentResult(False, f"Spawner: {exc}", self.summary())
        self.finish(None)
        return AgentResult(True, spawned, self.summary())

    def spawn(self) -> str:
        self.refuse_child_card()
        stories = self.load_stories()
        column = self.child_column()
        scan = self.scan()
        if self.repair(scan, stories):
            scan = self.scan()
        self.check_unidentified(scan)
        if not stories:
            raise SpawnError("prd.json has no stories; nothing to spawn")
        new = [s for s in stories if not scan.claimants(s.id)]
        for story in self.check_cap(scan.count, new, stories):
            self.create_child(story, column)
        return (
            f"Spawner: {len(self.created)} child card(s) created, "
            f"{len(stories) - len(new)} story(ies) already had one"
        )

    def summary(self) -> dict[str, Any]:
        return {"created": list(self.created), "removed": list(self.removed),
                "completed": list(self.completed)}

    # -- input -----------------------------------------------------------------------------
    def refuse_child_card(self) -> None:
        """A child (or a partial copy) moved into Plan Approved must not spawn grandchildren."""
        meta = self.ctx.metadata
        pending = str(meta.get(PENDING_KEY) or "")
        foreign_pending = pending and not pending.startswith(f"{self.epic}:")
        if meta.get("atomic_id") or meta.get("parent_id") or foreign_pending:
            raise SpawnError(f"card #{self.epic} is a child card, not an epic; nothing spawned")

    def load_stories(self) -> list[Story]:
        """The approved plan: locked, and still the bytes that were locked."""
        ws = self.ctx.workspace
        try:
            if not ws.exists(PRD):
                raise SpawnError("prd.json is missing; nothing spawned")
            if not ws.is_locked(PRD):
                raise SpawnError("prd.json is not approved (not locked); nothing spawned")
            data = ws.path(PRD).read_bytes()
            if hashlib.sha256(data).hexdigest() != ws.locks().get(PRD):
                raise SpawnError("prd.json differs from the approved (locked) version; "
                                 "nothing spawned")
            text = data.decode("utf-8")
        except GuardError as exc:
            raise SpawnError(f"prd.json cannot be read safely ({exc}); nothing spawned") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise SpawnError(f"prd.json cannot be read ({exc}); nothing spawned") from None
        try:
            return parse_prd(text)
        except PrdError as exc:
            raise SpawnError(f"{exc}; nothing spawned") from None

    def child_column(self) -> int:
        columns = dict(self.ctx.columns)
        if not columns:
            rows = self.read("getColumns", list, project_id=self.project)
            columns = {str(r.get("title")): _int(r.get("id")) or 0 for r in rows if isinstance(r, dict)}
        for title, column_id in sorted(columns.items(), key=lambda kv: kv[1]):
            if title.split(". ", 1)[-1].strip() == CHILD_COLUMN:
                return int(column_id)
        raise SpawnError(f"the board has no '{CHILD_COLUMN}' column")

    # -- recognition -----------------------------------------------------------------------
    def read(self, method: str, shape: type | tuple[type, ...], **params: Any) -> Any:
        try:
            return self.board.read(method, shape, **params)
        except ReadError as exc:
            raise SpawnError(f"{exc}; not guessing, retry later") from None

    def recognise(
        self, task: dict[str, Any], metadata: dict[str, str], labels: frozenset[str]
    ) -> tuple[bool, frozenset[str]]:
        """(related?, story keys claimed): every marker counts (link, metadata, text, pending)."""
        return recognise(self.epic, task, metadata, labels)

    def scan(self) -> Scan:
        """Every card of the project (closed ones too), checked against every child marker."""
        try:
            links = self.board.read("getAllTaskLinks", list, task_id=self.epic)
            tasks = self.board.every_task(self.project, self.epic)
            labels: dict[int, set[str]] = {}
            for row in links:
                if isinstance(row, dict) and _int(row.get("task_id")) is not None:
                    labels.setdefault(int(row["task_id"]), set()).add(str(row.get("label") or "?"))
            scan = Scan(self.epic)
            for task in sorted(tasks, key=_task_id):
                tid = _task_id(task)
                if tid in (0, self.epic):
                    continue
                card_labels = frozenset(labels.get(tid, ()))
                metadata, related, claims = self.examine(task, card_labels)
                if not related:
                    continue
                scan.cards.append(Card(
                    tid, str(task.get("title") or ""), str(task.get("description") or ""),
                    metadata, card_labels, claims, pending_story(metadata, self.epic),
                ))
                if not claims and COPY_LABEL in card_labels:
                    scan.unidentified.append(tid)
        except ReadError as exc:
            raise SpawnError(f"{exc}; not guessing, retry later") from None
        return scan

    def examine(self, task: dict[str, Any], labels: frozenset[str]
                ) -> tuple[dict[str, str], bool, frozenset[str]]:
        """(metadata, related?, claims). A copy of the epic always carries metadata, so one
        that reads as claiming nothing is read again (an empty answer may be a quiet failure)."""
        tid = _task_id(task)
        for _ in range(self.attempts):
            metadata = self.board.metadata(tid)
            related, claims = self.recognise(task, metadata, labels)
            if claims or COPY_LABEL not in labels:
                break
        return metadata, related, claims

    def check_unidentified(self, scan: Scan) -> None:
        """A copy of the epic that claims no story may be a lost creation: fail closed."""
        if scan.unidentified:
            ids = ", ".join(f"#{i}" for i in scan.unidentified)
            raise SpawnError(
                f"card(s) {ids} are copies of this epic without any story marker (a creation "
                "whose answer was lost?); remove them or give them atomic_id, then retry"
            )

    # -- repair of earlier runs' partial cards ----------------------------------------------
    def repair(self, scan: Scan, stories: list[Story]) -> bool:
        """Complete or remove the partial cards an earlier run left; True if any was touched.

        Only cards carrying our pending marker were made by a spawner run; others (a human's
        card that looks like a child) are never changed, they only count as claims.
        """
        by_key = {story_key(s.id): s for s in stories}
        touched = False
        for card in scan.cards:
            if card.pending is None:
                continue
            story = by_key.get(story_key(card.pending))
            if story is None:
                if card.metadata.get(STATE_KEY) == COMPLETE:
                    continue  # a finished child of a story the plan no longer has: keep it
            elif card.is_complete(self.epic, story.id):
                continue
            elif not [c for c in scan.claimants(story.id) if c.id != card.id]:
                touched = True
                if self.complete(card.id, story):
                    self.completed.append(card.id)
                    continue
            touched = True
            if not self.remove(card.id):
                raise SpawnError(
                    f"partial child card #{card.id} could not be removed; "
                    "the next run will complete or remove it"
                )
        return touched

    # -- the cap ---------------------------------------------------------------------------
    def check_cap(self, existing: int, new: list[Story], stories: list[Story]) -> list[Story]:
        """All or nothing: children already there plus the new ones must fit the cap."""
        cap = int(self.ctx.fanout_cap)
        if new and existing + len(new) > cap:
            raise SpawnError(
                f"flood control: {existing} existing child card(s) + {len(new)} new would exceed "
                f"the cap of {cap} children per epic ({len(stories)} stories in prd.json); "
                "nothing spawned"
            )
        return new

    # -- creating one child ----------------------------------------------------------------
    def title_of(self, story: Story) -> str:
        return child_title(story.id, story.title)

    def create_child(self, story: Story, column: int) -> None:
        """Mark, duplicate, complete; an unclear answer is resolved by the marker, never retried
        blindly: a second duplicate is only made once a scan shows the first one does not exist."""
        card_id = None
        for _ in range(self.attempts):
            self.mark_pending(story)
            card_id = self.duplicate(column)
            if card_id is None:
                card_id = self.find_copy(story)
            if card_id is not None:
                break
        if card_id is None:
            raise SpawnError(f"Kanboard did not create the child card for story {story.id}; "
                             "retry later")
        self.created.append(card_id)
        if self.complete(card_id, story):
            return
        if self.remove(card_id):
            raise SpawnError(f"the child card for story {story.id} could not be completed; "
                             "it was removed, retry later")
        raise SpawnError(f"the child card #{card_id} for story {story.id} could not be completed "
                         "nor removed; the next run will complete or remove it")

    def mark_pending(self, story: Story) -> None:
        """Written on the epic and read back BEFORE duplicating: the copy will carry it."""
        value = pending_value(self.epic, story.id)
        self.marked = True
        for _ in range(self.attempts):
            self.board.try_call("saveTaskMetadata", task_id=self.epic, values={PENDING_KEY: value})
            try:
                meta = self.board.metadata(self.epic)
            except ReadError:
                continue
            if meta.get(PENDING_KEY) == value:
                return
        raise SpawnError(f"could not mark story {story.id} as pending on the epic; nothing created")

    def duplicate(self, column: int) -> int | None:
        """The copy's id, or None when the answer does not say (lost, error, falsy)."""
        result = self.board.try_call(
            "duplicateTaskToProject", task_id=self.epic, project_id=self.project, column_id=column
        )
        new_id = _int(result)
        return new_id if new_id and not isinstance(result, bool) else None

    def find_copy(self, story: Story) -> int | None:
        """After an unclear answer: the copy, if one was made, carries the pending marker."""
        scan = self.scan()
        found = [c.id for c in scan.cards if c.pending and story_key(c.pending) == story_key(story.id)]
        if len(found) > 1:
            raise SpawnError(f"several cards claim story {story.id}: "
                             + ", ".join(f"#{i}" for i in found))
        self.check_unidentified(scan)
        return found[0] if found else None

    def inspect(self, card_id: int) -> Card | None:
        """The card as the board has it now (None: verifiably gone)."""
        task = self.board.read_task(card_id, self.project, self.epic)
        if task is None:
            return None
        metadata = self.board.metadata(card_id)
        links = self.board.read("getAllTaskLinks", list, task_id=card_id)
        labels = frozenset(
            str(r.get("label")) for r in links
            if isinstance(r, dict) and _int(r.get("task_id")) == self.epic
        )
        return Card(card_id, str(task.get("title") or ""), str(task.get("description") or ""),
                    metadata, labels, frozenset(), pending_story(metadata, self.epic))

    def complete(self, card_id: int, story: Story) -> bool:
        """Bring the card to complete (title, description, metadata, link), verified by reading.

        A lost response is harmless here (the write was applied and the re-read shows it);
        whatever is still missing after `complete_passes` passes is rolled back by the caller.
        """
        for attempt in range(self.complete_passes + 1):
            try:
                card = self.inspect(card_id)
            except ReadError:
                return False
            if card is None:
                return False
            if card.is_complete(self.epic, story.id):
                return True
            if attempt == self.complete_passes:
                return False
            self.complete_step(card, story)
        return False

    def complete_step(self, card: Card, story: Story) -> None:
        """One pass over whatever is missing; each write is idempotent and verified after."""
        if not card.has_text(self.epic, story.id):
            description = child_description(self.epic, story.id, story.description, story.criteria)
            self.board.try_call("updateTask", id=card.id, title=self.title_of(story),
                                description=description)
        if not card.has_metadata(self.epic, story.id) or card.pending != story.id:
            self.board.try_call("saveTaskMetadata", task_id=card.id, values={
                "atomic_id": story.id, "parent_id": str(self.epic),
                PENDING_KEY: pending_value(self.epic, story.id)})
        if ERROR_KEY in card.metadata:  # copied from the epic: not this card's failure
            self.board.try_call("removeTaskMetadata", task_id=card.id, name=ERROR_KEY)
        if not card.is_linked():
            self.board.try_call("createTaskLink", task_id=card.id, opposite_task_id=self.epic,
                                link_id=RELATES_TO)
        try:
            now = self.inspect(card.id)
        except ReadError:
            return
        if now is not None and now.is_ready(self.epic, story.id):
            self.board.try_call("saveTaskMetadata", task_id=card.id, values={STATE_KEY: COMPLETE})

    def remove(self, card_id: int) -> bool:
        """removeTask, then VERIFY the card is gone; a falsy or lost answer proves nothing."""
        for _ in range(self.attempts):
            self.board.try_call("removeTask", task_id=card_id)
            try:
                if self.board.read_task(card_id, self.project, self.epic) is None:
                    self.removed.append(card_id)
                    return True
            except ReadError:
                continue
        return False

    # -- the end of a run ------------------------------------------------------------------
    def finish(self, error: str | None) -> None:
        """Clear the pending marker; record (or clear) the failure marker on the epic."""
        if self.marked:
            self.board.try_call("removeTaskMetadata", task_id=self.epic, name=PENDING_KEY)
        if error is not None:
            self.board.try_call("saveTaskMetadata", task_id=self.epic,
                                values={ERROR_KEY: error[:500]})
        elif ERROR_KEY in self.ctx.metadata:
            self.board.try_call("removeTaskMetadata", task_id=self.epic, name=ERROR_KEY)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _task_id(task: dict[str, Any]) -> int:
    return _int(task.get("id")) or 0


def run_spawner(ctx: AgentContext) -> AgentResult:
    """Entry used by the reference runner after the gate and the lease."""
    return Spawner(ctx).run()
