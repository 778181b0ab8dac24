"""Campaigns: a machine goes on past its first finding; timed runs give every machine its turn."""

from __future__ import annotations

import time

import pytest
from hypothesis import Phase, settings

from harness import campaign, profiles
from harness.campaign import Campaign, run_campaign, slice_seed
from harness.config import CONFIG
from harness.ledger import RUN


@pytest.fixture(autouse=True)
def reference(monkeypatch: pytest.MonkeyPatch) -> None:
    profiles.register()
    monkeypatch.setattr(CONFIG, "face", "inproc")


def test_a_timed_run_gives_every_machine_a_share_and_stops_between_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(CONFIG, "target", "reference")
    base = settings(settings.get_profile("nightly"), phases=[Phase.generate], database=None)
    started = time.monotonic()
    result = Campaign(["governance", "webhook"], profile=base, seed=5, minutes=0.1).run()
    took = time.monotonic() - started
    assert took < 6 + 3, took  # 6 s budget; a step in flight may finish
    assert [m.turns for m in result.machines] == [1, 1]
    assert all(m.budget_seconds and m.examples > 0 for m in result.machines)
    assert all(m.stopped == "time" for m in result.machines)


def test_a_long_timed_run_goes_round_every_machine_every_round(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(CONFIG, "target", "reference")
    monkeypatch.setattr(campaign, "ROUND_MINUTES", 0.05)  # rounds of 3 s: a 9 s run has three
    base = settings(settings.get_profile("nightly"), phases=[Phase.generate], database=None)
    started = time.monotonic()
    result = Campaign(["governance", "webhook"], profile=base, seed=5, minutes=0.15).run()
    took = time.monotonic() - started
    assert 9 - 1 < took < 9 + 3, took  # the whole budget is used, and no more
    assert [m.turns for m in result.machines] == [3, 3]
    assert all(m.seconds > 3 for m in result.machines)  # each had its three shares, not one


def test_a_timed_run_with_findings_shrinks_them_yet_keeps_its_time_and_every_turn(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(CONFIG, "target", "mutant:no-dedupe")
    base = settings(settings.get_profile("nightly"), phases=[Phase.generate, Phase.shrink], database=None)
    started = time.monotonic()
    result = Campaign(["webhook", "governance"], profile=base, seed=0, minutes=0.2).run()
    took = time.monotonic() - started
    assert took < 12 + 3, took  # 12 s budget (a shrink may not run past it); a step may finish
    assert [m.turns for m in result.machines] == [1, 1] and all(m.examples > 0 for m in result.machines)
    # each finding shrinks for at most its own time, the turn's shrinks stop half a share past
    # it: the first is shrunk, those cut short are kept as found (and shrunk when met again)
    assert any(f.shrunk for f in result.findings)


def test_a_machine_goes_on_past_its_first_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(CONFIG, "target", "mutant:no-dedupe")
    ci = settings(settings.get_profile("ci"), phases=[Phase.explicit, Phase.generate])
    result = run_campaign(["webhook"], profile=ci, seed=0)
    assert len(result.findings) >= 2
    assert len({f.signature for f in result.findings}) == len(result.findings)  # each once
    webhook = result.machines[0]
    assert webhook.slices > 1 and webhook.findings == result.findings
    assert all(f.hits >= 1 for f in result.findings)
    assert RUN.ledger.findings == {}  # the campaign's ledger is its own


def test_slice_seeds_are_stable_and_distinct() -> None:
    assert slice_seed(0, "webhook", 0) == slice_seed(0, "webhook", 0)
    assert len({slice_seed(s, m, t) for s in (0, 1) for m in ("a", "b") for t in (0, 1)}) == 8


def test_shrinks_cut_short_are_finished_from_the_saved_failures(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """Every shrink of the turns is cut short; the last part of the budget replays the saved
    failures and shrinks each cut finding to its minimum (no-dedupe: 5 steps)."""
    from hypothesis.database import DirectoryBasedExampleDatabase

    from harness.ledger import Control

    monkeypatch.setattr(CONFIG, "target", "mutant:no-dedupe")
    monkeypatch.setattr(campaign, "RESHRINK_SHARE", 0.5)
    real = Control.shrink_must_stop

    def cut_unless_finishing(self: Control, signature, started: float) -> bool:
        if not self.reshrink:
            if signature is not None:
                self.cut.add(signature)
            return True
        return real(self, signature, started)

    monkeypatch.setattr(Control, "shrink_must_stop", cut_unless_finishing)
    db = DirectoryBasedExampleDatabase(str(tmp_path / "examples"))
    base = settings(settings.get_profile("nightly"), phases=[Phase.generate, Phase.shrink], database=db)
    run = Campaign(["webhook"], profile=base, seed=0, minutes=0.4)
    first: dict = {}
    run.on_finding = lambda f: first.setdefault(f.signature, (f.shrunk, len(f.trace["steps"])))
    result = run.run()
    cut = [s for s, (shrunk, _) in first.items() if not shrunk]
    assert cut, first  # the turns' shrinks were all cut short...
    held = {f.signature: f for f in result.findings}
    dedupe = ("I1", "an agent ran twice in one epoch", "targets.reference.pipeline:Pipeline.execute")
    assert dedupe in cut and held[dedupe].shrunk  # ...and the last part of the run shrank them
    assert len(held[dedupe].trace["steps"]) == 5 < first[dedupe][1]
