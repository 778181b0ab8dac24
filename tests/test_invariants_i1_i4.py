"""I1/I4 count form: one run per (card, agent, epoch); I4 lost updates of tags and metadata."""

from __future__ import annotations

import pytest
from kanboard import ClientError

from harness.invariants.duplicates import I1DuplicateRuns, I4Concurrency
from harness.invariants.testing import MiniWorld
from harness.journal import acting_as

RALPH_COLUMN = "8. Ralph Loop"


@pytest.fixture()
def world(tmp_path):
    w = MiniWorld(tmp_path)
    w.card_id = w.card("[S1] Add", column=RALPH_COLUMN, dirname="calc")
    return w


def run(world, checkers, actor, agent="ralph"):
    with world.step(checkers) as found, acting_as(actor), world.journal.agent_run(agent, world.card_id):
        pass
    return found


def names(found):
    return [v.invariant for v in found]


def move(world, actor, column):
    kb = world.client(actor)
    return kb.execute("moveTaskPosition", project_id=world.kanboard.project_id, task_id=world.card_id,
                      column_id=world.kanboard.column_id(column), position=1, swimlane_id=1)


def test_a_duplicate_delivery_running_the_agent_twice_is_i1(world):
    checkers = [I1DuplicateRuns(), I4Concurrency()]
    assert run(world, checkers, "webhook") == []
    found = run(world, checkers, "webhook")
    assert names(found) == ["I1"]
    assert "ran twice in one epoch" in found[0].message
    # the component is the code that started the run (the test's `run` plays the dispatcher)
    assert found[0].component == "tests.test_invariants_i1_i4:run"
    assert found[0].signature == ("I1", "an agent ran twice in one epoch", found[0].component)
    assert found[0].entrypoint == "webhook"


def test_racing_webhook_threads_are_i1_not_i4(world):
    checkers = [I1DuplicateRuns(), I4Concurrency()]
    run(world, checkers, "webhook#1")
    assert names(run(world, checkers, "webhook#2")) == ["I1"]


def test_two_different_runners_running_it_is_i4(world):
    checkers = [I1DuplicateRuns(), I4Concurrency()]
    assert run(world, checkers, "poller") == []
    found = run(world, checkers, "orchestrator")
    assert names(found) == ["I4"] and "poller" in found[0].message and "orchestrator" in found[0].message


def test_one_runner_rerunning_its_own_agent_is_neither(world):
    checkers = [I1DuplicateRuns(), I4Concurrency()]
    run(world, checkers, "poller")
    assert run(world, checkers, "poller") == []


def test_a_new_epoch_allows_a_new_run(world):
    checkers = [I1DuplicateRuns(), I4Concurrency()]
    run(world, checkers, "webhook")
    with acting_as("human"):
        world.kanboard.human.move(world.card_id, "9. Code Review")
        world.kanboard.human.move(world.card_id, RALPH_COLUMN)
    assert run(world, checkers, "webhook") == []  # the card came back: a new epoch
    with acting_as("human"):
        world.kanboard.human.set_tags(world.card_id, [])  # a deliberate retry
    assert run(world, checkers, "poller") == []
    assert names(run(world, checkers, "webhook")) == ["I4"]  # but not twice in that epoch


def test_a_system_move_begins_an_epoch_only_when_it_was_applied(world):
    checkers = [I1DuplicateRuns()]
    run(world, checkers, "webhook")
    with acting_as("webhook"):
        move(world, "webhook", "9. Code Review")
    world.kanboard.faults.add("lost", "moveTaskPosition")
    with acting_as("webhook"), pytest.raises(ClientError):
        move(world, "webhook", RALPH_COLUMN)  # applied, then the answer was lost
    assert run(world, checkers, "webhook") == []
    with acting_as("webhook"):
        move(world, "webhook", "9. Code Review")
    world.kanboard.faults.add("timeout", "moveTaskPosition")
    with acting_as("webhook"), pytest.raises(ClientError):
        move(world, "webhook", RALPH_COLUMN)  # not applied: still in Code Review
    assert world.kanboard.task(world.card_id)["column_id"] == world.kanboard.column_id("9. Code Review")
    assert run(world, checkers, "webhook", agent="code_review") == []
    assert names(run(world, checkers, "webhook", agent="code_review")) == ["I1"]


def test_different_agents_and_cards_do_not_collide(world):
    checkers = [I1DuplicateRuns(), I4Concurrency()]
    run(world, checkers, "webhook", agent="ralph")
    assert run(world, checkers, "webhook", agent="code_review") == []
    other = world.card("[S2] Sub", column=RALPH_COLUMN, dirname="calc")
    with world.step(checkers) as found, acting_as("webhook"), world.journal.agent_run("ralph", other):
        pass
    assert found == []


# -- lost updates ------------------------------------------------------------------------------
def tags_rmw(world, actor, add):
    kb = world.client(actor)
    current = list(kb.execute("getTaskTags", task_id=world.card_id).values())
    return lambda: kb.execute("setTaskTags", project_id=world.kanboard.project_id,
                              task_id=world.card_id, tags=current + [add])


def test_a_tag_erased_by_another_runners_stale_read_modify_write_is_i4(world):
    i4 = I4Concurrency()
    with world.step([i4]) as found:
        with acting_as("poller"):
            finish_a = tags_rmw(world, "poller", "ralph-done")
        with acting_as("webhook"):
            finish_b = tags_rmw(world, "webhook", "review-queued")  # read before A wrote
        with acting_as("poller"):
            finish_a()
        with acting_as("webhook"):
            finish_b()  # drops "ralph-done"
    assert names(found) == ["I4"]
    assert "'ralph-done'" in found[0].message and "lost update" in found[0].message
    assert world.kanboard.tags(world.card_id) == ["review-queued"]


def test_a_read_after_the_other_runners_write_is_not_a_lost_update(world):
    i4 = I4Concurrency()
    with world.step([i4]) as found:
        with acting_as("poller"):
            tags_rmw(world, "poller", "ralph-done")()
        with acting_as("webhook"):
            tags_rmw(world, "webhook", "review-queued")()  # saw ralph-done, kept it
            kb = world.client("webhook")
            kb.execute("getTaskTags", task_id=world.card_id)
            kb.execute("setTaskTags", project_id=world.kanboard.project_id, task_id=world.card_id,
                       tags=["review-queued"])  # removes it knowingly
    assert found == []


def test_metadata_removed_by_another_runner_after_its_stale_read_is_i4(world):
    i4 = I4Concurrency()
    a, b = world.client("poller"), world.client("webhook")
    with world.step([i4]) as found:
        with acting_as("webhook"):
            b.execute("getTaskMetadata", task_id=world.card_id)
        with acting_as("poller"):
            a.execute("saveTaskMetadata", task_id=world.card_id, values={"lease": "poller"})
        with acting_as("webhook"):
            b.execute("removeTaskMetadata", task_id=world.card_id, name="lease")
    assert names(found) == ["I4"] and "metadata lease" in found[0].message
    with world.step([i4]) as found:
        with acting_as("poller"):
            a.execute("saveTaskMetadata", task_id=world.card_id, values={"lease": "poller-2"})
        with acting_as("webhook"):
            b.execute("getTaskMetadata", task_id=world.card_id)
            b.execute("removeTaskMetadata", task_id=world.card_id, name="lease")
    assert found == []


def test_a_humans_tag_removed_by_a_runner_is_not_a_lost_update(world):
    i4 = I4Concurrency()
    with acting_as("human"):
        world.kanboard.human.set_tags(world.card_id, ["needs-retry"])
    with world.step([i4]) as found, acting_as("poller"):
        world.client("poller").execute("setTaskTags", project_id=world.kanboard.project_id,
                                       task_id=world.card_id, tags=[])
    assert found == []
