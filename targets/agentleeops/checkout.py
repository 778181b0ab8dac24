"""What an AgentLeeOps checkout is, read from its files before anything of it is imported.

The two commits we drive differ in board, triggers and modules; detecting the layout from the
files (not from a hard-coded path) lets the same adapter drive any extracted tree, and lets a
wrong path fail with one line before any of its code runs.
"""

from __future__ import annotations

import ast
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from targets import base
from targets.registry import TargetError


class AdapterError(TargetError):
    """A checkout the adapter cannot drive; the message is one line saying why.

    A TargetError, so the CLI and the pytest plugin print it as the one line it is."""


# Files every AgentLeeOps checkout we know has; their absence means "not a checkout".
REQUIRED_FILES = ("orchestrator.py", "webhook_server.py", "agents/__init__.py", "lib/task_fields.py")

# Its trigger actions (orchestrator.TRIGGERS values) in our agent names.
ACTION_AGENTS = {
    "ARCHITECT_AGENT": base.ARCHITECT,
    "GOVERNANCE_AGENT": base.GOVERNANCE,
    "PM_AGENT": base.PM,
    "SPAWNER_AGENT": base.SPAWNER,
    "TEST_AGENT": base.TEST,
    "TEST_CODE_AGENT": base.TEST_CODE,
    "RALPH_CODER": base.RALPH,
    "CODE_REVIEW_AGENT": base.CODE_REVIEW,
}

BA02D79 = "ba02d79"  # 10 columns ending "9. Final Review", "10. Done"; governance locks tests
HEAD = "0237472"  # 11 columns with "9. Code Review"; test-code and code-review agents

# The boards as their setup-board.py creates them, used only when that file is absent.
KNOWN_BOARDS = {
    BA02D79: (
        "1. Inbox", "2. Design Draft", "3. Design Approved", "4. Planning Draft",
        "5. Plan Approved", "6. Tests Draft", "7. Tests Approved", "8. Ralph Loop",
        "9. Final Review", "10. Done",
    ),
    HEAD: (
        "1. Inbox", "2. Design Draft", "3. Design Approved", "4. Planning Draft",
        "5. Plan Approved", "6. Tests Draft", "7. Tests Approved", "8. Ralph Loop",
        "9. Code Review", "10. Final Review", "11. Done",
    ),
}


@dataclass(frozen=True)
class Checkout:
    """A checkout's identity: where it is, which layout, its board and triggers."""

    path: Path
    layout: str  # BA02D79 or HEAD
    version: str  # the git commit when the tree has a .git, else the detected layout
    columns: tuple[str, ...]
    actions: dict[str, str]  # column title -> its action name (orchestrator.TRIGGERS)

    @property
    def triggers(self) -> dict[str, str]:
        """Column title -> our agent name."""
        return {column: ACTION_AGENTS[action] for column, action in self.actions.items()}


_INSPECTED: dict[tuple[str, tuple[int, ...]], Checkout] = {}


def inspect_once(path: str | Path) -> Checkout:
    """`inspect`, once per process while the checkout's files stay as they were: every example
    builds a target, and parsing its sources and asking git each time costs a step's worth."""
    raw = str(path)
    root = Path(raw).expanduser()
    stamp = []
    for rel in ("orchestrator.py", "setup-board.py", ".git/HEAD"):
        try:
            stamp.append((root / rel).stat().st_mtime_ns)
        except OSError:
            stamp.append(-1)
    key = (raw, tuple(stamp))
    if key not in _INSPECTED:
        _INSPECTED[key] = inspect(path)
    return _INSPECTED[key]


def inspect(path: str | Path) -> Checkout:
    """Read a checkout's layout from its files; AdapterError (one line) when it is not one."""
    raw = str(path)
    if not raw.strip():
        raise AdapterError("AgentLeeOps path is empty: give --agentleeops-path or AGENTLEEOPS_PATH")
    root = Path(raw).expanduser()
    if not root.exists():
        raise AdapterError(f"AgentLeeOps path {raw} does not exist")
    if not root.is_dir():
        raise AdapterError(f"AgentLeeOps path {raw} is not a directory")
    root = root.resolve()
    missing = [rel for rel in REQUIRED_FILES if not (root / rel).is_file()]
    if missing:
        raise AdapterError(
            f"{root} is not an AgentLeeOps checkout (missing {', '.join(missing)})"
        )
    actions = _literal(root / "orchestrator.py", "TRIGGERS")
    if not isinstance(actions, dict) or not actions:
        raise AdapterError(f"{root}/orchestrator.py has no TRIGGERS dict literal")
    unknown = sorted(str(a) for a in actions.values() if a not in ACTION_AGENTS)
    if unknown:
        raise AdapterError(f"{root}/orchestrator.py TRIGGERS names unknown agents: {', '.join(unknown)}")
    layout = _layout(root, actions)
    columns = _columns(root, layout)
    off_board = [c for c in actions if c not in columns]
    if off_board:
        raise AdapterError(f"{root}: TRIGGERS columns not on its board: {', '.join(off_board)}")
    return Checkout(
        path=root,
        layout=layout,
        version=_git_commit(root) or (BA02D79 if layout == BA02D79 else f"{HEAD}-layout"),
        columns=columns,
        actions={str(k): str(v) for k, v in actions.items()},
    )


def _layout(root: Path, actions: dict[Any, Any]) -> str:
    has_review = (root / "agents" / "code_review.py").is_file()
    has_workitem = (root / "lib" / "workitem").is_dir()
    if has_review and has_workitem and actions.get("9. Code Review") == "CODE_REVIEW_AGENT":
        return HEAD
    if not has_review and actions.get("7. Tests Approved") == "GOVERNANCE_AGENT":
        return BA02D79
    raise AdapterError(
        f"{root}: unrecognised AgentLeeOps layout (known: {BA02D79} with 10 columns, "
        f"{HEAD} with agents/code_review.py and lib/workitem)"
    )


def _columns(root: Path, layout: str) -> tuple[str, ...]:
    """Its board as setup-board.py defines it (COLUMNS = [(title, limit), ...])."""
    setup = root / "setup-board.py"
    if setup.is_file():
        value = _literal(setup, "COLUMNS")
        if isinstance(value, list) and value and all(
            isinstance(c, tuple) and c and isinstance(c[0], str) for c in value
        ):
            return tuple(c[0] for c in value)
    return KNOWN_BOARDS[layout]


def _literal(path: Path, name: str) -> Any:
    """The value of a top-level `NAME = <literal>` in a source file, without running it."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except SyntaxError as exc:
        raise AdapterError(f"cannot parse {path}: SyntaxError: {exc.msg} (line {exc.lineno})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AdapterError(f"cannot read {path}: {exc}") from None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            try:
                return ast.literal_eval(node.value)
            except ValueError:
                return None
    return None


def _git_commit(root: Path) -> str | None:
    if not (root / ".git").exists():
        return None
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True, text=True, timeout=10, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and commit else None
