"""Step-level minimisation (harness/minimize.py): a shrunk repro loses every step, and every
pair of steps, that the defect does not need, and what is left still replays to it."""

from __future__ import annotations

from typing import Any

import pytest

import harness.minimize
from harness.minimize import minimize, reproduce
from harness.world import World
from targets.registry import get_target

INBOX, DRAFT = "1. Inbox", "2. Design Draft"


def card(title: str, dirname: str) -> dict[str, Any]:
    return {"rule": "create_card", "args": {
        "title": title, "description": f"dirname: {dirname}\ncontext_mode: NEW",
        "metadata": {"dirname": dirname, "context_mode": "NEW"}, "tags": [], "column": INBOX}}


def move(task: int, column: str) -> dict[str, Any]:
    return {"rule": "move", "args": {"card": task, "column": column}}


DELIVER = {"rule": "deliver", "args": {"copies": 1, "token": "ok"}}
NOISE = {"rule": "llm", "args": {"role": "architect", "answer": "# Design\n\nnothing reads this"}}

# An epic that never matters, a scripted answer nobody asks for, and a story whose dirname
# climbs out of the workspaces: its design is written outside them once its webhooks arrive.
# The epic's move and that move's delivery only go together (deliveries are handed over in
# order): the kind of pair a choice-sequence shrinker keeps.
STEPS = [card("Epic: calculator", "demo-app"), NOISE, move(1, DRAFT), card("Story", ".."),
         move(2, DRAFT), DELIVER, DELIVER, DELIVER, DELIVER]


def mutant_world() -> World:
    return World(get_target("mutant:dirname-unchecked"))


def escapes(violation: Any) -> bool:
    return violation.invariant == "G4"


def test_deliveries_follow_what_they_deliver_and_the_steps_the_defect_does_not_need_go() -> None:
    full = reproduce(STEPS, escapes, checks=("G4",), make_world=mutant_world)
    assert full is not None and len(full.steps) == len(STEPS)
    signature = full.violation.signature

    result = minimize(STEPS, lambda v: v.signature == signature, checks=("G4",),
                      make_world=mutant_world)

    assert result.complete and result.one_minimal and result.best is not None
    # each webhook is delivered as soon as it can be; the noise went, and so did the epic's
    # move, which needs no delivery of its own to go with it now
    assert [(s["rule"], s["args"]) for s in result.best.steps] == [
        (s["rule"], s["args"]) for s in
        [STEPS[0], DELIVER, STEPS[3], DELIVER, move(2, DRAFT), DELIVER]]
    assert [s["text"] for s in result.best.steps][3] == \
        "webhook task.create for card #2 delivered (HTTP 200)"
    again = reproduce(result.best.steps, lambda v: v.signature == signature, checks=("G4",),
                      make_world=mutant_world)
    assert again is not None and len(again.steps) == 6


def test_a_pair_of_steps_goes_that_neither_could_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(harness.minimize, "DELIVERIES", frozenset())  # deliveries stay late
    full = reproduce(STEPS, escapes, checks=("G4",), make_world=mutant_world)
    assert full is not None
    signature = full.violation.signature

    result = minimize(STEPS, lambda v: v.signature == signature, checks=("G4",),
                      make_world=mutant_world)

    assert result.complete and result.one_minimal and result.best is not None
    kept = [(s["rule"], s["args"]) for s in result.best.steps]
    # the noise went alone; the epic's move went only with one of the deliveries
    assert kept == [(s["rule"], s["args"]) for s in
                    [STEPS[0], STEPS[3], STEPS[4], DELIVER, DELIVER, DELIVER]]
    assert [s["text"] for s in result.best.steps][-1].startswith("webhook task.move.column for card #2")
    again = reproduce(result.best.steps, lambda v: v.signature == signature, checks=("G4",),
                      make_world=mutant_world)
    assert again is not None and len(again.steps) == len(kept)


def test_the_same_steps_give_the_same_minimum() -> None:
    first = minimize(STEPS, escapes, checks=("G4",), make_world=mutant_world)
    second = minimize(STEPS, escapes, checks=("G4",), make_world=mutant_world)
    assert first.best is not None and second.best is not None
    assert first.best.steps == second.best.steps and first.replays == second.replays


def test_a_spent_budget_says_so_and_keeps_the_best_so_far() -> None:
    result = minimize(STEPS, escapes, checks=("G4",), make_world=mutant_world, max_pairs=2)
    assert not result.complete and result.one_minimal  # every single step was tried
    spent = minimize(STEPS, escapes, checks=("G4",), make_world=mutant_world, deadline=0.0)
    assert not spent.complete and not spent.one_minimal and spent.best is None


def test_the_reference_shows_nothing_so_nothing_is_kept() -> None:
    def reference() -> World:
        return World(get_target("reference"))

    assert reproduce(STEPS, escapes, checks=("G4",), make_world=reference) is None
    result = minimize(STEPS, escapes, checks=("G4",), make_world=reference, max_pairs=20)
    assert result.best is None


def test_cards_made_in_a_run_with_steps_left_out_are_followed_by_their_new_numbers() -> None:
    # from a run where the story was card #2 (card #1 made by a step now left out)
    steps = [card("Story", ".."), move(2, DRAFT), DELIVER, DELIVER]
    made, every_made = [[2], [], [], []], frozenset({1, 2})
    found = reproduce(steps, escapes, checks=("G4",), make_world=mutant_world, made=made,
                      every_made=every_made)
    assert found is not None
    assert found.steps[1]["args"] == {"card": 1, "column": DRAFT}
    assert [s["text"] for s in found.steps][1] == "card #1 moved to 2. Design Draft"
    assert found.made == [[1], [], [], []]
    # a step naming the card whose creation was left out cannot be applied: not a repro
    orphan = [card("Story", ".."), move(1, DRAFT), DELIVER, DELIVER]
    assert reproduce(orphan, escapes, checks=("G4",), make_world=mutant_world, made=made,
                     every_made=every_made) is None


def orchestrate() -> dict[str, Any]:
    return {"rule": "orchestrate", "args": {}}


# The design is approved by an orchestrator pass; the planning pass then writes prd.json,
# which a person replaced by a symlink onto the locked DESIGN.md. The approval's webhook,
# delivered late, could approve the design instead of that pass, but only if the move to
# Planning Draft waits until it has arrived (the handler reads the card's column then).
SYMLINK = [card("Epic: calculator", "demo-app"), move(1, DRAFT), orchestrate(),
           move(1, "3. Design Approved"), orchestrate(),
           {"rule": "trick", "args": {"card": 1, "kind": "symlink_over", "path": "prd.json",
                                      "to": "DESIGN.md"}},
           move(1, "4. Planning Draft"), DELIVER, DELIVER, DELIVER, DELIVER]


def symlink_world() -> World:
    return World(get_target("mutant:write-through-symlink"))


def symlink_signature() -> Any:
    full = reproduce(SYMLINK, lambda v: v.invariant == "G1", checks=("G1",), make_world=symlink_world)
    assert full is not None and len(full.steps) == len(SYMLINK)
    return full.violation.signature


def test_a_step_goes_when_a_later_one_is_delayed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(harness.minimize, "DELIVERIES", frozenset())  # deliveries stay late
    signature = symlink_signature()

    def same(v: Any) -> bool:
        return v.signature == signature

    pairs = len(SYMLINK) * (len(SYMLINK) - 1) // 2
    without = minimize(SYMLINK, same, checks=("G1",), make_world=symlink_world, max_pairs=pairs)
    assert without.best is None and without.one_minimal  # no step nor pair can go
    result = minimize(SYMLINK, same, checks=("G1",), make_world=symlink_world)
    assert result.complete and result.best is not None
    rules = [s["rule"] for s in result.best.steps]
    # the second pass went; the move to Planning Draft now follows the approval's delivery
    assert rules == ["create_card", "move", "orchestrate", "move", "trick",
                     "deliver", "deliver", "deliver", "move", "deliver"]
    assert result.best.steps[7]["text"].startswith("webhook task.move.column for card #1 to 3.")


def test_with_prompt_deliveries_no_orchestrator_pass_is_needed() -> None:
    signature = symlink_signature()
    result = minimize(SYMLINK, lambda v: v.signature == signature, checks=("G1",),
                      make_world=symlink_world)
    assert result.complete and result.best is not None
    assert [(s["rule"], s["args"].get("column")) for s in result.best.steps] == [
        ("create_card", INBOX), ("deliver", None), ("move", DRAFT), ("deliver", None),
        ("move", "3. Design Approved"), ("deliver", None), ("trick", None),
        ("move", "4. Planning Draft"), ("deliver", None)]
