"""The reference ratchet: locks by resolved path, fail-closed manifest, guarded writes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from targets.reference.context import GuardError
from targets.reference.workspace import MANIFEST, Workspace, manifest_locks


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    root = tmp_path / "home" / "projects" / "demo-app"
    root.mkdir(parents=True)
    workspace = Workspace(root, tmp_path / "state")
    workspace.write("DESIGN.md", "approved design\n")
    workspace.lock("DESIGN.md")
    return workspace


def _design(ws: Workspace) -> str:
    return (ws.root / "DESIGN.md").read_text()


@pytest.mark.parametrize("alias", ["DESIGN.md", "./DESIGN.md", "src/../DESIGN.md", ".//DESIGN.md",
                                   "tests/./../DESIGN.md"])
def test_every_spelling_of_a_locked_path_is_locked(ws: Workspace, alias: str) -> None:
    assert ws.is_locked(alias)
    with pytest.raises(GuardError, match="locked"):
        ws.write(alias, "overwritten\n")
    assert _design(ws) == "approved design\n"


def test_a_deleted_locked_file_cannot_be_recreated(ws: Workspace) -> None:
    (ws.root / "DESIGN.md").unlink()
    with pytest.raises(GuardError, match="locked"):
        ws.write("DESIGN.md", "recreated\n")
    assert not (ws.root / "DESIGN.md").exists()


def test_symlinks_are_refused_whatever_they_point_at(ws: Workspace, tmp_path: Path) -> None:
    (ws.root / "tests").mkdir()
    os.symlink("../DESIGN.md", ws.root / "tests" / "test_a.py")
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside / "x.py", ws.root / "notes.md")
    os.symlink(outside, ws.root / "src")
    for rel in ("tests/test_a.py", "notes.md", "src/app.py"):
        with pytest.raises(GuardError):
            ws.write(rel, "x = 1\n")
    assert _design(ws) == "approved design\n"
    assert list(outside.iterdir()) == []


@pytest.mark.parametrize("rel", ["../escape.md", "/etc/passwd", "", "a\x00b", "src/../../x"])
def test_paths_leaving_the_workspace_are_refused(ws: Workspace, rel: str) -> None:
    with pytest.raises(GuardError):
        ws.write(rel, "x")


@pytest.mark.parametrize("rel", [MANIFEST, ".ratchet/other.json", ".git/config", "./.git/hooks/pre-commit"])
def test_the_ratchet_and_git_cannot_be_written(ws: Workspace, rel: str) -> None:
    with pytest.raises(GuardError, match="protected"):
        ws.write(rel, "{}")


def test_a_corrupt_manifest_refuses_every_write(ws: Workspace) -> None:
    (ws.root / MANIFEST).write_text("{not json")
    for rel in ("DESIGN.md", "src/new.py"):
        with pytest.raises(GuardError, match="corrupt"):
            ws.write(rel, "x")
    with pytest.raises(GuardError):
        ws.lock("DESIGN.md")
    assert manifest_locks(ws.root) == {}


def test_a_deleted_manifest_refuses_writes_while_locks_are_recorded(ws: Workspace, tmp_path: Path) -> None:
    (ws.root / MANIFEST).unlink()
    with pytest.raises(GuardError, match="missing"):
        ws.write("DESIGN.md", "x")
    # The card's own records alone are enough (another runner's state dir, say).
    fresh = Workspace(ws.root, tmp_path / "other-state", {"DESIGN.md": "0" * 64})
    with pytest.raises(GuardError, match="missing"):
        fresh.write("src/app.py", "x")


def test_a_manifest_that_forgot_a_lock_refuses_writes(ws: Workspace) -> None:
    (ws.root / MANIFEST).write_text('{"version": 1, "locks": {}}')
    with pytest.raises(GuardError, match="disagrees"):
        ws.write("DESIGN.md", "x")


def test_a_fresh_workspace_writes_atomically(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "w", tmp_path / "state")
    (tmp_path / "w").mkdir()
    path = ws.write("tests/test_a.py", "assert True\n")
    assert path.read_text() == "assert True\n"
    assert sorted(p.name for p in (tmp_path / "w" / "tests").iterdir()) == ["test_a.py"]
    assert not ws.is_locked("tests/test_a.py")


def test_the_ratchet_only_tightens(ws: Workspace) -> None:
    first = manifest_locks(ws.root)["DESIGN.md"]
    (ws.root / "DESIGN.md").write_text("edited by a human\n")
    assert ws.lock("DESIGN.md") == first
    assert manifest_locks(ws.root) == {"DESIGN.md": first}


def test_a_symlinked_workspace_root_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    os.symlink(real, tmp_path / "link")
    with pytest.raises(GuardError, match="symlink"):
        Workspace(tmp_path / "link", tmp_path / "state").write("DESIGN.md", "x")
