"""Which target a run drives and how: set once by the CLI or the pytest plugin, read by machines.

Hypothesis instantiates state machines with no arguments, so the choice of target has to
live somewhere they can reach; this is that one place.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from targets.base import Target


@dataclass
class RunConfig:
    target: str = "reference"
    agentleeops_path: str | None = None
    face: str = "inproc"  # "inproc" (Face A) or "http" (Face B: real kanboard client over HTTP)
    reports_dir: str = "reports"
    profile: str = "dev"  # the Hypothesis profile the pytest front loaded
    seed: int = 0  # the pytest front's seed (--fuzz-seed)
    target_version: str = ""
    claims_path: str = ""  # the pytest session's shared claims (harness/test_machines.py)
    observe: bool = False  # write Hypothesis's observability records (harness/observe.py)


CONFIG = RunConfig(agentleeops_path=os.environ.get("AGENTLEEOPS_PATH") or None)


def make_target() -> Target:
    """A fresh target instance for one world, as CONFIG names it."""
    from targets.registry import get_target

    return get_target(CONFIG.target, agentleeops_path=CONFIG.agentleeops_path)
