"""Input and entrypoint mutants: card text reaching paths or a shell (G4), a gate skipped (G3)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from targets.base import WEBHOOK
from targets.mutants import mutant
from targets.reference import ReferenceTarget
from targets.reference.cards import Card
from targets.reference.pipeline import GO, Gate, Verdict


@mutant("dirname-unchecked")
class DirnameUnchecked(ReferenceTarget):
    """Card dirname reaches a path unchecked: `..` or `/` in it puts files outside the workspace (G4)."""

    def validate_dirname(self, dirname: str) -> str | None:
        # The planted defect is the missing character rule. The sandbox bound is a safety
        # valve for the machine running the fuzz, not a check the mutant pretends to make.
        if not dirname:
            return "the card has no dirname"
        sandbox = os.path.dirname(os.path.realpath(self.binding.home))
        try:
            where = os.path.realpath(os.path.join(self.binding.home, "projects", dirname))
        except ValueError:
            return "unusable dirname"
        return None if where.startswith(sandbox + os.sep) else "outside the sandbox (mutant safety valve)"


@mutant("shell-arg")
class ShellArg(ReferenceTarget):
    """Card text reaches a shell: `git init` runs via shell=True with the dirname in its string (G4)."""

    def init_repo(self, root: Path) -> None:
        subprocess.run(f"git init -q --template= {root}", shell=True, cwd=root,
                       capture_output=True, text=True, timeout=60, check=True)


@mutant("webhook-skips-gate")
class WebhookSkipsGate(ReferenceTarget):
    """The webhook path skips the gate: an agent runs on unapproved upstream artifacts (G3)."""

    def gate_for(self, entrypoint: str) -> Gate:
        if entrypoint != WEBHOOK:
            return self.gate

        def trusting(card: Card, agent: str) -> Verdict:  # the event's column is trusted
            return Verdict(GO, "", self.workspace_for(card))

        return trusting
