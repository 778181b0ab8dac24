"""I2 (one live child per story, no half-made cards after a run) and I3 (the cap, refusals)."""

from __future__ import annotations

import contextlib
import json

import pytest
from kanboard import ClientError

from harness.invariants.children import I2SpawnerIdempotency, I3FloodControl, incomplete
from harness.invariants.testing import MiniWorld, write
from harness.journal import acting_as

PLAN_APPROVED = "5. Plan Approved"


def make_world(tmp_path, cap=20, stories=("S1", "S2")):
    w = MiniWorld(tmp_path, fanout_cap=cap)
    w.epic = w.card("Calculator epic", column=PLAN_APPROVED, dirname="calc")
    w.ws = w.workspace("calc")
    set_prd(w, [{"id": s, "title": f"story {s}"} for s in stories])
    return w


def set_prd(world, stories):
    write(world.ws / "prd.json", json.dumps({"stories": stories}))


@pytest.fixture()
def world(tmp_path):
    return make_world(tmp_path)


class Spawner:
    """Plays a spawner run's Kanboard calls, one method per transaction step."""

    def __init__(self, world, actor="webhook"):
        self.world = world
        self.kb = world.client(actor)
        self.actor = actor

    def duplicate(self) -> int:
        w = self.world
        return self.kb.execute("duplicateTaskToProject", task_id=w.epic, project_id=w.kanboard.project_id,
                               column_id=w.kanboard.column_id("6. Tests Draft"))

    def finish(self, card: int, story: str, link=True, metadata=True, title=True) -> None:
        w = self.world
        if title:
            self.kb.execute("updateTask", id=card, title=f"[{story}] story {story}",
                            description=f"Parent: #{w.epic}")
        if metadata:
            self.kb.execute("saveTaskMetadata", task_id=card,
                            values={"atomic_id": story, "parent_id": str(w.epic)})
        if link:
            self.kb.execute("createTaskLink", task_id=card, opposite_task_id=w.epic, link_id=1)

    def child(self, story: str) -> int:
        card = self.duplicate()
        self.finish(card, story)
        return card


def spawn_run(world, checkers, body, actor="webhook"):
    spawner = Spawner(world, actor)
    with world.step(checkers) as found, acting_as(actor), world.journal.agent_run("spawner", world.epic):
        body(spawner)
    return found


def names(found):
    return [v.invariant for v in found]


# -- I2 ----------------------------------------------------------------------------------------
def test_a_complete_fan_out_and_an_idempotent_rerun_are_clean(world):
    i2 = I2SpawnerIdempotency()
    assert spawn_run(world, [i2], lambda s: [s.child("S1"), s.child("S2")]) == []
    assert spawn_run(world, [i2], lambda s: None) == []  # the rerun recognises both


def test_a_rerun_creating_a_second_child_for_a_story_is_caught(world):
    i2 = I2SpawnerIdempotency()
    spawn_run(world, [i2], lambda s: s.child("S1"))
    found = spawn_run(world, [i2], lambda s: s.child("S1"))
    assert names(found) == ["I2"] and "2 live child cards for story S1" in found[0].message


def test_children_are_recognised_without_their_link(world):
    i2 = I2SpawnerIdempotency()
    spawn_run(world, [i2], lambda s: s.child("S1"))
    with acting_as("human"):
        for row in world.kanboard.links(world.epic):
            world.kanboard.human.delete_link(row["id"])
    assert world.kanboard.links(world.epic) == []
    found = spawn_run(world, [i2], lambda s: s.child("S1"))
    assert names(found) == ["I2"]


def test_a_human_copy_of_a_child_is_not_the_systems_duplicate(world):
    i2 = I2SpawnerIdempotency()
    spawn_run(world, [i2], lambda s: s.child("S1"))
    with world.step([i2]) as found, acting_as("human"):
        world.kanboard.human.create_card("[S1] my own copy", column="6. Tests Draft",
                                         description=f"Parent: #{world.epic}", swimlane=1)
    assert found == []


def test_a_title_a_person_typed_names_no_story_the_system_duplicated(world):
    """A person retitles S1's child "[S2] ...": two live cards now show S2, but the system
    made none beside another; and the run that wrote S1's title is not blamed for it."""
    i2 = I2SpawnerIdempotency()
    spawn_run(world, [i2], lambda s: [s.child("S1"), s.child("S2")])
    first = min(int(t["id"]) for t in world.kanboard.tasks() if int(t["id"]) != world.epic)
    with world.step([i2]) as found, acting_as("human"):
        world.kanboard.human.edit_title(first, "[S2] renamed by hand")
    assert found == []

    def retitled_mid_run(s):  # the run completes its S3 child; a person retitles it before it ends
        card = s.child("S3")
        with acting_as("human"):
            world.kanboard.human.edit_title(card, "my title")

    assert spawn_run(world, [i2], retitled_mid_run) == []  # not half-made: the title is the person's
    # the system writing the title again makes it a marker again: a rerun adding S2 is caught
    found = spawn_run(world, [i2], lambda s: [s.finish(first, "S2", metadata=False, link=False), s.child("S2")])
    assert names(found) == ["I2"] and "3 live child cards for story S2" in found[0].message


def test_a_retitled_child_is_still_a_child_by_its_other_marks(world):
    """A person drops a child's `[S1]`: its atomic_id and link still make it S1's child, so a
    rerun that adds another S1 child is the system's duplicate."""
    i2 = I2SpawnerIdempotency()
    spawn_run(world, [i2], lambda s: s.child("S1"))
    child = max(int(t["id"]) for t in world.kanboard.tasks())
    with world.step([i2]) as found, acting_as("human"):
        world.kanboard.human.edit_title(child, "story S1")
    assert found == []
    found = spawn_run(world, [i2], lambda s: s.child("S1"))
    assert names(found) == ["I2"] and "2 live child cards for story S1" in found[0].message


def test_a_run_ending_with_a_half_made_child_is_caught(world):
    i2 = I2SpawnerIdempotency()
    found = spawn_run(world, [i2], lambda s: s.finish(s.duplicate(), "S1", metadata=False))
    assert names(found) == ["I2"] and "half-made" in found[0].message
    assert "missing atomic_id, parent_id" in found[0].message
    # the copy Kanboard links to its source counts as linked; a card with no link at all does not
    card = world.kanboard.call("createTask", {"title": "[S2] x", "project_id": world.kanboard.project_id},
                               actor="harness")
    assert "link to the epic" in incomplete(world, world.epic, card, world.kanboard.task(card))


def test_a_run_that_removes_its_half_made_child_is_clean(world):
    i2 = I2SpawnerIdempotency()

    def rollback(s):
        card = s.duplicate()
        s.kb.execute("removeTask", task_id=card)

    assert spawn_run(world, [i2], rollback) == []


def test_a_lost_duplicate_answer_leaves_a_card_the_run_must_own(world):
    i2 = I2SpawnerIdempotency()
    world.kanboard.faults.add("lost", "duplicateTaskToProject")

    def ignores_the_error(s):
        with contextlib.suppress(ClientError):
            s.duplicate()

    found = spawn_run(world, [i2], ignores_the_error)
    assert names(found) == ["I2"] and "missing link to the epic, atomic_id" not in found[0].message
    assert "atomic_id" in found[0].message


# -- I3 ----------------------------------------------------------------------------------------
def test_more_children_than_the_cap_across_runs_is_caught(tmp_path):
    world = make_world(tmp_path, cap=2, stories=("S1",))
    i3 = I3FloodControl()
    assert spawn_run(world, [i3], lambda s: s.child("S1")) == []
    set_prd(world, [{"id": "S2", "title": "next"}])
    assert spawn_run(world, [i3], lambda s: s.child("S2")) == []
    set_prd(world, [{"id": "S3", "title": "only the new one"}])  # edited between reruns
    found = spawn_run(world, [i3], lambda s: s.child("S3"))
    assert "I3" in names(found)
    assert any("3 child cards, more than the cap of 2" in v.message for v in found)


def test_an_over_cap_request_must_create_nothing(tmp_path):
    world = make_world(tmp_path, cap=2, stories=("S1", "S2", "S3"))
    found = spawn_run(world, [I3FloodControl()], lambda s: s.child("S1"))
    assert names(found) == ["I3"] and "created 1 card(s) although" in found[0].message


def test_an_over_cap_refusal_must_be_visible(tmp_path):
    world = make_world(tmp_path, cap=2, stories=("S1", "S2", "S3"))
    found = spawn_run(world, [I3FloodControl()], lambda s: None)
    assert names(found) == ["I3"] and "without a visible error" in found[0].message


@pytest.mark.parametrize("signal", ["comment", "metadata", "tag"])
def test_a_visible_refusal_is_clean(tmp_path, signal):
    world = make_world(tmp_path, cap=2, stories=("S1", "S2", "S3"))

    def refuse(s):
        if signal == "comment":
            s.kb.execute("createComment", task_id=world.epic, user_id=1, content="Flood control: 3 > 2")
        elif signal == "metadata":
            s.kb.execute("saveTaskMetadata", task_id=world.epic, values={"spawn_error": "too many stories"})
        else:
            s.kb.execute("setTaskTags", project_id=world.kanboard.project_id, task_id=world.epic,
                         tags=["spawn-failed"])

    assert spawn_run(world, [I3FloodControl()], refuse) == []


def test_stories_that_are_not_a_list_must_be_refused_visibly(tmp_path):
    world = make_world(tmp_path)
    write(world.ws / "prd.json", json.dumps({"stories": {"S1": "not a list"}}))
    found = spawn_run(world, [I3FloodControl()], lambda s: None)
    assert names(found) == ["I3"] and "not a list" in found[0].message


def test_existing_children_count_toward_the_cap(tmp_path):
    world = make_world(tmp_path, cap=2, stories=("S1",))
    i3 = I3FloodControl()
    assert spawn_run(world, [i3], lambda s: s.child("S1")) == []
    set_prd(world, [{"id": "S1"}, {"id": "S2"}, {"id": "S3"}])  # 1 existing + 2 new > 2
    found = spawn_run(world, [i3], lambda s: None)
    assert names(found) == ["I3"]
    set_prd(world, [{"id": "S1"}, {"id": "S2"}])  # 1 existing + 1 new: within the cap
    assert spawn_run(world, [i3], lambda s: s.child("S2")) == []
