"""G1 – approved artifacts cannot be silently overwritten.

Locks are learned from the target's own manifest (`Target.locked_artifacts(ws)`) after each
step in which the system acted, keyed by resolved path, and REMEMBERED until a human unlocks
the card (with the target's own unlock tool, journalled by the `unlock` step): a manifest
that is later corrupted, deleted or rewritten does not make the harness forget. Three rules,
checked after every step:
  1. no system FILE event targets a locked resolved path: write/truncate it, rename it away
     or rename/mkdir/symlink/link onto it, remove it (or a directory holding it); a write
     that puts the locked bytes back after a person changed them mid-run is a restore;
  2. a locked file's content (lstat: hash, symlink, missing) does not change across a step,
     unless a harness trick touched it in that step (a trick's result becomes the new
     baseline: the system must not rewrite or recreate it afterwards). A lock learned with a
     content already differing from the manifest's sha256 was rewritten after locking;
  3. a re-lock keeps the first hash: when, after a system step, the manifest records another
     sha256 for a path still locked (no explicit unlock, no harness trick on the manifest),
     the re-lock laundered whatever changed the file since it was first locked.
chmod-like metadata changes are not overwrites (a target may make locked files read-only).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

from harness import journal as jr
from harness.audit import resolve_entry
from harness.invariants.base import (
    Checker,
    TrickScope,
    WorldView,
    as_int,
    card_workspaces,
    event_component,
    file_now,
    inside,
    listed_locks,
    trick_scope,
)
from harness.journal import Event
from harness.violation import Violation

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass
class Lock:
    path: str  # resolved
    rel: str  # as the manifest names it
    workspace: str
    sha: str  # the manifest's hash at lock time
    cards: frozenset[int]


def _targets(event: Event, lock: str) -> str | None:
    """How the FILE event hits the locked path, or None."""
    data = event.data
    op = data.get("op")
    path = data.get("path") or ""
    dst = data.get("dst") or ""
    if op in ("write", "truncate"):
        return "overwrote" if path == lock else None
    if op == "rename":
        if path and inside(lock, path):
            return "renamed away"
        if dst and inside(lock, dst):
            return "renamed a file onto"
        return None
    if op == "remove":
        if path == lock or (path and (data.get("tree") or data.get("dir")) and inside(lock, path)):
            return "removed"
        return None
    if op in ("symlink", "link"):
        return "put a link over" if path == lock else None
    if op == "mkdir":
        return "put a directory over" if path == lock else None
    return None


class G1Locks(Checker):
    invariant = "G1"

    def __init__(self) -> None:
        super().__init__()
        self.locks: dict[str, Lock] = {}
        self.unlocked: dict[str, str] = {}  # path -> sha of a lock a human released
        self.ws_cards: dict[str, set[int]] = {}  # every safe workspace seen -> its cards
        self.pre: dict[str, str | None] = {}
        self.known: set[tuple[str, str]] = set()  # (workspace, manifest rel) already learned
        self.forged: dict[tuple[str, str], str] = {}  # manifest entries a harness trick wrote
        self.unlisted: set[str] = set()  # locked paths the manifest did not list before the step

    def before_step(self, world: WorldView) -> None:
        self._note_workspaces(world)
        self.pre = {path: file_now(world, path) for path in self.locks}
        # which locks the manifest still vouched for as the step began (a corrupt or deleted
        # manifest that lets a write through is another defect than a guard that ignores it)
        workspaces = {lock.workspace for lock in self.locks.values()}
        listed = {ws: listed_locks(world, ws) for ws in sorted(workspaces)}
        self.unlisted = {path for path, lock in self.locks.items() if lock.rel not in listed[lock.workspace]}

    def _note_workspaces(self, world: WorldView) -> None:
        for card, ws in card_workspaces(world).items():
            self.ws_cards.setdefault(str(ws), set()).add(card)

    # -- the check -------------------------------------------------------------------------
    def examine(self, world: WorldView, events: Sequence[Event]) -> list[Violation]:
        found: list[Violation] = []
        tricks = trick_scope(world, events)
        for event in events:
            if event.kind == jr.HUMAN and str(event.data.get("action")) == "unlock":
                self._unlock(world, event)
            elif event.kind == jr.FILE and jr.is_system(event.actor):
                done = {v.details.get("path") for v in found}  # the first effect per path
                found += self._file_event(world, event, events, done)
        system_acted = any(jr.is_system(e.actor) for e in events)
        if system_acted:  # a step in which only the harness acted changes nothing of the system's
            hit = {v.details.get("path") for v in found}  # one finding per path and step
            found += self._content(world, events, tricks, hit)
        self._note_workspaces(world)
        self._note_forged(world, tricks)
        if system_acted:
            found += self._learn(world, events, tricks)
        return found

    def _file_event(self, world: WorldView, event: Event, events: Sequence[Event],
                    done: set[str]) -> list[Violation]:
        for path in sorted(self.locks):
            how = _targets(event, path)
            if how is None or path in done:
                continue
            lock = self.locks[path]
            if how in ("overwrote", "renamed a file onto") and _restores(world, lock, event, events):
                continue
            literal = event.data.get("literal") or path
            return self.violation(
                ("event", event.seq),
                f"{_cards(lock)}: the system {how} the locked {lock.rel} "
                f"({event.data.get('op')} of {literal})",
                event_component(event, event.actor), [event], path=path, rel=lock.rel,
                kind=_effect_kind(how, event, path, missing=self.pre.get(path, "") is None)
                + (" while its lock manifest no longer listed it" if path in self.unlisted else ""),
                mode="corrupt-manifest" if path in self.unlisted
                else _effect_mode(event, path, missing=self.pre.get(path, "") is None),
            )
        return []

    def _content(self, world: WorldView, events: Sequence[Event], tricks: TrickScope,
                 hit: set[str]) -> list[Violation]:
        found: list[Violation] = []
        for path, before in sorted(self.pre.items()):
            lock = self.locks.get(path)
            if lock is None or path in hit or tricks.covers(path):
                continue
            now = file_now(world, path)
            if now == before:
                continue
            evidence = _evidence(events, path, lock.workspace)
            found += self.violation(
                ("content", path, events[-1].seq if events else 0),
                f"{_cards(lock)}: the locked {lock.rel} changed during a system step "
                f"({_describe(before)} -> {_describe(now)})",
                event_component(evidence[0] if evidence else None, _actor(events)),
                evidence, path=path, rel=lock.rel, before=before, after=now,
                kind="changed during a system step",
            )
        return found

    def _note_forged(self, world: WorldView, tricks: TrickScope) -> None:
        """Entries a trick put in a manifest are the harness's, not locks the system made."""
        manifest = getattr(world.target, "lock_manifest", None)
        if not manifest or not (tricks.paths or tricks.everything):
            return
        for ws in sorted(self.ws_cards):
            if not tricks.covers(os.path.realpath(os.path.join(ws, manifest))):
                continue
            for rel, sha in listed_locks(world, ws).items():
                if (ws, str(rel)) not in self.known:
                    self.forged[(ws, str(rel))] = str(sha)

    def _learn(self, world: WorldView, events: Sequence[Event], tricks: TrickScope) -> list[Violation]:
        found: list[Violation] = []
        for ws, cards in sorted(self.ws_cards.items()):
            for rel, sha in sorted(listed_locks(world, ws).items()):
                if not isinstance(rel, str) or not rel:
                    continue
                path = _entry(os.path.join(ws, rel))
                sha = str(sha)
                if path in self.locks:
                    found += self._relock(world, self.locks[path], sha, events, tricks)
                    continue
                if (ws, rel) in self.known:
                    continue
                if self.forged.get((ws, rel)) == sha:
                    continue  # written by a trick; a lock the system records anew counts
                if self.unlocked.get(path) == sha:
                    continue  # still listed, but a human released exactly this lock
                self.unlocked.pop(path, None)
                lock = Lock(path, rel, ws, sha, frozenset(cards))
                self.locks[path] = lock
                self.known.add((ws, rel))
                now = file_now(world, path)
                if _SHA256.match(sha) and now != sha and not tricks.covers(path):
                    evidence = _evidence(events, path, ws)
                    found += self.violation(
                        ("learned", path),
                        f"{_cards(lock)}: the locked {rel} no longer matches the hash recorded "
                        f"when it was locked ({_describe(now)})",
                        event_component(evidence[0] if evidence else None, _actor(events)),
                        evidence, path=path, rel=rel, locked_sha=sha, now=now,
                        kind="changed between its write and its lock",
                    )
        return found

    def _relock(self, world: WorldView, lock: Lock, sha: str, events: Sequence[Event],
                tricks: TrickScope) -> list[Violation]:
        """A re-lock (a second approval, a rerun of governance) must keep the hash recorded at
        the first lock: recording other bytes, without an explicit unlock in between,
        launders whatever changed the file since (invariants.md, G1)."""
        manifest = getattr(world.target, "lock_manifest", None) or ""
        if sha == lock.sha or not _SHA256.match(sha) or tricks.covers(
                os.path.realpath(os.path.join(lock.workspace, manifest))):
            return []
        now = file_now(world, lock.path)
        laundered = " (the file's current bytes: a change laundered)" if now == sha else ""
        writes = [e for e in events if e.kind == jr.FILE and jr.is_system(e.actor)
                  and inside(str(e.data.get("path") or ""), lock.workspace)
                  and os.path.basename(str(e.data.get("path") or "")) == os.path.basename(manifest)]
        evidence = writes or _evidence(events, lock.path, lock.workspace)
        previous = lock.sha  # kept: the first lock's hash is the one the ratchet must hold
        return self.violation(
            ("relock", lock.path, sha),
            f"{_cards(lock)}: the locked {lock.rel} was locked again with another hash "
            f"({_describe(previous)} -> {_describe(sha)}{laundered}) without an unlock in between",
            event_component(evidence[0] if evidence else None, _actor(events)), evidence,
            path=lock.path, rel=lock.rel, locked_sha=previous, relocked_sha=sha,
            kind="re-lock recorded other bytes than the first lock", mode="relock-launders",
        )

    def _unlock(self, world: WorldView, event: Event) -> None:
        """Release the card's locks the unlock names. One the manifest still lists with the
        same hash stays ignored until the system locks something new there; one it dropped
        is simply gone, so locking the same bytes again is a new lock."""
        card = as_int(event.data.get("task_id"))
        wanted = event.data.get("paths") or event.data.get("path") or event.data.get("rel")
        if isinstance(wanted, str):
            wanted = [wanted]
        for path, lock in sorted(self.locks.items()):
            if card is not None and card not in lock.cards:
                continue
            if wanted and not any(path == os.path.realpath(os.path.join(lock.workspace, w))
                                  or w == lock.rel for w in wanted):
                continue
            if str(listed_locks(world, lock.workspace).get(lock.rel)) == lock.sha:
                self.unlocked[path] = lock.sha
            self.known.discard((lock.workspace, lock.rel))
            del self.locks[path]
            self.pre.pop(path, None)


def _effect_kind(how: str, event: Event, path: str, *, missing: bool) -> str:
    """The G1 signature's kind: what the effect did, whether the locked file was missing
    (a recreate) and whether it went through another name (an alias or a link)."""
    literal = str(event.data.get("literal") or path)
    parts = literal.replace("\\", "/").split("/")
    aliased = os.path.basename(literal) != os.path.basename(path) or any(p in (".", "..") for p in parts) \
        or "//" in literal
    words = [how]
    if missing and how in ("overwrote", "put a link over", "put a directory over", "renamed a file onto"):
        words.append("(recreating it after a delete)")
    if aliased:
        words.append("through another name")
    return " ".join(words)


def _effect_mode(event: Event, path: str, *, missing: bool) -> str:
    kind = _effect_kind("overwrote", event, path, missing=missing)
    if "another name" in kind:
        return "symlink-write" if os.path.basename(str(event.data.get("literal") or path)) \
            != os.path.basename(path) else "literal-path"
    return "lock-if-exists" if missing else "unguarded-helper"


def _restores(world: WorldView, lock: Lock, event: Event, events: Sequence[Event]) -> bool:
    """The write puts back the locked bytes after a person changed them while the system
    was running (a TRICK event: a guard restoring an approved file is not overwriting it):
    the file ends the step with exactly the hash recorded at lock time. A trick made as a
    step of its own before the run does not count: recreating a deleted artifact, even
    byte for byte, is the overwrite G1 names."""
    if file_now(world, lock.path) != lock.sha:
        return False
    during = [e for e in events if e.kind == jr.TRICK and e.seq < event.seq]
    return trick_scope(world, during).covers(lock.path)


def _entry(path: str) -> str:
    """The directory entry a path names: parent resolved, last name kept (never followed)."""
    return resolve_entry(path)[1] or os.path.realpath(path)


def _cards(lock: Lock) -> str:
    return ", ".join(f"card #{c}" for c in sorted(lock.cards)) or f"workspace {lock.workspace}"


def _describe(state: str | None) -> str:
    if state is None:
        return "missing"
    if len(state) == 64:
        return f"sha256 {state[:12]}"
    return state


def _actor(events: Sequence[Event]) -> str:
    for event in events:
        if jr.is_system(event.actor) and event.kind in (jr.AGENT, jr.ENTRY):
            agent = event.data.get("agent") or event.data.get("entrypoint")
            return f"{event.actor}:{agent}" if agent else event.actor
    return next((e.actor for e in events if jr.is_system(e.actor)), "?")


def _evidence(events: Sequence[Event], path: str, workspace: str) -> list[Event]:
    """The system's effect on the path, else its launches in the workspace, else its runs."""
    system = [e for e in events if jr.is_system(e.actor)]
    direct = [e for e in system if e.kind == jr.FILE and _targets(e, path)]
    if direct:
        return direct
    procs = [e for e in system if e.kind == jr.PROC and inside(str(e.data.get("cwd") or ""), workspace)]
    if procs:
        return procs
    return [e for e in system if e.kind in (jr.PROC, jr.AGENT, jr.ENTRY)][:3]
