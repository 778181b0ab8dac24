"""One event stream, several reporters: what a campaign emits, in order, and that the run's
reports are listeners of it whichever process fuzzed."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import Phase, settings

from harness import profiles
from harness.campaign import Campaign
from harness.config import CONFIG
from harness.events import FindingMade, On, Progress, RunEnded, SliceEnded, Stream, TurnEnded
from harness.hypothesis_stats import Statistics
from harness.reporting import Reporter


@pytest.fixture(autouse=True)
def mutant(monkeypatch: pytest.MonkeyPatch) -> None:
    profiles.register()
    monkeypatch.setattr(CONFIG, "target", "mutant:no-dedupe")
    monkeypatch.setattr(CONFIG, "face", "inproc")


class Recorder:
    def __init__(self) -> None:
        self.events: list[Any] = []

    def handle(self, event: Any) -> None:
        self.events.append(event)

    def of(self, kind: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


def test_a_campaign_emits_each_finding_turn_and_hypothesis_run_as_it_happens(tmp_path) -> None:
    recorder, statistics = Recorder(), Statistics()
    reporter = Reporter(tmp_path, target=CONFIG.target, target_version="reference-1", face="inproc",
                        seed=0, machines=["webhook"], profile="ci", name="run")
    seen_on_disk: list[int] = []  # findings.md rows when each finding reached a later listener
    events = Stream([reporter, recorder, statistics, On(FindingMade, lambda e: seen_on_disk.append(
        len(reporter.folder.rows)))])
    campaign = Campaign(["webhook"], profile=settings.get_profile("ci"), seed=0, events=events)
    result = campaign.run()
    events.emit(RunEnded(result))
    report = result.machines[0]

    made = recorder.of(FindingMade)
    assert [e.finding for e in made] == result.findings and len(made) >= 2
    assert seen_on_disk == list(range(1, len(made) + 1))  # listeners hear in the order added
    assert all(report in e.machines for e in made)  # with the work done so far
    assert [e.report for e in recorder.of(TurnEnded)] == [report] * report.turns
    slices = recorder.of(SliceEnded)
    assert len(slices) == report.slices and all(e.machine == "webhook" for e in slices)
    # the statistics listener adds up what Hypothesis counted in every one of those runs
    generated = sum(len(e.statistics.get("generate-phase", {}).get("test-cases", ())) for e in slices)
    assert len(statistics.merged["generate-phase"]["test-cases"]) == generated == report.examples
    assert isinstance(recorder.events[-1], RunEnded)
    assert reporter.findings_md is not None and reporter.findings_md.exists()
    assert len(reporter.folder.rows) == len(result.findings)


def test_a_timed_campaign_reports_progress_between_steps() -> None:
    recorder = Recorder()
    base = settings(settings.get_profile("nightly"), phases=[Phase.generate], database=None)
    campaign = Campaign(["webhook"], profile=base, seed=1, minutes=0.12, events=Stream([recorder]))
    campaign.run()
    progress = recorder.of(Progress)  # at the first step, then every 5 s: two in 7 s at least
    assert len(progress) >= 2
    assert all(p.machine == "WebhookMachine" for p in progress)
    assert [p.test_cases for p in progress] == sorted(p.test_cases for p in progress)
    assert progress[-1].steps > 0
