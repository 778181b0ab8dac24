"""What every checker reads (the world, as a Protocol) and what every checker is.

Checkers read only the world and the journal (invariants.md). Each keeps its own position in
the journal, so `check` looks only at events since the previous check and stays cheap.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from harness.journal import Event, Journal
from harness.snapshot import file_state
from harness.violation import Violation

_DIRNAME_LINE = re.compile(r"^[ \t]*dirname:[ \t]*(.+?)[ \t]*$", re.MULTILINE)


@runtime_checkable
class WorldView(Protocol):
    """The lead's World satisfies this; tests build small ones."""

    journal: Journal
    kanboard: Any  # the FakeKanboard: tasks(), task(id), tags(id), metadata(id), links(id), comments(id)
    target: Any  # a targets.base.Target
    home: Path
    tmp: Path


# -- reading the fake's views, whatever container shapes they use --------------------------
_SHARED: dict[tuple[int, str, Any], Any] | None = None  # reads of one unchanging board


@contextlib.contextmanager
def shared_reads(reads: dict[tuple[int, str, Any], Any] | None = None) -> Iterator[dict[tuple[int, str, Any], Any]]:
    """While the checkers of one step look, neither the board nor the files change: the card
    list, each card's tags, metadata and links, each dirname's workspace and each workspace's
    lock manifest are read once, not once per checker.

    Yields the reads made. Passing them back in (`reads`) reuses them: only for a world that
    has not changed since they were made (the checks after one step and the looks before
    the next, with nothing run in between)."""
    global _SHARED
    outer = _SHARED
    _SHARED = outer if outer is not None else reads if reads is not None else {}
    try:
        yield _SHARED
    finally:
        _SHARED = outer


def _read(owner: Any, what: str, key: Any, read: Callable[[], Any]) -> Any:
    """`read()`, or its answer already given for (owner, what, key) within `shared_reads`."""
    if _SHARED is None:
        return read()
    slot = (id(owner), what, key)
    if slot not in _SHARED:
        _SHARED[slot] = read()
    return _SHARED[slot]


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def board_tasks(kb: Any) -> list[dict[str, Any]]:
    """Every card the fake holds (open and closed), sorted by id."""
    return [dict(t) for t in _read(kb, "tasks", None, lambda: _board_tasks(kb))]


def _board_tasks(kb: Any) -> list[dict[str, Any]]:
    try:
        rows = kb.tasks(active_only=False)
    except TypeError:
        try:
            rows = kb.tasks()
        except Exception:
            return []
    except Exception:
        return []
    if isinstance(rows, Mapping):
        rows = list(rows.values())
    tasks = [dict(r) for r in rows or () if isinstance(r, Mapping) and as_int(r.get("id")) is not None]
    return sorted(tasks, key=lambda t: as_int(t["id"]) or 0)


def board_task(kb: Any, task_id: int) -> dict[str, Any] | None:
    row = _read(kb, "task", task_id, lambda: _board_task(kb, task_id))
    return dict(row) if row is not None else None


def _board_task(kb: Any, task_id: int) -> dict[str, Any] | None:
    try:
        row = kb.task(int(task_id))
    except Exception:
        return None
    return dict(row) if isinstance(row, Mapping) else None


def board_tags(kb: Any, task_id: int) -> set[str]:
    return set(_read(kb, "tags", task_id, lambda: _board_tags(kb, task_id)))


def _board_tags(kb: Any, task_id: int) -> set[str]:
    try:
        tags = kb.tags(int(task_id))
    except Exception:
        return set()
    if isinstance(tags, Mapping):
        tags = list(tags.values())
    names: set[str] = set()
    for tag in tags or ():
        if isinstance(tag, Mapping):
            tag = tag.get("name")
        if tag is not None:
            names.add(str(tag))
    return names


def board_metadata(kb: Any, task_id: int) -> dict[str, str]:
    return dict(_read(kb, "metadata", task_id, lambda: _board_metadata(kb, task_id)))


def _board_metadata(kb: Any, task_id: int) -> dict[str, str]:
    try:
        meta = kb.metadata(int(task_id))
    except Exception:
        return {}
    return metadata_strings(meta)


def metadata_strings(meta: Any) -> dict[str, str]:
    """A card's metadata as Kanboard's answer means it: every key and value a string, null as ""."""
    if not isinstance(meta, Mapping):
        return {}
    return {str(k): "" if v is None else str(v) for k, v in meta.items()}


def board_links(kb: Any, task_id: int) -> list[tuple[int, str]]:
    """(other card id, label as seen from this card) for every link of the card."""
    return list(_read(kb, "links", task_id, lambda: _board_links(kb, task_id)))


def _board_links(kb: Any, task_id: int) -> list[tuple[int, str]]:
    try:
        rows = kb.links(int(task_id))
    except Exception:
        return []
    links = []
    for row in rows or ():
        if not isinstance(row, Mapping):
            continue
        other = as_int(row.get("task_id"))
        if other is None or other == int(task_id):
            other = as_int(row.get("opposite_task_id"))
        if other is not None and other != int(task_id):
            links.append((other, str(row.get("label") or "")))
    return sorted(links)


def board_comments(kb: Any, task_id: int) -> list[dict[str, Any]]:
    try:
        rows = kb.comments(int(task_id))
    except Exception:
        return []
    return [dict(r) for r in rows or () if isinstance(r, Mapping)]


def is_active(task: Mapping[str, Any] | None) -> bool:
    if task is None:
        return False
    value = task.get("is_active", 1)
    return str(value).strip().lower() in ("1", "true")


# -- workspaces ----------------------------------------------------------------------------
def card_dirname(task: Mapping[str, Any] | None, metadata: Mapping[str, str]) -> str | None:
    """The card's `dirname`: metadata first, else a `dirname:` line of the description."""
    declared = declared_dirnames(task, metadata)
    return declared[0] if declared else None


def declared_dirnames(task: Mapping[str, Any] | None, metadata: Mapping[str, str]) -> list[str]:
    """Every `dirname` the card declares: its metadata's and its description's (a target may
    read either, e.g. the description when its metadata cannot be read)."""
    match = _DIRNAME_LINE.search(str((task or {}).get("description") or ""))
    return [v for v in (metadata.get("dirname"), match.group(1) if match else None) if v]


def inside(path: str, root: str) -> bool:
    """`path` is `root` or lies under it (both already resolved)."""
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def safe_workspace(world: WorldView, dirname: str | None) -> Path | None:
    """The resolved workspace of a dirname, or None when the dirname is not a safe one.

    Safe: one path component (no separator, NUL, `.` or `..`) whose workspace really lies
    strictly inside the sandbox home. A hostile dirname never becomes an allowed root.
    Resolved once per dirname while the checkers of a step look (the files hold still).
    """
    if not isinstance(dirname, str) or not dirname or "\x00" in dirname:
        return None
    return _read(world, "workspace", dirname, lambda: _safe_workspace(world, dirname))


def _safe_workspace(world: WorldView, dirname: str) -> Path | None:
    if "/" in dirname or "\\" in dirname or dirname in (".", ".."):
        return None
    try:
        ws = Path(world.target.workspace(dirname))
    except Exception:
        return None
    home = real_home(world)
    real = resolved_below(str(world.home), home, str(ws))
    if real == home or not inside(real, home):
        return None
    return Path(real)


@functools.lru_cache(maxsize=16)
def _outside_realpath(path: str) -> str:
    return os.path.realpath(path)


def sandbox_realpath(path: str | os.PathLike[str]) -> str:
    """`os.path.realpath` of the sandbox's home or tmp (`<base>/<world>/home`): the base
    directory the worlds are made in is outside every sandbox and never changes, so only
    the two components under it are looked at again (checkers ask after every step)."""
    text = os.fspath(path)
    base = os.path.dirname(os.path.dirname(text))
    return resolved_below(base, _outside_realpath(base), text)


def real_home(world: WorldView) -> str:
    """The sandbox home's realpath, resolved once while the checkers of a step look."""
    return _read(world, "home", None, lambda: sandbox_realpath(world.home))


def real_tmp(world: WorldView) -> str:
    """The sandbox tmp's realpath, resolved once while the checkers of a step look."""
    return _read(world, "tmp", None, lambda: sandbox_realpath(world.tmp))


def resolved_below(root: str, real_root: str, path: str) -> str:
    """`os.path.realpath(path)`, given `root` and its realpath: below `root` only the
    components under it are looked at (checkers resolve workspaces after every step, and
    the sandbox's own ancestors cost as many lstat calls again)."""
    prefix = root.rstrip(os.sep) + os.sep
    if not path.startswith(prefix):
        return os.path.realpath(path)
    current = real_root
    for part in path[len(prefix):].split(os.sep):
        if part in ("", "."):
            continue
        if part == "..":
            return os.path.realpath(path)
        current = os.path.join(current, part)
        if os.path.islink(current):
            return os.path.realpath(path)
    return current


def card_workspaces(world: WorldView) -> dict[int, Path]:
    """Card id -> resolved workspace, for every card with a safe dirname.

    Every checker asks after every step; the board only changes through journaled events,
    so the answer is cached per journal position (it was a third of a step's cost).
    """
    key = world.journal.last_seq()
    cached = getattr(world, "_card_workspaces_cache", None)
    if cached is not None and cached[0] == key:
        return dict(cached[1])
    result = _card_workspaces(world)
    with contextlib.suppress(AttributeError):  # a view that cannot carry it: no cache
        world._card_workspaces_cache = (key, result)  # type: ignore[attr-defined]
    return dict(result)


def _card_workspaces(world: WorldView) -> dict[int, Path]:
    result: dict[int, Path] = {}
    kb = world.kanboard
    for task in board_tasks(kb):
        tid = as_int(task.get("id"))
        if tid is None:
            continue
        ws = safe_workspace(world, card_dirname(task, board_metadata(kb, tid)))
        if ws is not None:
            result[tid] = ws
    return result


def workspace_of(world: WorldView, task_id: int) -> Path | None:
    kb = world.kanboard
    task = board_task(kb, task_id)
    if task is None:
        return None
    return safe_workspace(world, card_dirname(task, board_metadata(kb, task_id)))


def state_roots(world: WorldView) -> list[Path]:
    """A target's own state/log directories (`Target.state_roots`, optional): allowed roots."""
    roots = getattr(world.target, "state_roots", ()) or ()
    if callable(roots):
        try:
            roots = roots()
        except Exception:
            roots = ()
    return [Path(os.path.realpath(r)) for r in roots]


def allowed_roots(world: WorldView) -> list[Path]:
    """Every card workspace, the sandbox tmp, and the target's declared state roots."""
    roots = set(card_workspaces(world).values())
    roots.add(Path(real_tmp(world)))
    roots.update(state_roots(world))
    return sorted(roots)


# -- entrypoints ---------------------------------------------------------------------------
# Runner actor names the harness uses ("webhook", "poller", "race: webhook#2") -> entrypoint.
_ACTOR_ENTRYPOINTS = {
    "webhook": "webhook", "poller": "poll", "poll": "poll", "orchestrator": "orchestrator",
    "orchestrate": "orchestrator", "cli": "cli", "run_agent": "agent", "agent": "agent",
}


def entrypoint_of(actor: str) -> str | None:
    return _ACTOR_ENTRYPOINTS.get(actor.split("#", 1)[0].split(":", 1)[0].strip().lower())


# -- checkers ------------------------------------------------------------------------------
class Checker:
    """One invariant's per-step check. Subclasses implement `examine` (and `before_step`)."""

    invariant: str = ""

    def __init__(self) -> None:
        self.last_seq = 0
        self._reported: set[Any] = set()

    def before_step(self, world: WorldView) -> None:
        """Called before each step: take what `check` will compare against."""

    def check(self, world: WorldView) -> list[Violation]:
        """Called after each step; looks at journal events since the previous check."""
        events = world.journal.events(since=self.last_seq)
        if events:
            self.last_seq = events[-1].seq
        return self.examine(world, events)

    def examine(self, world: WorldView, events: Sequence[Event]) -> list[Violation]:
        raise NotImplementedError

    def violation(self, key: Any, message: str, component: str,
                  evidence: Iterable[Event] = (), *, kind: str, entrypoint: str | None = None,
                  **details: Any) -> list[Violation]:
        """A one-element list, or [] when this key was already reported (no repeats).

        `kind` names the first bad effect without ids or paths; `entrypoint` defaults to the
        one the first evidence event's runner stands for."""
        if key in self._reported:
            return []
        self._reported.add(key)
        evidence = tuple(evidence)
        if entrypoint is None:
            entrypoint = entrypoint_of(evidence[0].actor) if evidence else None
        return [Violation(self.invariant, message, component or "?", evidence, dict(details),
                          kind=kind, entrypoint=entrypoint or "")]


def event_component(event: Event | None, fallback: str = "?") -> str:
    """The `where` an observer attached to the event, else the fallback (agent, actor)."""
    if event is not None:
        where = event.data.get("where")
        if where and where != "?":
            return str(where)
    return fallback


# -- harness tricks: their effects are situations, not the system's doing --------------------
class TrickScope:
    """The paths harness tricks touched in a window; `covers(path)` for exemptions."""

    def __init__(self) -> None:
        self.paths: set[str] = set()
        self.everything = False
        self.events: list[Event] = []

    def covers(self, path: str) -> bool:
        if self.everything:
            return True
        return any(inside(path, p) or inside(p, path) for p in self.paths)


_TRICK_PATH_KEYS = ("path", "dst", "src", "target", "to")
_MANIFEST_TRICKS = ("corrupt_manifest", "delete_manifest")


def _trick_data(world: WorldView, event: Event) -> dict[str, Any] | None:
    """A TRICK event's data, or a `trick` STEP's arguments in the same words."""
    if event.kind == "trick":
        return dict(event.data)
    if event.kind != "step" or event.data.get("rule") != "trick":
        return None
    args = event.data.get("args")
    if not isinstance(args, Mapping):
        return {}
    data: dict[str, Any] = {"task_id": args.get("card"), "trick": args.get("kind")}
    paths = []
    if args.get("kind") in _MANIFEST_TRICKS:
        manifest = getattr(world.target, "lock_manifest", None)
        if manifest:
            paths.append(str(manifest))
    for key in ("path", "to"):
        if isinstance(args.get(key), str) and args[key]:
            paths.append(args[key])
            paths.append(args[key] + ".bak")  # rename_away / rename_back
    data["paths"] = paths
    return data


def file_now(world: WorldView, path: str) -> str | None:
    """`snapshot.file_state(path)`, read once while the checkers of a step look (and again
    only after the next step: the looks before it share the checks' reads)."""
    return _read(world, "file", path, lambda: file_state(path))


def listed_locks(world: WorldView, workspace: str | os.PathLike[str]) -> dict[str, str]:
    """What the target's manifest lists as locked in `workspace` now; {} when it cannot say."""
    return dict(_read(world, "locks", os.fspath(workspace), lambda: _listed_locks(world, workspace)))


def _listed_locks(world: WorldView, workspace: str | os.PathLike[str]) -> dict[str, str]:
    try:
        return dict(world.target.locked_artifacts(Path(workspace)) or {})
    except Exception:  # a target's reader failing on a corrupt manifest is "nothing listed"
        return {}


def trick_scope(world: WorldView, events: Iterable[Event]) -> TrickScope:
    """Resolve every path a harness trick names (absolute, or relative to its card's workspace).

    Tricks are TRICK events or `trick` STEPs (their arguments). Both the literal location
    and the one reached through symlinks count, and a trick that names no path covers its
    card's workspace (or everything when it names no card).
    """
    scope = TrickScope()
    for event in events:
        data = _trick_data(world, event)
        if data is None:
            continue
        scope.events.append(event)
        bases: list[str] = []
        if isinstance(data.get("workspace"), (str, os.PathLike)):
            bases.append(os.fspath(data["workspace"]))
        card = as_int(data.get("task_id", data.get("card")))
        if card is not None:
            ws = workspace_of(world, card)
            if ws is not None:
                bases.append(str(ws))
        if not bases:
            bases = [str(p) for p in card_workspaces(world).values()]
        names = [data.get(k) for k in _TRICK_PATH_KEYS]
        extra = data.get("paths")
        if isinstance(extra, (list, tuple)):
            names.extend(extra)
        names = [os.fspath(n) for n in names if isinstance(n, (str, os.PathLike)) and os.fspath(n)]
        if not names:
            if card is not None and bases:
                scope.paths.update(os.path.realpath(b) for b in bases)
            else:
                scope.everything = True
            continue
        for name in names:
            candidates = [name] if os.path.isabs(name) else [os.path.join(b, name) for b in bases]
            for candidate in candidates:
                lexical = os.path.normpath(candidate)
                head, tail = os.path.split(lexical)
                scope.paths.add(os.path.realpath(candidate))
                scope.paths.add(os.path.join(os.path.realpath(head), tail))
    return scope
