"""Mutant ralph-runs-in-workspace: the code under test runs in the real workspace (G2).

Defect class: no isolation of untrusted code. The model's code is imported by the test run
with the workspace as its working tree, so whatever it does on import or when called (write
into tests/, `git add . && git commit`, swap files) acts on the real repository; a commit it
makes touches tests/. One seam changed: `Ralph.run_dir` (no scratch copy).
"""

from __future__ import annotations

from pathlib import Path

from targets.mutants import mutant
from targets.reference import ReferenceTarget
from targets.reference.context import AgentContext, AgentResult
from targets.reference.ralph import Ralph


class InWorkspaceRalph(Ralph):
    def run_dir(self, iteration: int) -> Path:
        return self.root


@mutant("ralph-runs-in-workspace")
class RalphRunsInWorkspace(ReferenceTarget):
    """Code under test runs in the real workspace: it can write into tests/ and commit itself (G2)."""

    def agent_ralph(self, ctx: AgentContext) -> AgentResult:
        return InWorkspaceRalph(ctx).run()
