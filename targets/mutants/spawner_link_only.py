"""Mutant spawner-children-by-link-only: children recognised by link + atomic_id only (I2).

Defect class: idempotency that trusts one marker (what AgentLeeOps does). A child whose links
a human deleted, or a copy whose creation answer was lost (it has a link but no atomic_id
yet), is not seen as the story's child, so a rerun creates a second one or the copy is left
incomplete. One seam changed: `Spawner.recognise`.
"""

from __future__ import annotations

from typing import Any

from targets.mutants import mutant
from targets.reference import ReferenceTarget
from targets.reference.context import AgentContext, AgentResult
from targets.reference.spawn_scan import story_key
from targets.reference.spawner import Spawner


class LinkOnlySpawner(Spawner):
    def recognise(
        self, task: dict[str, Any], metadata: dict[str, str], labels: frozenset[str]
    ) -> tuple[bool, frozenset[str]]:
        if not labels:
            return False, frozenset()
        atomic = str(metadata.get("atomic_id") or "").strip()
        return True, frozenset({story_key(atomic)} if atomic else ())


@mutant("spawner-link-only")
class SpawnerLinkOnly(ReferenceTarget):
    """Children recognised by link + atomic_id only: a deleted link or a lost creation yields a second or stranded child (I2)."""

    def agent_spawner(self, ctx: AgentContext) -> AgentResult:
        return LinkOnlySpawner(ctx).run()
