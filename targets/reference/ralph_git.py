"""Real git for Ralph, run so that nothing of the card or the repository can steer it.

Every command is an argv list with a fixed prefix: no shell, hooks and fsmonitor disabled,
no global or system config, no repository discovery above the workspace, identity given on
the command line. Paths are always passed after `--`.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

IDENTITY = ("-c", "user.name=Ralph (reference)", "-c", "user.email=ralph@reference.invalid")
SAFE_CONFIG = ("-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false",
               "-c", "commit.gpgSign=false", "-c", "core.quotePath=false")

FIXED_DATE = "2000-01-01T00:00:00+0000"


class GitError(Exception):
    """A git command failed; the message carries its output."""


class Git:
    """git in one workspace, with a sandboxed environment."""

    def __init__(self, root: Path, home: Path, timeout: float = 30.0) -> None:
        self.root = root
        self.timeout = timeout
        home.mkdir(parents=True, exist_ok=True)
        self.env = {
            "PATH": os.environ.get("PATH", os.defpath),
            "HOME": str(home),
            "LANG": "C.UTF-8",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CEILING_DIRECTORIES": str(root.parent),
            "GIT_TERMINAL_PROMPT": "0",
            # fixed dates: the same run gives the same commit ids (the harness replays runs)
            "GIT_AUTHOR_DATE": FIXED_DATE,
            "GIT_COMMITTER_DATE": FIXED_DATE,
        }

    def run(self, *args: str, check: bool = True, stdin: bytes | None = None
            ) -> subprocess.CompletedProcess[bytes]:
        argv = ["git", *SAFE_CONFIG, *args]
        proc = subprocess.run(argv, cwd=self.root, env=self.env, capture_output=True, input=stdin,
                              timeout=self.timeout, check=False)
        if check and proc.returncode != 0:
            out = (proc.stderr or proc.stdout).decode("utf-8", "replace").strip()
            raise GitError(f"git {args[0]} failed: {out[-500:]}")
        return proc

    def text(self, *args: str) -> str:
        return self.run(*args).stdout.decode("utf-8", "replace")

    # -- repository -----------------------------------------------------------------------
    def ensure_repo(self) -> None:
        """The workspace's own repository (created when the core's init did not happen)."""
        dot_git = self.root / ".git"
        if dot_git.is_symlink() or (dot_git.exists() and not dot_git.is_dir()):
            raise GitError(".git is not a plain directory; refusing to use it")
        if not dot_git.exists():
            self.run("init", "-q")
        top = self.text("rev-parse", "--show-toplevel").strip()
        if Path(top).resolve() != self.root.resolve():
            raise GitError(f"the workspace is not the top of its repository ({top})")

    def head(self) -> tuple[str, str]:
        """(symbolic ref, commit or "") of HEAD; "" for an unborn branch."""
        ref = self.run("symbolic-ref", "-q", "HEAD", check=False).stdout.decode().strip()
        sha = self.run("rev-parse", "-q", "--verify", "HEAD", check=False).stdout.decode().strip()
        return ref, sha

    # -- the one commit Ralph makes -------------------------------------------------------
    def commit_only(self, rel: str, message: str) -> str:
        """Stage and commit exactly `rel` (explicit pathspec); returns HEAD after it."""
        self.run("add", "--", rel)
        staged = self.run("diff", "--cached", "--quiet", "--", rel, check=False)
        if staged.returncode != 0:
            self.run(*IDENTITY, "commit", "-q", "--no-verify", "--only", "-m", message, "--", rel)
        return self.head()[1]

    def changed_in(self, commit: str) -> list[str]:
        """Paths a commit touches (a root commit: every path it adds)."""
        out = self.text("show", "--name-only", "--no-renames", "--pretty=format:", "-z", commit)
        return sorted(p for p in out.split("\0") if p.strip())
