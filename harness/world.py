"""The world a target lives in: fake Kanboard, sandbox filesystem, clock, scripted LLM, journal.

One World per Hypothesis example, torn down after it, so examples never leak into each
other. Invariant checkers read only this object (it satisfies `harness.invariants.WorldView`).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from harness import trash
from harness.journal import HARNESS_ACTOR, Journal, acting_as
from harness.kanboard import FakeKanboard
from harness.kanboard.server import plain_http_only
from harness.llm import ScriptedLLM
from harness.scratch import sandbox_base
from strategies.llm import default_answer
from targets.base import Binding, Target

FACES = ("inproc", "http")
EPOCH_START = 1795480618  # the recorded install's clock, so dates look like the real trace


class Clock:
    """The world's clock: advances one second per harness step, never reads the wall."""

    def __init__(self, start: int = EPOCH_START) -> None:
        self.now = start

    def __call__(self) -> int:
        return self.now

    def tick(self, seconds: int = 1) -> None:
        self.now += seconds


class World:
    """Builds and owns everything one example needs; `close()` removes it all."""

    def __init__(
        self,
        target: Target,
        *,
        face: str = "inproc",
        metamagik: bool = True,
        audit: bool = True,
    ) -> None:
        if face not in FACES:
            raise ValueError(f"unknown Kanboard face {face!r}; expected one of {', '.join(FACES)}")
        self.target = target
        self.face = face
        self.journal = Journal()
        self.clock = Clock()
        self.root = Path(tempfile.mkdtemp(prefix="alfuzz-", dir=sandbox_base()))
        self.home = self.root / "home"
        self.tmp = self.root / "tmp"
        self.home.mkdir()
        (self.home / "projects").mkdir()
        self.tmp.mkdir()
        self.kanboard = FakeKanboard(
            board=target.columns, metamagik=metamagik, journal=self.journal, clock=self.clock
        )
        for name, required in target.custom_fields if metamagik else ():
            self.kanboard.add_custom_field(name, required=required)
        self.llm = ScriptedLLM(default=default_answer, journal=self.journal)
        self.server = None
        self._plain_http = None
        if face == "http":
            self.server = self.kanboard.serve()
            # the real client loads the CA bundle per call even for http://; nothing here
            # needs HTTPS, so skip that cost (see harness/kanboard/server.py)
            self._plain_http = plain_http_only()
            self._plain_http.__enter__()
        self._recorder = None
        if audit:
            from harness.audit import AuditRecorder

            self._recorder = AuditRecorder(self.journal, roots=_code_roots(target))
            self._recorder.__enter__()
        self.binding = Binding(
            kanboard=self._client_for,
            kanboard_url=self.server.url if self.server else None,
            kanboard_token=self.server.token if self.server else "inproc-token",
            project_id=self.kanboard.project_id,
            home=self.home,
            tmp=self.tmp,
            llm=self.llm,
            clock=self.clock,
            journal=self.journal,
            webhook_token=self.kanboard.webhook_token,
        )
        with acting_as(HARNESS_ACTOR):
            target.bind(self.binding)
        self.delivered: list[dict[str, Any]] = []  # webhooks handed to the target, in order
        self.delivery_cursor = 0  # trigger events in the outbox already handed over
        self.renamed: dict[str, str] = {}  # a column's title in the target's board -> its title now

    def title_now(self, column: str) -> str:
        """The title the board shows now for a column the target names `column`."""
        return self.renamed.get(column, column)

    def _client_for(self, actor: str) -> Any:
        if self.server is not None:
            # DEFAULT_HTTP_TIMEOUT: all a planned `timeout` fault costs (a parked call does not
            # time out: the fake keeps its client waiting, harness/kanboard/server.py)
            return self.server.http_client(actor)
        return self.kanboard.client(actor)

    # -- views used by checkers and reports -------------------------------------------------
    def workspace_of(self, task_id: int) -> Path | None:
        """The workspace a card's `dirname` names, when it names a safe directory (the same
        rule the checkers use, so tricks and invariants agree on where a card's files are)."""
        from harness.invariants.base import workspace_of

        return workspace_of(self, task_id)

    def close(self) -> None:
        try:
            self.target.unbind()
        finally:
            if self._recorder is not None:
                self._recorder.__exit__(None, None, None)
                self._recorder = None
            if self.server is not None:
                self.server.stop()
                self.server = None
            if self._plain_http is not None:
                self._plain_http.__exit__(None, None, None)
                self._plain_http = None
            trash.discard(self.root)

    def __enter__(self) -> World:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _code_roots(target: Target) -> list[str]:
    """Source roots whose frames name the component of a bad effect: the checkout a target
    drives when it declares one (`code_roots`: its code, never the adapter's), else ours."""
    declared = [str(p) for p in getattr(target, "code_roots", ())]
    if declared:
        return declared
    import targets

    return [os.path.dirname(os.path.abspath(targets.__file__))]
