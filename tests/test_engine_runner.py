"""Timed runs: each machine run is a bounded slice, whatever the machine's budget share."""

from __future__ import annotations

import pytest
from hypothesis import Phase, settings

from harness import profiles, runner
from harness.config import CONFIG


def test_a_timed_run_caps_each_slice_even_for_a_machine_with_a_larger_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    profiles.register()
    monkeypatch.setattr(CONFIG, "target", "reference")
    monkeypatch.setattr(CONFIG, "face", "inproc")
    monkeypatch.setattr(runner, "ROUND_EXAMPLES", 3)
    base = settings(settings.get_profile("ci"), phases=[Phase.generate], stateful_step_count=2)
    assert runner.MACHINES["spawner"].budget > 1  # unbounded, it would run 2 x 3 examples
    runs = runner.run_budget(["spawner"], profile=base, seed=5, minutes=1e-6)
    assert len(runs) == 1 and runs[0].error is None
    assert 1 <= runs[0].examples <= 3
