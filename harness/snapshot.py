"""Content snapshots of directory trees and the git state of a workspace.

The audit hook sees only this interpreter; a subprocess (pytest run by Ralph, `git`, code the
model wrote) raises no event here. Comparing content snapshots and git state before and
after a step catches whatever any process did to the files.
"""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

# Never part of a snapshot: caches any Python run writes, and git's own database (git state
# is compared through git, below).
DEFAULT_IGNORE = frozenset({"__pycache__", ".pytest_cache", ".git"})

SYMLINK = "symlink:"
SPECIAL = "special:"
DIRECTORY = "dir"


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(65536), b""):
            digest.update(block)
    return digest.hexdigest()


def file_state(path: str | Path) -> str | None:
    """What is at `path` without following a final symlink: sha256 hex of a regular file,
    "symlink:<target>", "dir", "special:<mode>", or None when nothing is there."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    if stat.S_ISLNK(st.st_mode):
        try:
            return SYMLINK + os.readlink(path)
        except OSError:
            return SYMLINK
    if stat.S_ISDIR(st.st_mode):
        return DIRECTORY
    if stat.S_ISREG(st.st_mode):
        try:
            return sha256_file(path)
        except OSError:
            return SPECIAL + "unreadable"
    return SPECIAL + oct(stat.S_IFMT(st.st_mode))


def snapshot(root: str | Path, ignore: Iterable[str] = DEFAULT_IGNORE) -> dict[str, str]:
    """rel posix path -> file_state for every file and symlink under `root`.

    Symlinked directories are recorded as links and never entered, so a link out of the
    tree cannot pull outside files in. A root that is itself a symlink is recorded as "."; a
    missing root gives {}. Directories are not entries (empty directories do not count).
    """
    ignored = frozenset(ignore)
    top = os.fspath(root)
    state = file_state(top)
    if state is None:
        return {}
    if state != DIRECTORY:
        return {".": state}
    result: dict[str, str] = {}
    pending = [("", top)]
    while pending:
        rel_dir, abs_dir = pending.pop()
        try:
            entries = list(os.scandir(abs_dir))
        except OSError:
            continue
        for entry in entries:
            if entry.name in ignored or entry.name.endswith(".pyc"):
                continue
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_dir = False
            if is_dir:
                pending.append((rel, entry.path))
                continue
            entry_state = file_state(entry.path)
            if entry_state is not None:
                result[rel] = entry_state
    return dict(sorted(result.items()))


@dataclass(frozen=True)
class SnapshotDiff:
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    def paths(self) -> tuple[str, ...]:
        return tuple(sorted(self.added + self.removed + self.changed))

    def describe(self) -> str:
        parts = []
        for word, items in (("added", self.added), ("removed", self.removed), ("changed", self.changed)):
            if items:
                parts.append(f"{word} {', '.join(items)}")
        return "; ".join(parts) or "no change"


def diff(before: Mapping[str, str], after: Mapping[str, str]) -> SnapshotDiff:
    return SnapshotDiff(
        added=tuple(sorted(set(after) - set(before))),
        removed=tuple(sorted(set(before) - set(after))),
        changed=tuple(sorted(p for p in set(before) & set(after) if before[p] != after[p])),
    )


# -- git ----------------------------------------------------------------------------------
def git_env(home: str | Path | None = None) -> dict[str, str]:
    """An environment isolated from the real home and from any enclosing repository."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.fspath(home) if home is not None else os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_OPTIONAL_LOCKS": "0",  # observing must not rewrite the index
        "LC_ALL": "C",
    }
    return env


def git(ws: str | Path, *args: str, check: bool = False) -> subprocess.CompletedProcess[bytes]:
    """Run real git in `ws` with an argv list and the isolated environment."""
    ws = os.fspath(ws)
    env = git_env()
    env["GIT_CEILING_DIRECTORIES"] = os.path.dirname(os.path.realpath(ws))
    return subprocess.run(["git", "-C", ws, *args], env=env, capture_output=True, check=check)


def is_repo(ws: str | Path) -> bool:
    return os.path.isdir(os.path.join(ws, ".git"))


def _z(out: bytes) -> list[str]:
    return [os.fsdecode(p) for p in out.split(b"\0") if p]


def _pathspec(prefix: str) -> list[str]:
    prefix = prefix.strip("/")
    return ["--", f":(top){prefix}"] if prefix else []


def git_head(ws: str | Path) -> str | None:
    """The commit HEAD names, or None (not a repository, or no commit yet)."""
    if not is_repo(ws):
        return None
    res = git(ws, "rev-parse", "--verify", "-q", "HEAD^{commit}")
    if res.returncode != 0:
        return None
    return res.stdout.decode().strip() or None


def _name_status(ws: str | Path, *args: str) -> dict[str, str]:
    if not is_repo(ws):
        return {}
    res = git(ws, *args)
    if res.returncode != 0:
        return {}
    fields = _z(res.stdout)
    return {fields[i + 1]: fields[i] for i in range(0, len(fields) - 1, 2)}


def git_staged(ws: str | Path, prefix: str = "") -> dict[str, str]:
    """Path -> status letter of changes staged in the index (vs HEAD) under `prefix`."""
    return _name_status(ws, "diff", "--cached", "--no-renames", "--name-status", "-z", *_pathspec(prefix))


def git_unstaged(ws: str | Path, prefix: str = "") -> dict[str, str]:
    """Path -> status of working-tree changes not staged (vs the index), untracked as "?"."""
    changes = _name_status(ws, "diff", "--no-renames", "--name-status", "-z", *_pathspec(prefix))
    if is_repo(ws):
        res = git(ws, "ls-files", "--others", "--exclude-standard", "-z", *_pathspec(prefix))
        if res.returncode == 0:
            for path in _z(res.stdout):
                changes.setdefault(path, "?")
    return {p: s for p, s in sorted(changes.items()) if not _cache_path(p)}


def _cache_path(path: str) -> bool:
    parts = path.split("/")
    return any(p in DEFAULT_IGNORE for p in parts) or path.endswith(".pyc")


@dataclass(frozen=True)
class GitStatus:
    """HEAD and the exact porcelain-v2 records (staged, unstaged, untracked) under a prefix."""

    head: str | None
    entries: frozenset[tuple[str, str]]  # (path, record without the path)

    def new_since(self, before: GitStatus) -> list[tuple[str, str]]:
        return sorted(self.entries - before.entries)


def git_status(ws: str | Path, prefix: str = "") -> GitStatus:
    if not is_repo(ws):
        return GitStatus(None, frozenset())
    res = git(ws, "status", "--porcelain=v2", "--branch", "-z", "--no-renames",
              "--untracked-files=all", *_pathspec(prefix))
    head: str | None = None
    entries: set[tuple[str, str]] = set()
    for record in _z(res.stdout):
        if record.startswith("# branch.oid "):
            oid = record.split(" ", 2)[2]
            head = None if oid == "(initial)" else oid
            continue
        if record.startswith("#"):
            continue
        kind = record[:1]
        if kind in ("?", "!"):
            path, rest = record[2:], kind
        else:
            # "1 XY sub mH mI mW hH hI path", "u XY sub m1 m2 m3 mW h1 h2 h3 path"
            parts = record.split(" ", {"1": 8, "2": 9, "u": 10}.get(kind, 8))
            path, rest = parts[-1], " ".join(parts[:-1])
        if not _cache_path(path):
            entries.add((path, rest))
    return GitStatus(head, frozenset(entries))


@dataclass(frozen=True)
class Commit:
    sha: str
    paths: tuple[str, ...]  # repository-relative paths the commit touches (vs each parent)

    def touches(self, prefix: str) -> tuple[str, ...]:
        prefix = prefix.strip("/")
        return tuple(p for p in self.paths if p == prefix or p.startswith(prefix + "/"))


def git_refs(ws: str | Path) -> dict[str, str]:
    """Every ref (branches, tags, HEAD) -> commit sha."""
    if not is_repo(ws):
        return {}
    refs: dict[str, str] = {}
    res = git(ws, "for-each-ref", "--format=%(objectname) %(refname)")
    for line in res.stdout.decode(errors="replace").splitlines():
        sha, _, name = line.partition(" ")
        if sha and name:
            refs[name] = sha
    head = git_head(ws)
    if head:
        refs["HEAD"] = head
    return dict(sorted(refs.items()))


def _commits(ws: str | Path, revs: list[str]) -> list[Commit]:
    if not revs or not is_repo(ws):
        return []
    res = git(ws, "rev-list", "--topo-order", "--reverse", *revs, "--")
    if res.returncode != 0:
        return []
    commits = []
    for sha in res.stdout.decode().split():
        touched = git(ws, "diff-tree", "-r", "-m", "--root", "--no-commit-id", "--no-renames",
                      "--name-only", "-z", sha)
        commits.append(Commit(sha, tuple(sorted(set(_z(touched.stdout))))))
    return commits


def commits_between(ws: str | Path, old: str | None, new: str | None) -> list[Commit]:
    """Commits reachable from `new` but not from `old` (all of `new`'s when old is None)."""
    if not new:
        return []
    return _commits(ws, [new] + ([f"^{old}"] if old else []))


def new_commits(ws: str | Path, old_refs: Iterable[str], new_refs: Iterable[str]) -> list[Commit]:
    """Commits reachable from any of `new_refs` and from none of `old_refs` (any branch)."""
    new = sorted(set(new_refs))
    old = sorted(set(old_refs))
    return _commits(ws, new + [f"^{sha}" for sha in old]) if new else []
