"""Mutant spawner-flood-no-error: an over-cap request is silently truncated (I3).

Defect class: silent partial service. A plan with more stories than the cap gets the first
ones created and the rest dropped, with no error on the card, where flood control must
create nothing and say why. One seam changed: `Spawner.check_cap`.
"""

from __future__ import annotations

from targets.mutants import mutant
from targets.reference import ReferenceTarget
from targets.reference.context import AgentContext, AgentResult
from targets.reference.spawn_prd import Story
from targets.reference.spawner import Spawner


class FloodNoErrorSpawner(Spawner):
    def check_cap(self, existing: int, new: list[Story], stories: list[Story]) -> list[Story]:
        return new[: max(0, int(self.ctx.fanout_cap) - existing)]


@mutant("spawner-flood-no-error")
class SpawnerFloodNoError(ReferenceTarget):
    """Over-cap plan silently truncated: part of the request is created and no error is shown (I3)."""

    def agent_spawner(self, ctx: AgentContext) -> AgentResult:
        return FloodNoErrorSpawner(ctx).run()
