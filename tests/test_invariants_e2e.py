"""End to end: every checker after every step of scripted runs on the reference and mutants.

The reference must stay clean through the whole pipeline, duplicate deliveries, file tricks
and hostile model code; each mutant must be caught by the invariant its defect breaks.
"""

from __future__ import annotations

import pytest

from harness.invariants import all_checkers
from harness.steps import Step, apply, pending_webhooks
from harness.violation import Violation
from harness.world import World
from strategies.llm import hostile_answer
from targets.registry import get_target


def drive(target: str, steps: list[tuple[str, dict]]) -> list[Violation]:
    world = World(get_target(target))
    checkers = all_checkers()
    found: list[Violation] = []
    try:
        for rule, args in steps:
            for checker in checkers:
                checker.before_step(world)
            apply(world, Step(rule, args))
            found += [v for checker in checkers for v in checker.check(world)]
    finally:
        world.close()
    return found


def to(card: int, column: str) -> list[tuple[str, dict]]:
    return [("move", {"card": card, "column": column}), ("orchestrate", {})]


CREATE = [("create_card", {"title": "Calculator", "column": "1. Inbox", "metadata": {"dirname": "calc"}})]
DESIGNED = CREATE + to(1, "2. Design Draft") + to(1, "3. Design Approved")
SPAWNED = DESIGNED + to(1, "4. Planning Draft") + to(1, "5. Plan Approved") + [("orchestrate", {})]
APPROVED = SPAWNED + to(2, "7. Tests Approved")
HOSTILE_CODER = hostile_answer("coder", "writes_tests_on_import", {"dirname": "calc", "atomic_id": "atomic-01"})
FLOOD = hostile_answer("pm", "flood", {"dirname": "calc"})


def test_the_reference_is_clean_through_the_pipeline_duplicates_and_tricks():
    steps = (APPROVED + to(2, "8. Ralph Loop")
             + [("deliver", {"copies": 2}), ("deliver", {"copies": 2}), ("poll", {"ticks": 2}),
                ("trick", {"kind": "delete", "card": 1, "path": "DESIGN.md"})]
             + to(1, "2. Design Draft") + [("delete_link", {"card": 2})]
             + to(1, "4. Planning Draft") + to(1, "5. Plan Approved"))
    assert drive("reference", steps) == []


def test_the_reference_is_clean_with_hostile_model_code_and_a_stray_test_file():
    steps = (APPROVED + [("llm", {"role": "coder", "answer": HOSTILE_CODER}),
                         ("trick", {"kind": "write", "card": 2, "path": "tests/test_extra.py"})]
             + to(2, "8. Ralph Loop"))
    assert drive("reference", steps) == []


MUTANTS = {
    "no-dedupe": ("I1", CREATE + [("move", {"card": 1, "column": "2. Design Draft"}),
                                  ("deliver", {}), ("deliver", {"copies": 2})]),
    "lock-if-exists": ("G1", DESIGNED + [("trick", {"kind": "delete", "card": 1, "path": "DESIGN.md"})]
                       + to(1, "2. Design Draft")),
    "corrupt-manifest-open": ("G1", DESIGNED + [("trick", {"kind": "corrupt_manifest", "card": 1})]
                              + to(1, "2. Design Draft")),
    "shell-arg": ("G4", CREATE + to(1, "2. Design Draft")),
    "dirname-unchecked": ("G4", [("create_card", {"title": "Calc", "column": "1. Inbox",
                                                  "metadata": {"dirname": "../escape"}})]
                          + to(1, "2. Design Draft")),
    "webhook-skips-gate": ("G3", SPAWNED + [("move", {"card": 2, "column": "8. Ralph Loop"})]
                           + [("deliver", {})] * 12),
    "spawner-link-only": ("I2", SPAWNED + [("delete_link", {"card": 2}), ("delete_link", {"card": 2})]
                          + to(1, "4. Planning Draft") + to(1, "5. Plan Approved")),
    "spawner-flood-no-error": ("I3", DESIGNED + [("llm", {"role": "pm", "answer": FLOOD})]
                               + to(1, "4. Planning Draft") + to(1, "5. Plan Approved")),
    "ralph-runs-in-workspace": ("G2", APPROVED + [("llm", {"role": "coder", "answer": HOSTILE_CODER})]
                                + to(2, "8. Ralph Loop")),
    "write-through-symlink": ("G1", DESIGNED + [("trick", {"kind": "symlink_over", "card": 1, "path": "prd.json",
                                                           "to": "DESIGN.md"})] + to(1, "4. Planning Draft")),
    "spawner-no-pending-marker": ("I2", DESIGNED + to(1, "4. Planning Draft")
                                  + [("fault", {"method": "duplicateTaskToProject", "kind": "lost"})]
                                  + to(1, "5. Plan Approved")),
    "ralph-git-add-all": ("G2", APPROVED + [("trick", {"kind": "write", "card": 2, "path": "tests/test_extra.py"})]
                          + to(2, "8. Ralph Loop")),
}


@pytest.mark.parametrize("mutant", sorted(MUTANTS))
def test_each_mutant_is_caught_by_its_invariant(mutant):
    invariant, steps = MUTANTS[mutant]
    found = drive(f"mutant:{mutant}", steps)
    assert found, f"mutant:{mutant} went unnoticed"
    assert found[0].invariant == invariant, found[0].headline()
    assert found[0].component != "?"


def alternate(names):
    """Switch runners at every Kanboard call: the tightest interleaving."""
    return 1 if len(names) > 1 else 0


@pytest.mark.parametrize("target, expected", [("reference", []), ("mutant:no-lease", ["I4"])])
def test_a_webhook_racing_a_poller(target, expected):
    world = World(get_target(target))
    checkers = all_checkers()
    found: list[Violation] = []
    try:
        for rule, args in CREATE + [("move", {"card": 1, "column": "2. Design Draft"}), ("deliver", {})]:
            apply(world, Step(rule, args))
        payload = pending_webhooks(world)[0]
        for checker in checkers:
            checker.before_step(world)
        apply(world, Step("race", {"runners": [{"entry": "webhook", "payload": payload}, {"entry": "poll"}],
                                   "choose": alternate}))
        found = [v for checker in checkers for v in checker.check(world)]
    finally:
        world.close()
    assert [v.invariant for v in found] == expected
