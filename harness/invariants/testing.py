"""A small hand-built world for exercising checkers: the real fake Kanboard, a real sandbox
directory, the audit hook, and a minimal target whose ratchet is a JSON manifest.

Checker tests build exactly the situation an invariant speaks of (a write to a locked file,
two runs in one epoch, ...) with this, so every check is shown failing and passing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.audit import AuditRecorder
from harness.invariants.base import Checker
from harness.journal import HUMAN_ACTOR, STEP, Journal, acting_as
from harness.kanboard import FakeKanboard
from harness.violation import Violation
from targets.base import Target, WebhookRequest, WebhookResponse

MANIFEST = ".locks.json"


class MiniTarget(Target):
    """Declarations only (workspaces, manifest, cap); the test itself plays the system."""

    name = "mini"
    columns = (
        "1. Inbox", "2. Design Draft", "3. Design Approved", "4. Planning Draft",
        "5. Plan Approved", "6. Tests Draft", "7. Tests Approved", "8. Ralph Loop",
        "9. Code Review", "10. Final Review", "11. Done",
    )
    triggers = {"5. Plan Approved": "spawner", "8. Ralph Loop": "ralph"}
    lock_manifest = MANIFEST

    def __init__(self, home: Path, fanout_cap: int = 20, state_roots: Sequence[Path] = ()) -> None:
        super().__init__()
        self.home = home
        self.fanout_cap = fanout_cap
        self.state_roots = tuple(state_roots)

    def workspace(self, dirname: str) -> Path:
        return self.home / "projects" / dirname

    def locked_artifacts(self, workspace: Path) -> dict[str, str]:
        try:
            doc = json.loads((Path(workspace) / MANIFEST).read_text())
            return {str(k): str(v) for k, v in doc["locks"].items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return {}

    def deliver_webhook(self, request: WebhookRequest) -> WebhookResponse:
        raise NotImplementedError("the test plays the system")

    def handle_event(self, event: Mapping[str, Any]) -> None:
        raise NotImplementedError("the test plays the system")

    def orchestrator_pass(self) -> None:
        raise NotImplementedError("the test plays the system")

    def poll(self, ticks: int) -> None:
        raise NotImplementedError("the test plays the system")

    def cli(self, script: str, args: Sequence[str]) -> int:
        raise NotImplementedError("the test plays the system")

    def run_agent(self, agent: str, task_id: int) -> Any:
        raise NotImplementedError("the test plays the system")


class MiniWorld:
    """Satisfies WorldView. `step(checkers)` brackets one harness step around a block."""

    def __init__(self, root: Path, *, fanout_cap: int = 20, code_roots: Iterable[str] = ("tests",),
                 state_roots: Sequence[Path] = ()) -> None:
        self.root = Path(root)
        self.home = self.root / "home"
        self.tmp = self.root / "tmp"
        (self.home / "projects").mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.journal = Journal()
        self.kanboard = FakeKanboard(board=MiniTarget.columns, journal=self.journal)
        self.target = MiniTarget(self.home, fanout_cap, state_roots)
        self.code_roots = tuple(code_roots)

    # -- the board -------------------------------------------------------------------------
    def card(self, title: str = "Calculator", column: str = "1. Inbox", dirname: str | None = "calc",
             description: str = "", **metadata: str) -> int:
        meta = dict(metadata)
        if dirname is not None:
            meta["dirname"] = dirname
        with acting_as(HUMAN_ACTOR):
            card = int(self.kanboard.human.create_card(title, column=column, description=description,
                                                           swimlane=1))
            if meta:
                self.kanboard.human.set_metadata(card, meta)
        return card

    def client(self, actor: str) -> Any:
        return self.kanboard.client(actor)

    def workspace(self, dirname: str = "calc") -> Path:
        ws = self.target.workspace(dirname)
        ws.mkdir(parents=True, exist_ok=True)
        return ws

    # -- playing the system ----------------------------------------------------------------
    def lock(self, ws: Path, *rels: str) -> None:
        """Record `rels` in the manifest with their current sha256 (the ratchet's job)."""
        locks = self.target.locked_artifacts(ws)
        for rel in rels:
            locks[rel] = hashlib.sha256((ws / rel).read_bytes()).hexdigest()
        (ws / MANIFEST).write_text(json.dumps({"locks": locks}))

    @contextlib.contextmanager
    def step(self, checkers: Sequence[Checker], rule: str = "test", **args: Any) -> Iterator[list[Violation]]:
        """before_step on every checker, the block (audited), then check: fills the list."""
        found: list[Violation] = []
        for checker in checkers:
            checker.before_step(self)
        self.journal.step += 1
        self.journal.record(STEP, {"rule": rule, "args": dict(args)}, actor="harness")
        with AuditRecorder(self.journal, list(self.code_roots)):
            yield found
        for checker in checkers:
            found.extend(checker.check(self))


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()

