"""G4 – card content cannot escape the workspace or reach a shell.

File rule: every system FILE event's resolved path (and a rename's destination, a hard
link's source) lies inside an allowed root: a safe card workspace (any seen so far: a card
whose dirname changed keeps its old workspace allowed; a card whose metadata and description
declare different dirnames has both), the sandbox tmp, or a directory the
target declares in `Target.state_roots` (its own state and logs, outside any workspace).
Creating the missing ancestors of an allowed root (mkdir of `~/projects`) and writing to
device files (/dev/null for subprocess.DEVNULL, /proc/<pid>/fd) are not escapes.

Launch rule, for every system PROC event:
  - `shell=True`, os.system, or an explicit `<shell> -c TEXT`: a violation, whatever the text
    (invariants.md forbids shell launches outright);
  - a single string (no shell) containing card-derived text as a whole token;
  - an argument (after argv[0], before a literal `--`) that starts with `-` and begins with a
    card-derived value that itself starts with `-` (length >= 2), unless the audit hook saw
    that exact object as a literal constant of the target's code (its own `-m`, `-C`, ...).
Card-derived text: title, description (whole and line by line), tags and metadata values of
every card ever seen, and story ids/titles of every workspace's prd.json; values are kept
once seen, so text that flowed into the system stays tainted after the card changes.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from harness import journal as jr
from harness.invariants.base import (
    Checker,
    WorldView,
    as_int,
    board_metadata,
    board_tags,
    board_tasks,
    card_workspaces,
    declared_dirnames,
    event_component,
    inside,
    real_tmp,
    safe_workspace,
    state_roots,
)
from harness.journal import Event
from harness.violation import Violation

_DEVICE_PREFIXES = ("/dev/", "/proc/")
_NOT_DEVICES = ("/dev/shm/", "/dev/mqueue/")  # ordinary files in RAM (sandboxes may live there)


def card_values(text: Any) -> frozenset[str]:
    """A card field as the tokens G4 matches: the whole value and each line, stripped."""
    if text is None or isinstance(text, (dict, list, tuple)):
        return frozenset()
    return _tokens(str(text))


@functools.lru_cache(maxsize=4096)
def _tokens(value: str) -> frozenset[str]:
    # every card's fields are split again after every step; most have not changed
    found = {value.strip()}
    if "\n" in value or "\r" in value:
        found.update(line.strip() for line in value.splitlines())
    return frozenset(v for v in found if len(v) >= 2)


def prd_values(workspace: Path) -> set[str]:
    """Story ids and titles of the workspace's prd.json, when it parses."""
    try:
        doc = json.loads((workspace / "prd.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError, RecursionError):
        return set()
    stories = doc.get("stories") if isinstance(doc, dict) else None
    values: set[str] = set()
    if isinstance(stories, list):
        for story in stories[:5000]:
            if isinstance(story, dict):
                for key in ("id", "title"):
                    if isinstance(story.get(key), (str, int)) and not isinstance(story.get(key), bool):
                        values |= card_values(story[key])
    return values


def contains_token(text: str, value: str) -> bool:
    """`value` occurs in `text` not glued to word characters on a side where it has one."""
    start = text.find(value)
    while start >= 0:
        end = start + len(value)
        left = start == 0 or not _word(text[start - 1]) or not _word(value[0])
        right = end == len(text) or not _word(text[end]) or not _word(value[-1])
        if left and right:
            return True
        start = text.find(value, start + 1)
    return False


def _word(char: str) -> bool:
    return char.isalnum() or char == "_"


class G4Containment(Checker):
    invariant = "G4"

    def __init__(self) -> None:
        super().__init__()
        self.roots: set[str] = set()
        self.values: set[str] = set()
        self.workspaces: set[Path] = set()
        self._refreshed_at = -1

    def before_step(self, world: WorldView) -> None:
        self._refresh(world)

    def _refresh(self, world: WorldView) -> None:
        # card text and prd.json change only in steps, which journal something: once per
        # journal position (before_step follows the previous check with nothing between)
        position = world.journal.last_seq()
        if position == self._refreshed_at:
            return
        self._refreshed_at = position
        kb = world.kanboard
        workspaces = card_workspaces(world)
        self.workspaces.update(workspaces.values())
        self.roots.update(str(ws) for ws in workspaces.values())
        self.roots.add(real_tmp(world))
        self.roots.update(str(p) for p in state_roots(world))
        for task in board_tasks(kb):
            tid = as_int(task.get("id"))
            self.values |= card_values(task.get("title"))
            self.values |= card_values(task.get("description"))
            if tid is not None:
                metadata = board_metadata(kb, tid)
                for dirname in declared_dirnames(task, metadata):
                    ws = safe_workspace(world, dirname)
                    if ws is not None:
                        self.workspaces.add(ws)
                        self.roots.add(str(ws))
                for tag in board_tags(kb, tid):
                    self.values |= card_values(tag)
                for value in metadata.values():
                    self.values |= card_values(value)
        for ws in sorted(self.workspaces):
            self.values |= prd_values(ws)

    # -- the check -------------------------------------------------------------------------
    def examine(self, world: WorldView, events: Sequence[Event]) -> list[Violation]:
        self._refresh(world)
        files: list[Violation] = []
        procs: list[Violation] = []
        for event in events:
            if not jr.is_system(event.actor):
                continue
            if event.kind == jr.FILE and not files:  # the first escape of a step says it all
                files += self._file(event)
            elif event.kind == jr.PROC and not procs:
                procs += self._proc(event)
        return sorted(files + procs, key=lambda v: v.evidence[0].seq)

    def allowed(self, path: str, op: str | None) -> bool:
        if any(inside(path, root) for root in self.roots):
            return True
        if path.startswith(_DEVICE_PREFIXES) and not path.startswith(_NOT_DEVICES):
            return True
        # creating the missing parents of an allowed root (mkdir -p ~/projects/<dirname>)
        return op == "mkdir" and any(inside(root, path) for root in self.roots)

    def _file(self, event: Event) -> list[Violation]:
        data = event.data
        op = data.get("op")
        for key in ("path", "dst", "src"):
            path = data.get(key)
            if not isinstance(path, str) or not path or self.allowed(path, op):
                continue
            literal = data.get("dst_literal" if key == "dst" else "literal") or path
            return self.violation(
                ("file", event.seq),
                f"the system's {op} of {literal!r} lands outside the card workspaces ({path})",
                event_component(event, event.actor), [event], path=path, op=op,
                kind=f"{op} outside the workspace", mode="path-escape",
            )
        return []

    def _proc(self, event: Event) -> list[Violation]:
        data = event.data
        argv = data.get("argv")
        component = event_component(event, event.actor)
        if data.get("shell"):
            command = data.get("command") if data.get("command") is not None else argv
            text = command if isinstance(command, str) else " ".join(map(str, command or ()))
            carried = sorted(v for v in self.values if contains_token(text, v))
            how = f"carrying card text {carried[0]!r}" if carried else "(no card text seen this time)"
            return self.violation(
                ("shell", event.seq), f"the system launched a shell command {text[:120]!r} {how}",
                component, [event], argv=argv, card_text=carried[:5], kind="launched a shell", mode="shell-string",
            )
        if isinstance(argv, str):
            carried = sorted(v for v in self.values if not v.isdigit() and contains_token(argv, v))
            if carried:
                return self.violation(
                    ("string", event.seq),
                    f"the system launched a single command string carrying card text "
                    f"{carried[0]!r}: {argv[:120]!r}",
                    component, [event], argv=argv, card_text=carried[:5],
                    kind="card text in a command string", mode="shell-string",
                )
            return []
        if isinstance(argv, (list, tuple)):
            hit = self._option_from_card(argv, data.get("const_args") or ())
            if hit is not None:
                index, value = hit
                return self.violation(
                    ("option", event.seq),
                    f"card text {value!r} reaches a command as an option: "
                    f"argv[{index}] = {argv[index]!r} of {_short(argv)}",
                    component, [event], argv=list(argv), index=index, card_text=value,
                    kind="card text read as an option", mode="option-injection",
                )
        return []

    def _option_from_card(self, argv: Sequence[Any], constants: Iterable[int]) -> tuple[int, str] | None:
        constant = set(constants)
        dashed = sorted(v for v in self.values if v.startswith("-"))
        if not dashed:
            return None
        for index, item in enumerate(argv):
            if index == 0:
                continue
            if not isinstance(item, str):
                continue
            if item == "--":
                return None
            if not item.startswith("-") or index in constant:
                continue
            for value in dashed:
                if item.startswith(value):
                    return index, value
        return None


def _short(argv: Sequence[Any]) -> str:
    text = " ".join(str(a) for a in argv)
    return text if len(text) <= 120 else text[:117] + "..."
