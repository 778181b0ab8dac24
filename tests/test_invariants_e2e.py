"""End to end: every checker after every step of scripted runs on the reference and mutants.

The reference must stay clean through the whole pipeline, duplicate deliveries, file tricks
and hostile model code; each mutant must be caught by the invariant its defect breaks.
"""

from __future__ import annotations

import contextlib
import pickle
from collections.abc import Iterator

import pytest

from harness.invariants import all_checkers
from harness.steps import Step, apply, pending_webhooks
from harness.violation import Violation
from harness.world import World
from strategies.llm import good_answer, hostile_answer
from strategies.prd import prd_document_text
from targets.registry import get_target


@contextlib.contextmanager
def driven(target: str, steps: list[tuple[str, dict]], *, check_each_step: bool = True
           ) -> Iterator[tuple[World, list[Violation]]]:
    """Apply `steps` with every checker; the world (still open) and the violations found.
    `check_each_step=False` checks once at the end, as a machine does after a many-step rule."""
    world = World(get_target(target))
    checkers = all_checkers()
    found: list[Violation] = []
    try:
        for rule, args in steps:
            for checker in checkers:
                checker.before_step(world)
            apply(world, Step(rule, args))
            if check_each_step:
                found += [v for checker in checkers for v in checker.check(world)]
        if not check_each_step:
            found += [v for checker in checkers for v in checker.check(world)]
        yield world, found
    finally:
        world.close()


def drive(target: str, steps: list[tuple[str, dict]]) -> list[Violation]:
    with driven(target, steps) as (_, found):
        return found


def to(card: int, column: str) -> list[tuple[str, dict]]:
    return [("move", {"card": card, "column": column}), ("orchestrate", {})]


CREATE = [("create_card", {"title": "Calculator", "column": "1. Inbox", "metadata": {"dirname": "calc"}})]
DESIGNED = CREATE + to(1, "2. Design Draft") + to(1, "3. Design Approved")
SPAWNED = DESIGNED + to(1, "4. Planning Draft") + to(1, "5. Plan Approved") + [("orchestrate", {})]
APPROVED = SPAWNED + to(2, "7. Tests Approved")
HOSTILE_CODER = hostile_answer("coder", "writes_tests_on_import", {"dirname": "calc", "atomic_id": "atomic-01"})
FLOOD = hostile_answer("pm", "flood", {"dirname": "calc"})
PLAN_15, PLAN_25 = prd_document_text(15, "calc"), prd_document_text(25, "calc")
# 15 children, then the plan reopened with the explicit unlock, grown to 25 and re-approved:
# 10 new stories fit a per-run cap of 20, but the epic would hold 25
REPLANNED = (DESIGNED + [("llm", {"role": "pm", "answer": PLAN_15})] + to(1, "4. Planning Draft")
             + to(1, "5. Plan Approved")
             + [("unlock", {"card": 1, "path": "prd.json", "reason": "the plan grew"}),
                ("llm", {"role": "pm", "answer": PLAN_25})]
             + to(1, "4. Planning Draft") + to(1, "5. Plan Approved"))


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


def test_the_reference_refuses_a_replanned_epic_past_the_cap_and_relocks_the_plan():
    with driven("reference", REPLANNED) as (world, found):
        kb = world.kanboard
        children = [t for t in kb.tasks() if int(t["id"]) != 1]
        comments = " ".join(c["comment"] for c in kb.comments(1))
        locked = world.target.locked_artifacts(world.binding.home / "projects" / "calc")
    assert found == []
    assert len(children) == 15  # the grown plan was refused as a whole
    assert "unlocked by hand" in comments and "flood control" in comments
    assert set(locked) == {"DESIGN.md", "prd.json"}  # re-approved: the new plan is locked


def test_a_reused_card_id_is_not_taken_for_a_removed_child():
    """Kanboard gives a new card the id of a just-removed one; the I3/I2 family must follow
    the card, not the number (a false alarm the spawner machine once raised)."""
    steps = (DESIGNED + [("llm", {"role": "pm", "answer": prd_document_text(20, "calc")})]
             + to(1, "4. Planning Draft")
             + [("fault", {"method": "saveTaskMetadata", "kind": "falsy", "occurrence": 6}),
                ("fault", {"method": "removeTask", "kind": "falsy", "occurrence": 1}),
                ("move", {"card": 1, "column": "5. Plan Approved"}), ("poll", {"ticks": 1}),
                ("create_card", {"title": "Another", "column": "1. Inbox", "metadata": {"dirname": "other"}}),
                ("move", {"card": 1, "column": "4. Planning Draft"}),
                ("move", {"card": 1, "column": "5. Plan Approved"}), ("poll", {"ticks": 1})])
    with driven("reference", steps) as (world, found):
        kb = world.kanboard
        reused = next(int(t["id"]) for t in kb.tasks() if t["title"] == "Another")
        children = [t for t in kb.tasks() if kb.metadata(int(t["id"])).get("parent_id") == "1"]
    assert reused == 2 and len(children) == 20  # the removed child's id went to the new card
    assert found == []


def test_a_rolled_back_childs_id_reused_by_another_epic_checked_once_at_the_end():
    """A rule of a machine is several steps and is checked once: a child rolled back in an
    early step, whose id a later card gets, must not read as that run's half-made child."""
    epic2 = [("create_card", {"title": "Other", "column": "1. Inbox", "metadata": {"dirname": "other"}})]
    for column in ("2. Design Draft", "3. Design Approved", "4. Planning Draft", "5. Plan Approved"):
        epic2 += to(2, column)
    steps = (DESIGNED + [("llm", {"role": "pm", "answer": prd_document_text(1, "calc")})]
             + to(1, "4. Planning Draft")
             + [("fault", {"method": "saveTaskMetadata", "kind": "falsy", "occurrence": 1, "new_card": True}),
                ("move", {"card": 1, "column": "5. Plan Approved"}), ("orchestrate", {})]
             + epic2)
    with driven("reference", steps, check_each_step=False) as (world, found):
        reused = world.kanboard.metadata(3).get("parent_id")
    assert reused == "2"  # epic #2's first child got the id of epic #1's rolled-back one
    assert found == []


CALC_STORY = {"dirname": "calc", "atomic_id": "atomic-01"}
GOOD_CODER = good_answer("coder", CALC_STORY)
MID_RUN = {
    "edit": {"kind": "edit", "card": 2, "path": "tests/test_atomic_01.py",
             "content": "def test_anything():\n    assert True\n"},
    "new": {"kind": "write", "card": 2, "path": "tests/test_extra.py", "content": "# mine\n"},
    "delete": {"kind": "delete", "card": 2, "path": "tests/test_atomic_01.py"},
}


def while_ralph_thinks(trick: dict) -> list[tuple[str, dict]]:
    """A person changes tests/ while Ralph waits for the model, in the middle of its run."""
    return APPROVED + [("llm", {"role": "coder", "answer": GOOD_CODER, "meanwhile": trick})] + to(2, "8. Ralph Loop")


@pytest.mark.parametrize("how", sorted(MID_RUN))
def test_the_reference_undoes_a_test_change_made_during_its_run(how):
    with driven("reference", while_ralph_thinks(MID_RUN[how])) as (world, found):
        ws = world.binding.home / "projects" / "calc"
        test_text = (ws / "tests" / "test_atomic_01.py").read_text()
        extra = (ws / "tests" / "test_extra.py").exists()
    assert found == []
    assert "assert True" not in test_text and not extra  # restored, and the run refused


def test_the_reference_undoes_a_mid_run_test_edit_when_it_refuses_the_run_for_another_reason():
    """Found by the ralph machine: the source path a symlink (so the write is refused) and a
    test edited meanwhile; the refusal must not skip putting tests/ back. The mutant that
    misses the edit leaves it in place, but the refused run built nothing on it: by G2's
    attribution clause the edit is the person's, not a finding."""
    link = ("trick", {"kind": "symlink_over", "card": 2, "path": "src/calc.py", "to": "tests/test_atomic_01.py"})
    steps = while_ralph_thinks(MID_RUN["edit"])
    steps = steps[:len(APPROVED)] + [link] + steps[len(APPROVED):]
    with driven("reference", steps) as (world, found):
        restored = "assert True" not in (world.binding.home / "projects" / "calc" / "tests" / "test_atomic_01.py").read_text()
    assert found == [] and restored
    with driven("mutant:ralph-guard-staged-only", steps) as (world, found):
        kept = "assert True" in (world.binding.home / "projects" / "calc" / "tests" / "test_atomic_01.py").read_text()
    assert found == [] and kept


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
    "spawner-cap-per-run": ("I3", REPLANNED),
    "ralph-guard-staged-only": ("G2", while_ralph_thinks(MID_RUN["edit"])),
    "ralph-git-add-all": ("G2", APPROVED + [("trick", {"kind": "write", "card": 2, "path": "tests/test_extra.py"})]
                          + to(2, "8. Ralph Loop")),
    # a person edits the approved design, clears the card's tags and the approval runs again
    "relock-current-bytes": ("G1", DESIGNED + [("trick", {"kind": "edit", "card": 1, "path": "DESIGN.md",
                                                          "content": "# my own design\n"}),
                                               ("set_tags", {"card": 1, "tags": []})]
                             + to(1, "2. Design Draft") + to(1, "3. Design Approved")),
    "webhook-no-token": ("R2", CREATE + [("move", {"card": 1, "column": "2. Design Draft"}),
                                         ("deliver", {"token": "wrong"}), ("deliver", {"token": "missing"})]),
    "runner-lets-errors-out": ("R1", CREATE + [("fault", {"method": "getColumns", "kind": "error", "every": True}),
                                               ("orchestrate", {})]),
    "retry-failed-agent": ("R1", CREATE + [("llm", {"role": "architect", "answer": ""})] * 5
                           + [("move", {"card": 1, "column": "2. Design Draft"})] + [("poll", {"ticks": 1})] * 4),
    "silent-failure": ("R1", CREATE + [("llm", {"role": "architect", "answer": ""})] + to(1, "2. Design Draft")),
    "spawner-column-by-update": ("K1", SPAWNED),
}
NEW_ORACLE_MUTANTS = ("relock-current-bytes", "webhook-no-token", "runner-lets-errors-out",
                      "retry-failed-agent", "silent-failure", "spawner-column-by-update")


@pytest.mark.parametrize("mutant", NEW_ORACLE_MUTANTS)
def test_the_reference_holds_where_each_new_oracle_mutant_breaks(mutant):
    """The same steps on the reference: nothing (each new oracle's proof is a pair)."""
    assert drive("reference", MUTANTS[mutant][1]) == []


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


def test_a_race_journals_its_runners_not_its_live_chooser():
    """Traces cross process boundaries (parallel workers) and land in JSON: a step's live
    arguments, such as the race's `choose`, are not part of its record."""
    world = World(get_target("reference"))
    try:
        for rule, args in CREATE + [("move", {"card": 1, "column": "2. Design Draft"}), ("deliver", {})]:
            apply(world, Step(rule, args))
        payload = pending_webhooks(world)[0]
        apply(world, Step("race", {"runners": [{"entry": "webhook", "payload": payload}, {"entry": "poll"}],
                                   "choose": lambda names: 1 if len(names) > 1 else 0}))
        events = world.journal.events()
    finally:
        world.close()
    race = [e for e in events if e.kind == "step" and e.data["rule"] == "race"]
    assert race and "choose" not in race[0].data["args"] and race[0].data["args"]["runners"]
    pickle.dumps(events)  # raises on a live object
