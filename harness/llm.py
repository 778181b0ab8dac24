"""The scripted model: agents' LLM calls answered from drawn outputs, never the network.

A run draws, per role, a queue of answers (good, junk or hostile); when a role's queue is
empty the role's default answer is served. Every answer served is journaled, so a report
can show what the model "said" before the bad effect.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping

from harness.journal import LLM, Journal

# Roles an agent may ask for. Targets map their own role names onto these.
ROLES = ("architect", "pm", "test", "test_code", "coder", "review")
# Which role answers each agent (targets.base names; governance and the spawner never ask).
AGENT_ROLES = {"architect": "architect", "pm": "pm", "test": "test", "test_code": "test_code",
               "ralph": "coder", "code_review": "review"}

DefaultAnswer = Callable[[str, str], str]  # (role, prompt) -> answer


def _no_default(role: str, prompt: str) -> str:
    raise LookupError(f"scripted LLM has no answer for role {role!r}")


class ScriptedLLM:
    """Answers `complete(role, prompt)` from per-role queues, then from `default`."""

    def __init__(
        self,
        script: Mapping[str, Iterable[str]] | None = None,
        default: DefaultAnswer = _no_default,
        journal: Journal | None = None,
    ) -> None:
        self._queues: dict[str, deque[str]] = {r: deque(a) for r, a in (script or {}).items()}
        self._meanwhile: dict[str, deque[Callable[[], object]]] = {}
        self._default = default
        self._journal = journal
        self._lock = threading.Lock()
        self.calls: list[tuple[str, str]] = []

    def push(self, role: str, *answers: str) -> None:
        """Queue answers for a role (served before the default, in order)."""
        with self._lock:
            self._queues.setdefault(role, deque()).extend(answers)

    def meanwhile(self, role: str, action: Callable[[], object]) -> None:
        """Run `action` during the role's next call, before it answers: what a person does
        while an agent waits on the model (a test edited mid-run)."""
        with self._lock:
            self._meanwhile.setdefault(role, deque()).append(action)

    def complete(self, role: str, prompt: str) -> str:
        with self._lock:
            queue = self._queues.get(role)
            answer = queue.popleft() if queue else None
            pending = self._meanwhile.get(role)
            action = pending.popleft() if pending else None
            self.calls.append((role, prompt))
        if action is not None:
            action()
        if answer is None:
            answer = self._default(role, prompt)
        if self._journal is not None:
            self._journal.record(LLM, {"role": role, "answer": answer[:2000]})
        return answer
