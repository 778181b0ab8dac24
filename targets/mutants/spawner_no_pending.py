"""Mutant spawner-no-pending-marker: the child is created before anything marks it (I2).

Defect class: create-then-mark. When duplicateTaskToProject's response is lost, the copy
exists but carries nothing naming its story, so the run cannot find it to complete it and
it is stranded (and a later run may create a second child). One seam changed:
`Spawner.mark_pending`.
"""

from __future__ import annotations

from targets.mutants import mutant
from targets.reference import ReferenceTarget
from targets.reference.context import AgentContext, AgentResult
from targets.reference.spawn_prd import Story
from targets.reference.spawner import Spawner


class NoPendingSpawner(Spawner):
    def mark_pending(self, story: Story) -> None:
        return None


@mutant("spawner-no-pending-marker")
class SpawnerNoPendingMarker(ReferenceTarget):
    """Create before marking: a lost duplicateTaskToProject response strands an unidentifiable copy (I2)."""

    def agent_spawner(self, ctx: AgentContext) -> AgentResult:
        return NoPendingSpawner(ctx).run()
