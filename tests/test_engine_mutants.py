"""Every mutant is caught by its machine under the `ci` profile, naming the invariant its
planted defect breaks; the reference is never accused (harness/test_machines.py).

Shrinking is left out here to keep CI fast: a finding's invariant is fixed when it is found
(one exception type per signature), and test_engine_replay.py covers shrinking.
"""

from __future__ import annotations

import pytest
from hypothesis import Phase, settings

from harness import profiles
from harness.campaign import run_campaign
from harness.config import CONFIG
from harness.violation import INVARIANT_ORDER
from targets.registry import list_targets
from tests.mutant_expectations import EXPECTED


def test_every_mutant_is_accounted_for() -> None:
    mutants = {name.split(":", 1)[1] for name, _ in list_targets() if name.startswith("mutant:")}
    assert mutants == set(EXPECTED)  # every mutant is found by fuzzing, none only by a scenario


def test_every_invariant_is_shown_failing_by_some_mutant() -> None:
    named = set().union(*(invariants for _, invariants in EXPECTED.values()))
    assert set(INVARIANT_ORDER) <= named


@pytest.mark.parametrize("mutant", sorted(EXPECTED))
def test_mutant_is_caught_naming_its_invariant(mutant: str, monkeypatch: pytest.MonkeyPatch) -> None:
    machine, invariants = EXPECTED[mutant]
    profiles.register()
    # twice the ci budget: a detection near the edge of the budget must not make this test
    # depend on the worker process it lands in
    base = settings.get_profile("ci")
    ci = settings(base, max_examples=2 * base.max_examples, phases=[Phase.explicit, Phase.generate])
    monkeypatch.setattr(CONFIG, "target", f"mutant:{mutant}")
    monkeypatch.setattr(CONFIG, "face", "inproc")
    result = run_campaign([machine], profile=ci, seed=0,
                          until=lambda finding: finding.violation.invariant in invariants)
    named = [f.violation.invariant for f in result.findings]
    assert set(named) & invariants, (
        f"{machine} machine did not catch mutant:{mutant} in {result.examples} examples; found {named}")
