"""A small world for the reference and mutant tests: the fake Kanboard, a sandbox HOME, a
scripted model whose default gives good answers, and helpers that speak the board's language.
The shared harness world is not used here so these tests pin the target alone.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from harness.journal import AGENT, Journal
from harness.kanboard import FakeKanboard
from harness.kanboard.webhooks import body as webhook_body
from harness.llm import ScriptedLLM
from targets.base import Binding, Target, WebhookRequest, WebhookResponse
from targets.reference import ReferenceTarget

PIPELINE = ("2. Design Draft", "3. Design Approved", "4. Planning Draft", "5. Plan Approved")
STORIES = [
    {"id": "s1", "title": "Add two numbers", "description": "add(a, b)", "acceptance_criteria": ["1+2 is 3"]},
    {"id": "s2", "title": "Subtract", "description": "sub(a, b)", "acceptance_criteria": ["3-1 is 2"]},
]


def facts(prompt: str) -> dict[str, str]:
    """The leading `key: value` lines of a reference prompt."""
    found: dict[str, str] = {}
    for line in prompt.splitlines():
        match = re.match(r"^([a-z_]+): (.*)$", line)
        if not match:
            break
        found[match.group(1)] = match.group(2)
    return found


def good_answer(role: str, prompt: str) -> str:
    """What a capable model would answer each role, from the prompt's facts."""
    f = facts(prompt)
    if role == "architect":
        return f"# Design: {f.get('title')}\n\nOne module, src/{f.get('module')}.py.\n"
    if role == "pm":
        return "Here is the plan:\n```json\n" + json.dumps({"stories": STORIES}) + "\n```\n"
    if role == "test":
        fn = f"story_{f['atomic_id']}"
        return (
            "```python\nimport sys\nfrom pathlib import Path\n\n"
            "sys.path.insert(0, str(Path(__file__).resolve().parents[1]))\n\n"
            f"from src.{f['module']} import {fn}\n\n\n"
            f"def test_{fn}():\n    assert {fn}() == 'done:{f['atomic_id']}'\n```\n"
        )
    if role == "coder":
        code = "".join(f"def story_{s['id']}():\n    return 'done:{s['id']}'\n\n\n" for s in STORIES)
        return f"```python\n{code}```\n"
    raise LookupError(role)


class Clock:
    """The world's clock: moves only when a test says so."""

    def __init__(self, now: int = 1_795_480_618) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now

    def tick(self) -> None:
        self.now += 1


class Sandbox:
    """One world bound to one target."""

    def __init__(self, root: Path, target: Target | None = None, face: str = "inproc") -> None:
        self.root = root
        self.journal = Journal()
        self.clock = Clock()
        self.target = target if target is not None else ReferenceTarget()
        self.kb = FakeKanboard(board=self.target.columns, journal=self.journal, clock=self.clock)
        self.home, tmp = root / "home", root / "tmp"
        (self.home / "projects").mkdir(parents=True)
        tmp.mkdir()
        self.llm = ScriptedLLM(default=good_answer, journal=self.journal)
        self.server = self.kb.serve() if face == "http" else None  # the real kanboard.Client
        self.binding = Binding(
            kanboard=self.server.http_client if self.server else self.kb.client,
            kanboard_url=self.server.url if self.server else None, kanboard_token="t",
            project_id=int(self.kb.project_id or 0), home=self.home, tmp=tmp, llm=self.llm,
            clock=self.clock, journal=self.journal, webhook_token=self.kb.webhook_token,
        )
        self.target.bind(self.binding)

    # -- the board -------------------------------------------------------------------------
    def close(self) -> None:
        self.target.unbind()
        if self.server is not None:
            self.server.stop()

    def card(self, title: str = "Calculator epic", dirname: str = "demo-app",
             column: str = "1. Inbox", **metadata: str) -> int:
        return self.kb.human.create_card(title, column,
                                         metadata={"dirname": dirname, "context_mode": "NEW", **metadata})

    def move(self, task_id: int, column: str) -> None:
        self.clock.tick()
        self.kb.human.move(task_id, column)

    def children(self, epic: int) -> list[int]:
        return sorted(int(t["id"]) for t in self.kb.tasks()
                      if self.kb.metadata(int(t["id"])).get("parent_id") == str(epic))

    def comments(self, task_id: int) -> list[str]:
        return [c["comment"] for c in self.kb.comments(task_id)]

    # -- deliveries ------------------------------------------------------------------------
    def request(self, payload: dict[str, Any], token: str | None = None) -> WebhookRequest:
        token = self.kb.webhook_token if token is None else token
        return WebhookRequest(f"/webhook?token={token}", webhook_body(payload))

    def deliver(self) -> list[WebhookResponse]:
        """Hand every pending webhook to the target's raw handler, in order."""
        answers = []
        while payloads := self.kb.webhooks.drain():
            answers += [self.target.deliver_webhook(self.request(p)) for p in payloads]
        return answers

    # -- what happened ---------------------------------------------------------------------
    def runs(self, agent: str | None = None, task_id: int | None = None) -> list[dict[str, Any]]:
        """Agent runs (their end events) so far, in order."""
        return [dict(e.data) for e in self.journal.events(AGENT)
                if e.data["phase"] == "end" and agent in (None, e.data["agent"])
                and task_id in (None, e.data["task_id"])]

    def ws(self, dirname: str = "demo-app") -> Path:
        return self.home / "projects" / dirname

    def through_design(self, task_id: int) -> None:
        """2 then 3: DESIGN.md written and locked, by webhooks."""
        for column in PIPELINE[:2]:
            self.move(task_id, column)
            self.deliver()
