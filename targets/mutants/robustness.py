"""Robustness, authenticity and Kanboard-call mutants: one seam each (R1, R2, K1)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from harness.journal import acting_as, current_actor, is_system
from targets.base import KanboardClient, WebhookRequest
from targets.mutants import mutant
from targets.reference import ReferenceTarget
from targets.reference.cards import Card
from targets.reference.context import AgentContext, AgentResult
from targets.reference.leases import RunLedger
from targets.reference.spawner import Spawner


@mutant("runner-lets-errors-out")
class RunnerLetsErrorsOut(ReferenceTarget):
    """A Kanboard failure outside a card's own step escapes the runner: the pass or delivery crashes (R1)."""

    @contextlib.contextmanager
    def _runner(self, entrypoint: str) -> Iterator[KanboardClient]:
        b = self._bound()
        actor = current_actor() if is_system(current_actor()) else entrypoint
        with acting_as(actor):
            yield b.kanboard(actor)


class RetryingLedger(RunLedger):
    def seen(self, kb: KanboardClient, card: Card, agent: str) -> str | None:
        """A failed run counts as not run: the next pass or delivery runs it again."""
        status = super().seen(kb, card, agent)
        return None if status == "failed" else status


@mutant("retry-failed-agent")
class RetryFailedAgent(ReferenceTarget):
    """A failed run is retried on every pass and delivery: a failing model loops without bound (R1)."""

    ledger_class = RetryingLedger


@mutant("silent-failure")
class SilentFailure(ReferenceTarget):
    """A failed run is only logged, never shown on its card: nobody sees the card failed (R1)."""

    def tell_failure(self, kb: KanboardClient, card: Card, agent: str, message: str) -> None:
        self.note(f"{agent} failed on card #{card.id}: {message}")


@mutant("webhook-no-token")
class WebhookNoToken(ReferenceTarget):
    """The webhook acts on deliveries without checking the shared secret (R2)."""

    @staticmethod
    def authentic(request: WebhookRequest, token: str) -> bool:
        return True


class UpdateColumnSpawner(Spawner):
    def duplicate(self, column: int) -> int | None:
        """Copy the epic, then place the copy with updateTask(column_id=...), which Kanboard
        ignores (updateTask declares no column_id): the copy stays in the epic's column."""
        result = self.board.try_call("duplicateTaskToProject", task_id=self.epic, project_id=self.project)
        try:
            new_id = int(result) if result and not isinstance(result, bool) else None
        except (TypeError, ValueError):
            new_id = None
        if new_id:
            self.board.try_call("updateTask", id=new_id, column_id=column)
        return new_id


@mutant("spawner-column-by-update")
class SpawnerColumnByUpdate(ReferenceTarget):
    """Children placed with updateTask(column_id=...), which Kanboard silently ignores (K1)."""

    def agent_spawner(self, ctx: AgentContext) -> AgentResult:
        return UpdateColumnSpawner(ctx).run()


