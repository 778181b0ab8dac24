"""Mutant ralph-guard-staged-only: the test guard looks only at staged files (G2).

Defect class: an integrity check that trusts `git diff --cached` (what AgentLeeOps does).
An unstaged edit to a test, a deleted test or a new untracked file under tests/ is invisible
to it, so such a change survives the run. One seam changed: `Ralph.tests_changed`.
"""

from __future__ import annotations

from targets.mutants import mutant
from targets.reference import ReferenceTarget
from targets.reference.context import AgentContext, AgentResult
from targets.reference.ralph import Ralph
from targets.reference.ralph_guard import TestSnapshot, staged_test_changes


class StagedOnlyRalph(Ralph):
    def tests_changed(self, baseline: TestSnapshot) -> bool:
        return bool(staged_test_changes(self.git))


@mutant("ralph-guard-staged-only")
class RalphGuardStagedOnly(ReferenceTarget):
    """Test guard looks only at staged files: an unstaged edit or new file under tests/ survives the run (G2)."""

    def agent_ralph(self, ctx: AgentContext) -> AgentResult:
        return StagedOnlyRalph(ctx).run()
