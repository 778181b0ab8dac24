"""`pytest harness/`: every state machine against the chosen target (default: the reference).

Each machine runs a whole campaign under the loaded Hypothesis profile: past its first
finding to every distinct one its budget reaches. Any finding fails the test with all of
them listed (shrunk steps, trace, regression test); the run's folder holds findings.md.
"""

from __future__ import annotations

import pytest
from hypothesis import settings

from harness.campaign import Campaign
from harness.config import CONFIG
from harness.machines import MACHINES
from harness.reporting import Reporter


class Findings(AssertionError):
    """The machine found defects; the message lists each one."""


@pytest.mark.parametrize("name", sorted(MACHINES))
def test_invariants_hold(name: str, fuzz_seed: int, fuzz_target_version: str) -> None:
    reporter = Reporter(CONFIG.reports_dir, target=CONFIG.target, target_version=fuzz_target_version,
                        face=CONFIG.face, seed=fuzz_seed, machines=[name],
                        profile=CONFIG.profile)
    campaign = reporter.attach(Campaign([name], profile=settings(), seed=fuzz_seed))
    result = campaign.run()
    if result.findings:
        reporter.finish(result)
        raise Findings(f"{len(result.findings)} distinct finding(s) on {CONFIG.target}\n"
                       + reporter.failure_text())
