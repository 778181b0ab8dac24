"""An example's sandbox is removed off the example's path, and nothing is left behind."""

from __future__ import annotations

import os
from pathlib import Path

from harness import trash
from harness.world import World
from targets.registry import get_target


def test_a_discarded_tree_leaves_at_once_and_is_gone_after_flush(tmp_path: Path) -> None:
    tree = tmp_path / "alfuzz-x"
    (tree / "a" / "b").mkdir(parents=True)
    (tree / "a" / "b" / "f").write_text("x")
    os.symlink("/", tree / "a" / "root-link")  # removed as a link, never followed
    trash.discard(tree)
    assert not tree.exists()
    trash.flush()
    assert not any(Path(trash._state["dir"]).iterdir())  # type: ignore[arg-type]
    assert Path("/").exists() and os.listdir("/")


def test_a_closed_world_leaves_no_sandbox() -> None:
    world = World(get_target("reference"))
    root = world.root
    (world.home / "projects" / "p").mkdir()
    world.close()
    assert not root.exists()
    trash.flush()
    assert not (Path(trash._state["dir"]) / root.name).exists()  # type: ignore[arg-type]
