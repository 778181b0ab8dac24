"""`pytest harness/`: every state machine against the chosen target (default: the reference).

Each machine runs under the loaded Hypothesis profile; any invariant violation fails the test
with its shrunk steps, and the plugin writes the replay file, regression test and findings.
"""

from __future__ import annotations

import pytest
from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test

from harness.machines import MACHINES


@pytest.mark.parametrize("name", sorted(MACHINES))
def test_invariants_hold(name: str) -> None:
    machine = MACHINES[name]
    run_state_machine_as_test(machine, settings=machine.settings_for(settings()))
