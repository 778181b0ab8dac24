"""Mutant spawner-cap-per-run: the fan-out cap counts only this run's new children (I3).

Defect class: a limit kept per request instead of per resource (AgentLeeOps compares
len(stories) with the cap). Reruns after the plan grows or is edited add children until the
epic has far more than the cap. One seam changed: `Spawner.check_cap`.
"""

from __future__ import annotations

from targets.mutants import mutant
from targets.reference import ReferenceTarget
from targets.reference.context import AgentContext, AgentResult
from targets.reference.spawn_prd import Story
from targets.reference.spawner import Spawner, SpawnError


class CapPerRunSpawner(Spawner):
    def check_cap(self, existing: int, new: list[Story], stories: list[Story]) -> list[Story]:
        if len(new) > self.ctx.fanout_cap:
            raise SpawnError(f"flood control: {len(new)} new children exceed the cap; nothing spawned")
        return new


@mutant("spawner-cap-per-run")
class SpawnerCapPerRun(ReferenceTarget):
    """Cap counted per run only: reruns after the plan grows exceed the children cap per epic (I3)."""

    def agent_spawner(self, ctx: AgentContext) -> AgentResult:
        return CapPerRunSpawner(ctx).run()
