"""Snapshots and git state: what a subprocess did to a workspace, seen without audit events."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from harness.snapshot import (
    commits_between,
    diff,
    file_state,
    git,
    git_env,
    git_head,
    git_refs,
    git_staged,
    git_status,
    git_unstaged,
    new_commits,
    sha256_file,
    snapshot,
)


def sh(ws: Path, *args: str) -> None:
    env = git_env() | {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t",
                       "GIT_COMMITTER_EMAIL": "t@x", "GIT_CEILING_DIRECTORIES": str(ws.parent)}
    subprocess.run(["git", *args], cwd=ws, env=env, check=True, capture_output=True)


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    (ws / "tests").mkdir(parents=True)
    (ws / "src").mkdir()
    (ws / "tests" / "test_a.py").write_text("def test_a(): pass\n")
    (ws / "src" / "a.py").write_text("A = 1\n")
    sh(ws, "init", "-q", "-b", "main")
    sh(ws, "add", "-A")
    sh(ws, "commit", "-q", "-m", "start")
    return ws


def test_snapshot_hashes_files_records_symlinks_and_skips_caches(tmp_path: Path):
    root = tmp_path / "t"
    (root / "sub" / "__pycache__").mkdir(parents=True)
    (root / "a.txt").write_text("a")
    (root / "sub" / "b.txt").write_text("b")
    (root / "sub" / "__pycache__" / "b.pyc").write_bytes(b"x")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("s")
    os.symlink(outside, root / "link-out")
    os.symlink("a.txt", root / "alias")
    snap = snapshot(root)
    assert snap == {
        "a.txt": sha256_file(root / "a.txt"),
        "alias": "symlink:a.txt",
        "link-out": f"symlink:{outside}",
        "sub/b.txt": sha256_file(root / "sub" / "b.txt"),
    }
    assert snapshot(tmp_path / "missing") == {}
    os.symlink(outside, tmp_path / "t-link")
    assert snapshot(tmp_path / "t-link") == {".": f"symlink:{outside}"}


def test_diff_names_added_removed_and_changed():
    before = {"a": "1", "b": "2", "c": "3"}
    after = {"a": "1", "b": "9", "d": "4"}
    change = diff(before, after)
    assert (change.added, change.removed, change.changed) == (("d",), ("c",), ("b",))
    assert change.describe() == "added d; removed c; changed b"
    assert not diff(before, dict(before))


def test_file_state_does_not_follow_a_final_symlink(tmp_path: Path):
    (tmp_path / "f").write_text("x")
    os.symlink("f", tmp_path / "l")
    assert file_state(tmp_path / "f") == sha256_file(tmp_path / "f")
    assert file_state(tmp_path / "l") == "symlink:f"
    assert file_state(tmp_path / "nothing") is None
    assert file_state(tmp_path) == "dir"


def test_git_staged_unstaged_and_untracked_under_a_prefix(repo: Path):
    assert git_staged(repo, "tests") == {} and git_unstaged(repo, "tests") == {}
    (repo / "tests" / "test_a.py").write_text("def test_a(): assert False\n")
    (repo / "tests" / "test_new.py").write_text("")
    (repo / "src" / "a.py").write_text("A = 2\n")
    assert git_unstaged(repo, "tests") == {"tests/test_a.py": "M", "tests/test_new.py": "?"}
    assert git_staged(repo, "tests") == {}
    sh(repo, "add", "tests/test_a.py")
    assert git_staged(repo, "tests") == {"tests/test_a.py": "M"}
    assert git_unstaged(repo, "tests") == {"tests/test_new.py": "?"}
    assert git_unstaged(repo, "src") == {"src/a.py": "M"}


def test_git_status_records_tell_a_staged_edit_from_an_unstaged_one(repo: Path):
    (repo / "tests" / "test_a.py").write_text("changed\n")
    unstaged = git_status(repo, "tests")
    sh(repo, "add", ".")
    staged = git_status(repo, "tests")
    assert unstaged.head == staged.head == git_head(repo)
    assert staged.new_since(unstaged)  # same path, a different record: the stray `git add .`
    assert git_status(repo, "tests").new_since(staged) == []


def test_commits_between_heads_and_on_any_branch_with_the_paths_they_touch(repo: Path):
    start = git_head(repo)
    refs = git_refs(repo)
    (repo / "src" / "a.py").write_text("A = 3\n")
    sh(repo, "commit", "-q", "-am", "src only")
    sh(repo, "checkout", "-q", "-b", "side")
    (repo / "tests" / "test_a.py").write_text("weakened\n")
    sh(repo, "commit", "-q", "-am", "touch tests")
    sh(repo, "checkout", "-q", "main")
    between = commits_between(repo, start, git_head(repo))
    assert [c.paths for c in between] == [("src/a.py",)]
    everywhere = new_commits(repo, refs.values(), git_refs(repo).values())
    assert [c.touches("tests") for c in everywhere] == [(), ("tests/test_a.py",)]
    assert len(commits_between(repo, None, start)) == 1


def test_git_helpers_on_a_plain_directory_and_isolation_from_the_real_home(tmp_path: Path):
    assert git_head(tmp_path) is None and git_staged(tmp_path) == {} and git_refs(tmp_path) == {}
    env = git_env()
    assert env["HOME"] == os.devnull and env["GIT_CONFIG_GLOBAL"] == os.devnull
    assert git(tmp_path, "config", "--global", "--list").stdout == b""
