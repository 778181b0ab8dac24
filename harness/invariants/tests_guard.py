"""G2 – Ralph cannot change tests.

For every Ralph run (AGENT events with agent "ralph"), the state of the card's workspace
`tests/` before the step in which the run started is its baseline. After every step while
the run is open, and once after it ends:
  - the content snapshot of tests/ equals the baseline (no edit, removal, new file, symlink
    swap; caches like __pycache__ excepted): this also sees what subprocesses did;
  - the run writes nothing under tests/ (audited file effects), except putting a path a
    person changed mid-run back exactly as it was before the run (the guard restoring it);
  - no commit reachable from any ref now, and from none before, touches tests/;
  - no porcelain status record under tests/ (staged, unstaged, untracked) appears that was
    not there before the run (a stray `git add .` turns an old unstaged edit into a staged one).
Paths a harness trick touched outside the run are exempt, and their new state becomes the
baseline. G2 judges what the run does (invariants.md): a change a person makes to tests/
while the run is open is the person's. It may end the run as the person left it or as it
was before; its unstaged or untracked status records are the person's; it counts against
the run only when the run commits it (a commit touching tests/, or staging it), or builds
on it: the run started a test process while the change was in place (the launch's own view
of tests/, for the files it runs) and then reported success or made a commit.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness import journal as jr
from harness.invariants.base import (
    Checker,
    WorldView,
    card_workspaces,
    event_component,
    inside,
    trick_scope,
    workspace_of,
)
from harness.invariants.history import History, Run
from harness.journal import Event
from harness.snapshot import GitStatus, diff, git_refs, git_status, new_commits, snapshot
from harness.violation import Violation

RALPH = "ralph"
TESTS = "tests"


@dataclass
class TestsState:
    files: dict[str, str]  # rel (under tests/) -> file_state
    status: GitStatus
    refs: dict[str, str]


class GitProbe:
    """git status/refs of a workspace, recomputed only when git's files or tests/ changed."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[tuple[object, ...], GitStatus, dict[str, str]]] = {}

    @staticmethod
    def _key(ws: str, files: dict[str, str]) -> tuple[object, ...]:
        parts: list[object] = []
        git_dir = os.path.join(ws, ".git")
        for name in ("index", "HEAD", "packed-refs", "refs/heads", "logs/HEAD", "info/exclude"):
            try:
                st = os.stat(os.path.join(git_dir, name))
                parts.append((name, st.st_mtime_ns, st.st_size, st.st_ino))
            except OSError:
                parts.append((name, None))
        try:
            with open(os.path.join(git_dir, "HEAD"), "rb") as handle:
                parts.append(handle.read())
        except OSError:
            parts.append(None)
        for name in (".gitignore", "tests/.gitignore"):
            try:
                st = os.stat(os.path.join(ws, name))
                parts.append((name, st.st_mtime_ns, st.st_size))
            except OSError:
                parts.append((name, None))
        digest = hashlib.sha256(repr(sorted(files.items())).encode()).hexdigest()
        parts.append(digest)
        return tuple(parts)

    def state(self, ws: str | Path) -> TestsState:
        ws = os.fspath(ws)
        files = snapshot(os.path.join(ws, TESTS))
        if not os.path.isdir(os.path.join(ws, ".git")):
            return TestsState(files, GitStatus(None, frozenset()), {})
        key = self._key(ws, files)
        cached = self._cache.get(ws)
        if cached is None or cached[0] != key:
            cached = (key, git_status(ws, TESTS), git_refs(ws))
            self._cache[ws] = cached
        return TestsState(files, cached[1], dict(cached[2]))


@dataclass
class Watch:
    run: Run
    workspace: str
    baseline: TestsState
    person: dict[str, set[str | None]] = field(default_factory=dict)  # rel -> states allowed
    seen_tricks: set[int] = field(default_factory=set)
    first_person: int | None = None  # seq of the first mid-run change by a person


class G2TestsGuard(Checker):
    invariant = "G2"

    def __init__(self) -> None:
        super().__init__()
        self.history = History()
        self.probe = GitProbe()
        self.pre_ws: dict[int, Path] = {}
        self.pre: dict[str, TestsState] = {}
        self.watches: list[Watch] = []
        self.window: list[Event] = []

    def before_step(self, world: WorldView) -> None:
        self.pre_ws = card_workspaces(world)
        self.pre = {str(ws): self.probe.state(ws) for ws in sorted(set(self.pre_ws.values()))}

    def examine(self, world: WorldView, events: Sequence[Event]) -> list[Violation]:
        ended: list[Watch] = []
        for event in events:
            run = self.history.feed(world, event)
            if run is None or run.agent != RALPH:
                continue
            if event.data.get("phase") == "start":
                ws = self.pre_ws.get(run.task_id) or workspace_of(world, run.task_id)
                if ws is None:
                    continue
                base = self.pre.get(str(ws)) or self.probe.state(ws)
                baseline = TestsState(dict(base.files), base.status, dict(base.refs))
                self.watches.append(Watch(run, str(ws), baseline))
            else:
                ended += [w for w in self.watches if w.run is run]
        if not self.watches:
            return []
        found: list[Violation] = []
        for watch in list(self.watches):
            found += self._compare(world, watch, events)[:1]  # one finding per run and step
        self.watches = [w for w in self.watches if w not in ended and w.run.end is None]
        return found

    def _compare(self, world: WorldView, watch: Watch, events: Sequence[Event]) -> list[Violation]:
        ws = watch.workspace
        tests_root = os.path.join(ws, TESTS)
        run = watch.run
        now = self.probe.state(ws)
        base = watch.baseline
        later = [e for e in events if e.seq > run.start.seq]
        open_run = [e for e in later if run.end is None or e.seq < run.end.seq]
        # a person's change made while the run is open is the person's: it counts against the
        # run only if the run commits it or builds on it (invariants.md, G2)
        person_events = [e for e in open_run if e.kind == jr.TRICK or _trick_step(e)]
        self._note_person(world, watch, person_events, tests_root, now)
        tricks = trick_scope(world, [e for e in later if e not in open_run])
        mine = [e for e in later if run.contains(e)]
        # effects other runners (or this one before/after the run) had on tests/: not Ralph's
        others = [e for e in later if e.kind == jr.FILE and jr.is_system(e.actor) and not run.contains(e)]
        exempt = {rel for rel in set(base.files) | set(now.files)
                  if tricks.covers(os.path.join(tests_root, rel) if rel != "." else tests_root)
                  or any(_under(e, os.path.join(tests_root, rel)) for e in others)}
        if tricks.covers(tests_root):
            exempt |= set(base.files) | set(now.files)
        for rel in exempt:  # the trick's (or other runner's) result is the new baseline
            if rel in now.files:
                base.files[rel] = now.files[rel]
            else:
                base.files.pop(rel, None)
        card = f"card #{run.task_id}"
        evidence = self._evidence(watch, mine, tests_root)
        component = event_component(evidence[0] if evidence else None, f"{run.actor}:ralph")
        found: list[Violation] = []
        person = watch.person
        change = [p for p in diff(base.files, now.files).paths()
                  if not _persons(person, p, now.files.get(p))]
        exempt_paths = {f"{TESTS}/{rel}" for rel in exempt}
        fresh = [(path, rec) for path, rec in now.status.new_since(base.status)
                 if path not in exempt_paths and not tricks.covers(os.path.join(ws, path))
                 and not (_rel(path) in person and _unstaged(rec))]
        written = [e for e in mine if e.kind == jr.FILE and e.data.get("op") not in ("chmod", "mkdir")
                   and _under(e, tests_root) and not _restores(e, tests_root, base, now, watch.first_person)]
        if written:
            first = written[0]
            found += self.violation(
                ("wrote", run.start.seq),
                f"{card}: Ralph's run wrote into tests/ ({first.data.get('op')} of "
                f"{first.data.get('literal') or first.data.get('path')})",
                event_component(first, component), written, path=first.data.get("path"),
                kind="wrote into tests/", mode="self-commit",
            )
        if change:
            what = diff({p: base.files[p] for p in change if p in base.files},
                        {p: now.files[p] for p in change if p in now.files})
            found += self.violation(
                ("files", run.start.seq),
                f"{card}: Ralph's run changed tests/ ({what.describe()})",
                component, evidence, changes=change, kind="changed tests/", mode="new-test-file",
            )
        touched_git = any(e.kind == jr.PROC or (e.kind == jr.FILE and _under(e, os.path.join(ws, ".git")))
                          for e in mine)
        commits = new_commits(ws, base.refs.values(), now.refs.values()) if now.refs and touched_git else []
        for commit in commits:
            touched = commit.touches(TESTS)
            if touched:
                found += self.violation(
                    ("commit", run.start.seq),
                    f"{card}: Ralph's run committed changes to tests/ ({', '.join(touched)} "
                    f"in {commit.sha[:10]})",
                    component, evidence, commit=commit.sha, paths=touched,
                    kind="committed a change to tests/", mode="git-add-all",
                )
                break
        if fresh:
            listed = ", ".join(f"{p} [{r.split(' ')[1] if ' ' in r else r}]" for p, r in fresh)
            found += self.violation(
                ("status", run.start.seq),
                f"{card}: after Ralph's run git shows changes to tests/ that were not there "
                f"before ({listed})",
                component, evidence, status=fresh, kind="left a git change under tests/", mode="git-add-all",
            )
        if person and run.end is not None:
            found += self._built_on(watch, mine, bool(commits), card)
        base.status = GitStatus(base.status.head, base.status.entries | {
            (p, r) for p, r in now.status.entries
            if p in exempt_paths or tricks.covers(os.path.join(ws, p))})
        if not touched_git:
            base.refs = dict(now.refs)  # commits made meanwhile were not this run's
        return found

    def _note_person(self, world: WorldView, watch: Watch, tricks: Sequence[Event],
                     tests_root: str, now: TestsState) -> None:
        """Paths under tests/ a person changed while the run was open, with the states the
        run may leave them in: as they were before the run (restored), or as the person left
        them (the person's change stands); ANY when the trick does not say what it left."""
        base = watch.baseline
        for event in tricks:
            if event.seq in watch.seen_tricks:
                continue
            watch.seen_tricks.add(event.seq)
            scope = trick_scope(world, [event])
            named = event.data.get("path") if event.kind == jr.TRICK else None
            named = _rel(named) if isinstance(named, str) and named.startswith(f"{TESTS}/") else None
            candidates = set(base.files) | set(now.files) | ({named} if named else set())
            for rel in sorted(candidates):
                if scope.covers(os.path.join(tests_root, rel)):
                    left = event.data.get("left", ANY) if rel == named else ANY
                    watch.person.setdefault(rel, {base.files.get(rel)}).add(left)
            if watch.first_person is None:
                watch.first_person = event.seq

    def _built_on(self, watch: Watch, mine: Sequence[Event], committed: bool, card: str) -> list[Violation]:
        """The run ran the tests while a person's change to them was in place, then reported
        success or committed: its result rests on tests that are not the approved ones."""
        run = watch.run
        first = watch.first_person or 0
        for proc in (e for e in mine if e.kind == jr.PROC and e.seq > first and e.data.get("test_run")):
            seen = proc.data.get("tests")
            if not isinstance(seen, dict):
                continue
            named = [str(n) for n in proc.data.get("test_args") or ()]
            covered = set(seen) | set(watch.baseline.files) if not named else set(named)
            covered |= {rel for rel in watch.person if rel.rsplit("/", 1)[-1] in _ALWAYS_READ}
            changed = sorted(rel for rel in covered & set(watch.person)
                             if seen.get(rel) != watch.baseline.files.get(rel))
            if not changed:
                continue
            later_commit = committed and any(
                e.kind == jr.PROC and e.seq > proc.seq and "commit" in map(str, e.data.get("argv") or ())
                for e in mine)
            if run.ok is True or later_commit:
                how = "committed its work" if later_commit else "reported success"
                return self.violation(
                    ("built-on", run.start.seq),
                    f"{card}: Ralph's run ran the tests while a person's change to "
                    f"{', '.join(f'tests/{c}' for c in changed)} was in place, then {how}",
                    event_component(proc, f"{run.actor}:ralph"), [proc, run.end or run.start],
                    changes=changed, kind="built on a person's change to tests/", mode="staged-only",
                )
        return []

    def _evidence(self, watch: Watch, mine: Sequence[Event], tests_root: str) -> list[Event]:
        files = [e for e in mine if e.kind == jr.FILE and _under(e, tests_root)]
        if files:
            return files
        procs = [e for e in mine if e.kind == jr.PROC]
        return procs or [watch.run.start]


ANY = "*any*"  # a person's change whose result the journal does not record
_ALWAYS_READ = frozenset({"conftest.py", "__init__.py", "pytest.ini"})


def _rel(path: str) -> str:
    """A tests/ path from git or a trick ("tests/a.py") as snapshots name it ("a.py")."""
    return path[len(TESTS) + 1:] if path.startswith(f"{TESTS}/") else path


def _persons(person: dict[str, set[str | None]], rel: str, state: str | None) -> bool:
    """The path's state is one a person's mid-run change explains."""
    allowed = person.get(rel)
    return allowed is not None and (ANY in allowed or state in allowed)


def _unstaged(record: str) -> bool:
    """A porcelain-v2 record with nothing staged: untracked, or an index column of '.'."""
    if record.startswith("?"):
        return True
    parts = record.split(" ")
    return len(parts) > 1 and parts[1][:1] == "."


def _trick_step(event: Event) -> bool:
    return event.kind == jr.STEP and event.data.get("rule") == "trick"


def _restores(event: Event, tests_root: str, base: TestsState, now: TestsState,
              first_person: int | None) -> bool:
    """A write by the run after a person changed tests/ mid-run, whose every path under
    tests/ ends the run as it was before the run: the guard putting the approved tests back
    (temp files it renamed into place included), not a change."""
    if first_person is None or event.seq < first_person:
        return False
    rels = [os.path.relpath(path, tests_root).replace(os.sep, "/")
            for path in (event.data.get("path"), event.data.get("dst"))
            if isinstance(path, str) and inside(path, tests_root)]
    return bool(rels) and all(now.files.get(rel) == base.files.get(rel) for rel in rels)


def _under(event: Event, root: str) -> bool:
    """A FILE event whose path or destination lies at or under `root`."""
    return any(isinstance(event.data.get(k), str) and inside(event.data[k], root) for k in ("path", "dst"))
