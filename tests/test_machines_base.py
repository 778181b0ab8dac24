"""The machine base checks every invariant after every step, exactly as a replay does."""

from __future__ import annotations

import pytest

from harness.config import CONFIG
from harness.machines import MACHINES
from harness.replay import replay_trace
from harness.reports.trace import make_trace
from harness.violation import InvariantViolation

CARD = {"column": "1. Inbox", "title": "Epic: calculator", "tags": [],
        "description": "dirname: demo-app\ncontext_mode: NEW",
        "metadata": {"dirname": "demo-app", "context_mode": "NEW"}}


def test_a_rule_of_several_steps_is_checked_after_each_step_as_its_replay_is(monkeypatch) -> None:
    """A rule that deletes a locked DESIGN.md, re-triggers and approves again is three
    steps: the recreate must be judged against the state before its own step (the file
    was missing), not before the rule's last step, or the run and its replay name two
    different defects."""
    monkeypatch.setattr(CONFIG, "target", "mutant:lock-if-exists")
    machine = MACHINES["governance"]()
    try:
        machine.run_step("create_card", **CARD)
        for column in ("2. Design Draft", "3. Design Approved"):
            machine.run_step("move", card=1, column=column)
            machine.run_step("orchestrate")
        machine.run_step("trick", card=1, kind="delete", path="DESIGN.md")
        machine.run_step("move", card=1, column="2. Design Draft")
        with pytest.raises(InvariantViolation) as raised:
            machine.run_step("orchestrate")  # the recreate: caught at its own step
            machine.run_step("move", card=1, column="3. Design Approved")
            machine.run_step("orchestrate")
        violation = raised.value.violation
        assert violation.invariant == "G1"
        assert "(recreating it after a delete)" in violation.kind
        assert machine.steps[-1]["rule"] == "orchestrate" and len(machine.steps) == 8
        live = raised.value.trace
        trace = make_trace(target=live["target"], target_version=live["target_version"],
                           machine=live["machine"], seed=None, face=live["face"], steps=live["steps"],
                           violation=live["violation"], journal=live["journal"])
    finally:
        machine.world.close()
    replayed = replay_trace(trace)
    assert replayed.reproduced is not None and replayed.steps_applied == 8
    assert replayed.reproduced.signature == violation.signature


def test_the_world_has_its_installs_custom_fields_and_a_person_fills_the_required_ones(monkeypatch) -> None:
    """An AgentLeeOps install has MetaMagik's `dirname` (required) and `context_mode`: the
    web UI refuses a card without a dirname, and a person who writes the card's fields in its
    description types the dirname into the form too."""
    from strategies.cards import CardSpec

    monkeypatch.setattr(CONFIG, "target", "reference")
    machine = MACHINES["combined"]()
    try:
        kb = machine.world.kanboard
        assert machine.run_step("create_card", **(CARD | {"metadata": {}})).card is None  # refused
        assert kb.tasks() == [] and "refused" in machine.steps[-1]["text"]
        yaml_only = CardSpec("Epic", "dirname: from-text\ncontext_mode: NEW")
        card = machine.create_card(yaml_only)
        assert kb.metadata(card) == {"context_mode": "", "dirname": "from-text"}
        kb.webhooks.drain()
        machine.run_step("set_tags", card=card, tags=["x"])  # a tags-only form save
        payload, = kb.webhooks.drain()
        assert payload["event_name"] == "task.update"
        assert payload["event_data"]["changes"]["metamagikkey_dirname"] == "from-text"
        assert CardSpec("No dirname", "context_mode: NEW").dirname is None
        before = len(kb.tasks())
        machine.create_card(CardSpec("No dirname", "context_mode: NEW"))
        assert len(kb.tasks()) == before  # nothing to type in: refused
    finally:
        machine.teardown()
