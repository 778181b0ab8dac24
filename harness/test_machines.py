"""`pytest harness/`: every state machine against the chosen target (default: the reference).

Each machine runs a whole campaign under the loaded Hypothesis profile: past its first
finding to every distinct one its budget reaches. The machines of one pytest session share
their findings (an SQLite file of claims, whichever xdist worker runs them), so a defect two
machines meet is reported once, by the first to claim it; each machine still shrinks what it
meets, so what it explores, and the session's set of findings, never depend on which ran first.
A machine that met any finding fails, listing those it reported and naming those another
machine of the session reported.
"""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import settings

from harness import hypothesis_stats
from harness.campaign import Campaign
from harness.config import CONFIG
from harness.events import RunEnded, Stream
from harness.hypothesis_stats import Statistics
from harness.ledger import Ledger
from harness.machines import MACHINES
from harness.observe import FILE as OBSERVED
from harness.observe import Observer
from harness.reporting import Reporter
from harness.violation import signature_text
from harness.workers import SqliteClaims

# The slowest first, so a session on two workers ends sooner.
SLOWEST_FIRST = ("spawner", "ralph", "governance", "webhook", "combined")
ORDER = [m for m in SLOWEST_FIRST if m in MACHINES] + sorted(set(MACHINES) - set(SLOWEST_FIRST))


class Findings(AssertionError):
    """The machine met defects; the message lists each one."""


@pytest.mark.parametrize("name", ORDER)
def test_invariants_hold(name: str, fuzz_seed: int, fuzz_target_version: str, request: pytest.FixtureRequest) -> None:
    reporter = Reporter(CONFIG.reports_dir, target=CONFIG.target, target_version=fuzz_target_version,
                        face=CONFIG.face, seed=fuzz_seed, machines=[name], profile=CONFIG.profile,
                        empty_report=bool(CONFIG.observe))
    statistics = Statistics()
    observer = Observer(reporter.folder.make() / OBSERVED) if CONFIG.observe else None
    events = Stream([reporter, statistics, *([observer] if observer else [])])
    ledger = Ledger(SqliteClaims(CONFIG.claims_path), owner=request.node.nodeid)
    campaign = Campaign([name], profile=settings(), seed=fuzz_seed, ledger=ledger, events=events)
    with observer or contextlib.nullcontext():
        result = campaign.run()
    events.emit(RunEnded(result))
    # what Hypothesis's plugin prints under --hypothesis-show-statistics (and puts in JUnit)
    request.node.hypothesis_statistics = hypothesis_stats.describe(statistics.merged, request.node.nodeid)
    own = {f.signature for f in result.findings}
    elsewhere = sorted(ledger.met - own)
    if result.findings or elsewhere:
        raise Findings(failure_message(CONFIG.target, len(result.findings),
                                       reporter.failure_text() if result.findings else "",
                                       [signature_text(s) for s in elsewhere]))


def failure_message(target: str, own: int, own_text: str, elsewhere: list[str]) -> str:
    """Why the machine fails; the first line is pytest's one-line summary, so it also counts the
    findings met here but reported by another machine (else a machine can fail with '0 findings')."""
    text = f"{own} distinct finding(s) on {target}"
    text += f", and {len(elsewhere)} more met here\n" if elsewhere else "\n"
    text += own_text
    if elsewhere:
        text += ("met here, but shrunk and reported by another machine of this session:\n"
                 + "".join(f"  - {s}\n" for s in elsewhere))
    return text
