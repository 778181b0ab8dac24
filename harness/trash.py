"""Removing an example's sandbox off the example's path: on this kind of disk a tree's rmdirs
cost more than a short example's steps, so `discard` renames the tree into a trash folder
(one syscall) and a background thread removes it; `flush` waits for the thread (at exit, and
for tests that count what is left)."""

from __future__ import annotations

import atexit
import os
import queue
import shutil
import tempfile
import threading
from pathlib import Path

from harness.scratch import sandbox_base

_queue: queue.Queue[Path] = queue.Queue()
_lock = threading.Lock()
_state: dict[str, object] = {}


def _trash() -> Path:
    """This process's trash folder (beside the sandboxes, so a rename never crosses disks);
    made on first use, and again after a fork."""
    with _lock:
        if _state.get("pid") != os.getpid():
            _state["pid"] = os.getpid()
            _state["dir"] = Path(tempfile.mkdtemp(prefix="alfuzz-trash-", dir=sandbox_base()))
            threading.Thread(target=_remove_forever, name="alfuzz-trash", daemon=True).start()
            atexit.register(_empty)
        return _state["dir"]  # type: ignore[return-value]


def _remove_forever() -> None:
    while True:
        tree = _queue.get()
        try:
            shutil.rmtree(tree, ignore_errors=True)
        finally:
            _queue.task_done()


def discard(tree: Path) -> None:
    """Remove `tree` soon, off this thread; at once when it cannot be moved (another disk)."""
    trash = _trash()
    moved = trash / tree.name  # unique: a mkdtemp name
    try:
        os.rename(tree, moved)
    except OSError:
        shutil.rmtree(tree, ignore_errors=True)
        return
    _queue.put(moved)


def flush() -> None:
    """Wait until every tree discarded so far is gone."""
    if _state.get("pid") == os.getpid():
        _queue.join()


def _empty() -> None:
    """At exit: the last trees, then the trash folder itself."""
    flush()
    trash = _state.get("dir")
    if _state.get("pid") == os.getpid() and isinstance(trash, Path):
        shutil.rmtree(trash, ignore_errors=True)
