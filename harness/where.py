"""Name the target's code closest to an effect ("module:function"), for findings' component.

A finding must point at the target's own code, not at `os`, `pathlib` or the harness, so we
walk the stack outwards and stop at the first frame that belongs to one of the code roots.
Roots are directories (a frame belongs if its file lies under one) or dotted module prefixes
(`targets.reference` matches `targets.reference.spawner`), or a predicate over frames.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

FramePredicate = Callable[[FrameType], bool]
Roots = FramePredicate | Iterable[str | Path] | None

UNKNOWN = "?"
_FILE_CACHES: dict[tuple[str, ...], dict[str, bool]] = {}  # dirs -> code file -> under them


class CodeRoots:
    """A compiled set of roots: directory prefixes and module prefixes, tested per frame."""

    def __init__(self, roots: Roots = None) -> None:
        self.predicate: FramePredicate | None = None
        dirs: list[str] = []
        modules: list[str] = []
        if callable(roots):
            self.predicate = roots
        else:
            for root in roots or ():
                text = os.fspath(root)
                if isinstance(root, Path) or os.sep in text or text.startswith("."):
                    dirs.append(os.path.realpath(text).rstrip(os.sep) + os.sep)
                else:
                    modules.append(text)
        self.dirs = tuple(sorted(set(dirs)))
        self.modules = tuple(sorted(set(modules)))
        # shared by every CodeRoots with these dirs: one is built per world (per example),
        # and the code's files do not move during a run
        self._file_cache = _FILE_CACHES.setdefault(self.dirs, {})

    def __bool__(self) -> bool:
        return bool(self.predicate or self.dirs or self.modules)

    def owns(self, frame: FrameType) -> bool:
        if self.predicate is not None:
            try:
                return bool(self.predicate(frame))
            except Exception:
                return False
        if self.modules:
            name = frame.f_globals.get("__name__", "")
            if isinstance(name, str):
                for prefix in self.modules:
                    if name == prefix or name.startswith(prefix + "."):
                        return True
        if self.dirs:
            filename = frame.f_code.co_filename
            hit = self._file_cache.get(filename)
            if hit is None:
                real = os.path.realpath(filename) if os.path.isabs(filename) else filename
                hit = any(real.startswith(d) for d in self.dirs)
                self._file_cache[filename] = hit
            return hit
        return False


def frame_name(frame: FrameType) -> str:
    """"module:qualname" of one frame."""
    module = frame.f_globals.get("__name__") or Path(frame.f_code.co_filename).stem
    qualname = getattr(frame.f_code, "co_qualname", frame.f_code.co_name)
    return f"{module}:{qualname}"


def _frames(start: FrameType | Sequence[Any] | None) -> Iterator[FrameType]:
    if start is None:
        return
    if isinstance(start, FrameType):
        frame: FrameType | None = start
        while frame is not None:
            yield frame
            frame = frame.f_back
        return
    # A stack as inspect.stack()/traceback gives it, innermost first or last: accept both
    # FrameInfo-like items (with .frame) and raw frames; walk innermost first.
    items = [getattr(item, "frame", item) for item in start]
    if len(items) > 1 and getattr(items[-1], "f_back", None) is items[-2]:
        items.reverse()
    for item in items:
        if isinstance(item, FrameType):
            yield item


def component(frame_or_stack: FrameType | Sequence[Any] | None, roots: Roots | CodeRoots) -> str:
    """The innermost frame owned by `roots`, as "module:function"; "?" if none is."""
    compiled = roots if isinstance(roots, CodeRoots) else CodeRoots(roots)
    if not compiled:
        return UNKNOWN
    for frame in _frames(frame_or_stack):
        if compiled.owns(frame):
            return frame_name(frame)
    return UNKNOWN


def target_roots(target: object) -> tuple[str, ...]:
    """The code roots of a target: its declared `code_roots`, else the packages of its classes.

    A mutant subclasses the reference, so both packages count (`targets.mutants`,
    `targets.reference`); the shared `targets.base` and the harness never do.
    """
    declared = getattr(target, "code_roots", None)
    if declared:
        return tuple(os.fspath(r) for r in declared)
    roots: set[str] = set()
    for cls in type(target).__mro__:
        module = getattr(cls, "__module__", "") or ""
        if not module or module in ("builtins", "abc", "targets.base"):
            continue
        parts = module.split(".")
        roots.add(".".join(parts[:2]) if parts[0] == "targets" and len(parts) > 1 else module)
    return tuple(sorted(roots))


# -- the roots in force, so other observers (the fake Kanboard for CALL events) can ask ----
_global_roots: list[CodeRoots] = []


@contextlib.contextmanager
def using_roots(roots: Roots | CodeRoots) -> Iterator[CodeRoots]:
    """Make `roots` the process-wide roots used by `here()` inside the block."""
    compiled = roots if isinstance(roots, CodeRoots) else CodeRoots(roots)
    _global_roots.append(compiled)
    try:
        yield compiled
    finally:
        with contextlib.suppress(ValueError):
            _global_roots.remove(compiled)


def active_roots() -> CodeRoots | None:
    return _global_roots[-1] if _global_roots else None


def here(skip: int = 1) -> str:
    """Component of the caller's stack under the roots in force (see `using_roots`)."""
    roots = active_roots()
    if roots is None:
        return UNKNOWN
    try:
        frame = sys._getframe(skip)
    except ValueError:
        return UNKNOWN
    return component(frame, roots)
