"""`resolved_below` is `os.path.realpath` (it only skips the lstat calls of a root already
resolved): every path drawn over a tree of folders, files and links resolves alike."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.invariants.base import resolved_below

PARTS = ["a", "b", "f", "up", "loop", "abs", "gone", "..", ".", ""]


def tree(base: Path) -> tuple[str, str]:
    """A root reached through a link (so root and its realpath differ), holding folders, a
    file, links up, out, absolute, dangling and to themselves."""
    real = base / "real-root"
    (real / "a" / "b").mkdir(parents=True, exist_ok=True)
    (real / "a" / "f").write_text("x")
    links = {
        real / "a" / "up": "..",
        real / "a" / "b" / "up": "../..",
        real / "abs": str(base),
        real / "a" / "gone": "nowhere/at/all",
        real / "loop": "loop",
        base / "root": "real-root",
    }
    for link, to in links.items():
        if not os.path.lexists(link):
            os.symlink(to, link)
    return str(base / "root"), os.path.realpath(base / "root")


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(st.sampled_from(PARTS), max_size=6))
def test_it_agrees_with_realpath(tmp_path_factory: pytest.TempPathFactory, parts: list[str]) -> None:
    base = tmp_path_factory.getbasetemp() / "resolve"  # one tree for every example
    base.mkdir(exist_ok=True)
    root, real_root = tree(base)
    path = os.path.join(root, *parts) if parts else root + os.sep
    assert resolved_below(root, real_root, path) == os.path.realpath(path)


def test_outside_the_root_it_is_realpath(tmp_path: Path) -> None:
    root, real_root = tree(tmp_path)
    for path in (str(tmp_path / "real-root" / "a"), "/", str(tmp_path) + "/root-not"):
        assert resolved_below(root, real_root, path) == os.path.realpath(path)

