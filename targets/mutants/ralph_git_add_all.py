"""Mutant ralph-git-add-all: Ralph stages with `git add -A` and commits everything (G2).

Defect class: a commit without an explicit pathspec. Whatever sits in the working tree (the
untracked or edited tests/ included) goes into Ralph's commit. One seam changed:
`Ralph.commit_source`.
"""

from __future__ import annotations

from targets.mutants import mutant
from targets.reference import ReferenceTarget
from targets.reference.context import AgentContext, AgentResult
from targets.reference.ralph import Ralph
from targets.reference.ralph_git import IDENTITY
from targets.reference.ralph_paths import StoryPaths


class GitAddAllRalph(Ralph):
    def commit_source(self, paths: StoryPaths, message: str) -> str:
        self.git.run("add", "-A")
        self.git.run(*IDENTITY, "commit", "-q", "--no-verify", "-m", message, check=False)
        return self.git.head()[1]


@mutant("ralph-git-add-all")
class RalphGitAddAll(ReferenceTarget):
    """Ralph commits with `git add -A` and no pathspec: untracked or edited tests/ go into its commit (G2)."""

    def agent_ralph(self, ctx: AgentContext) -> AgentResult:
        return GitAddAllRalph(ctx).run()
