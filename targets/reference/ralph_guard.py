"""Ralph's test guard: a snapshot of tests/ that no change can slip past, and its restore.

The snapshot holds every entry under tests/ by content hash (files, symlinks, directories),
the index entries git has staged for tests/, and git's status of tests/ (staged, unstaged,
untracked). Looking only at `git diff --cached` misses unstaged edits and new files; hashing
only misses a change staged with identical content. Two snapshots compare equal only if
nothing under tests/ changed in any of these ways.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path

from targets.reference.ralph_git import Git

TESTS = "tests"


@dataclass(frozen=True)
class TestSnapshot:
    __test__ = False  # not a pytest test class

    entries: tuple[tuple[str, str, str], ...]  # (relative path, kind, digest), sorted
    index: tuple[str, ...]  # `git ls-files -s` records for tests/
    status: tuple[str, ...]  # `git status --porcelain` records for tests/
    contents: dict[str, bytes] = field(default_factory=dict, compare=False, repr=False)
    links: dict[str, str] = field(default_factory=dict, compare=False, repr=False)


def _walk(root: Path) -> tuple[list[tuple[str, str, str]], dict[str, bytes], dict[str, str]]:
    entries: list[tuple[str, str, str]] = []
    contents: dict[str, bytes] = {}
    links: dict[str, str] = {}
    pending = [TESTS]
    while pending:
        rel = pending.pop()
        path = root / rel
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(info.st_mode):
            target = os.readlink(path)
            links[rel] = target
            entries.append((rel, "symlink", target))
        elif stat.S_ISDIR(info.st_mode):
            entries.append((rel, "dir", ""))
            pending.extend(f"{rel}/{name}" for name in sorted(os.listdir(path)))
        elif stat.S_ISREG(info.st_mode):
            data = path.read_bytes()
            contents[rel] = data
            entries.append((rel, "file", hashlib.sha256(data).hexdigest()))
        else:
            entries.append((rel, "special", oct(info.st_mode)))
    return sorted(entries), contents, links


def snapshot(root: Path, git: Git) -> TestSnapshot:
    """Content hashes of everything under tests/ plus git's index and status for tests/."""
    entries, contents, links = _walk(root)
    index = git.text("ls-files", "-s", "-z", "--", TESTS).split("\0")
    status = git.text("status", "--porcelain=v1", "-z", "--untracked-files=all",
                      "--ignored=matching", "--", TESTS).split("\0")
    return TestSnapshot(tuple(entries), tuple(r for r in index if r),
                        tuple(r for r in status if r), contents, links)


def staged_test_changes(git: Git) -> list[str]:
    """What `git diff --cached` shows under tests/ (the weaker check AgentLeeOps uses)."""
    out = git.text("diff", "--cached", "--name-only", "-z", "--", TESTS)
    return [p for p in out.split("\0") if p]


def _remove(path: Path) -> None:
    if path.is_symlink() or not path.is_dir():
        path.unlink()
    else:
        def _writable(func, p, _exc):  # hostile code may have made entries read-only
            with contextlib.suppress(OSError):
                os.chmod(os.path.dirname(p), 0o700)
                os.chmod(p, 0o700)
            func(p)

        shutil.rmtree(path, onerror=_writable)


def restore(root: Path, git: Git, baseline: TestSnapshot) -> bool:
    """Put tests/ back as `baseline` recorded it (files, links, index); True when it matches.

    Only reached when something already changed tests/ behind Ralph's back, so the locked
    tests get their recorded bytes back rather than whatever the change left.
    """
    wanted = {rel: kind for rel, kind, _ in baseline.entries}
    current, _, _ = _walk(root)
    for rel, kind, _ in sorted(current, key=lambda e: -e[0].count("/")):
        if wanted.get(rel) != kind or (kind == "symlink" and os.readlink(root / rel) != baseline.links[rel]):
            with contextlib.suppress(FileNotFoundError):
                _remove(root / rel)
    for rel, kind, digest in sorted(baseline.entries):
        path = root / rel
        if kind == "dir":
            path.mkdir(exist_ok=True)
        elif kind == "symlink" and not path.is_symlink():
            os.symlink(baseline.links[rel], path)
        elif kind == "file":
            data = baseline.contents[rel]
            if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != digest:
                tmp = path.with_name(f".{path.name}.ralph-restore")
                tmp.write_bytes(data)
                os.replace(tmp, path)
    if snapshot(root, git).index != baseline.index:
        git.run("rm", "-r", "-q", "--cached", "--ignore-unmatch", "--", TESTS)
        if baseline.index:
            records = "".join(f"{r}\0" for r in baseline.index).encode()
            if git.run("update-index", "-z", "--index-info", stdin=records, check=False).returncode:
                return False
    return snapshot(root, git) == baseline

