"""Mutant spawner-rollback-ignored: the rollback's removeTask result is not verified (I2).

Defect class: a compensating action assumed to succeed. removeTask answering false (nothing
removed) or raising leaves the partial child on the board while the run believes it is gone.
One seam changed: `Spawner.remove`.
"""

from __future__ import annotations

from targets.mutants import mutant
from targets.reference import ReferenceTarget
from targets.reference.context import AgentContext, AgentResult
from targets.reference.spawner import Spawner


class RollbackIgnoredSpawner(Spawner):
    def remove(self, card_id: int) -> bool:
        self.board.try_call("removeTask", task_id=card_id)
        self.removed.append(card_id)
        return True


@mutant("spawner-rollback-ignored")
class SpawnerRollbackIgnored(ReferenceTarget):
    """Rollback result ignored: removeTask answering false leaves a partial child the run thinks is gone (I2)."""

    def agent_spawner(self, ctx: AgentContext) -> AgentResult:
        return RollbackIgnoredSpawner(ctx).run()
