"""What every reference agent receives, so agents stay pure of entrypoint concerns.

The runner (webhook, orchestrator, poller, CLI) has already passed the gate and taken the
card's lease when an agent gets this; the agent only does its work through these handles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from harness.journal import Journal
from targets.base import LLM, KanboardClient


class GuardError(Exception):
    """A write the ratchet or the path rules refuse; the runner reports it on the card."""


class Workspace(Protocol):
    """The only way reference agents touch a card's files (targets/reference/workspace.py)."""

    root: Path

    def path(self, rel: str) -> Path:
        """Validated absolute path for `rel` (no absolute, no `..`, resolves inside root)."""
        ...

    def read(self, rel: str) -> str: ...

    def exists(self, rel: str) -> bool: ...

    def write(self, rel: str, content: str) -> Path:
        """Guarded atomic write: refuses locked (by resolved path, even if missing), symlinks,
        escapes and a corrupt/missing manifest when locks are expected; raises GuardError."""
        ...

    def is_locked(self, rel: str) -> bool: ...

    def lock(self, rel: str) -> str:
        """Record `rel` as locked with its current sha256 (returned)."""
        ...


@dataclass
class AgentContext:
    kb: KanboardClient  # the client of the runner executing this agent
    project_id: int
    task: dict[str, Any]  # getTask result at dispatch time
    metadata: dict[str, str]  # getTaskMetadata at dispatch time
    workspace: Workspace
    llm: LLM
    journal: Journal
    tmp: Path  # sandbox temp: scratch copies live here
    fanout_cap: int = 20
    columns: dict[str, int] = field(default_factory=dict)  # column title -> id
    # Added by the runner (optional for agents that do not need them):
    fields: dict[str, str] = field(default_factory=dict)  # dirname, context_mode, ... as read
    column: str = ""  # title of the card's column at dispatch


@dataclass
class AgentResult:
    ok: bool
    message: str = ""  # shown on the card as a comment when not ok
    data: dict[str, Any] = field(default_factory=dict)
