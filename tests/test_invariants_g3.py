"""G3: no agent runs before its upstream artifacts are locked; the differential forms of G3 and I1."""

from __future__ import annotations

import pytest

from harness.differential import compare, outcome
from harness.invariants.gate import DEFAULT_UPSTREAM, G3Gate
from harness.invariants.testing import MANIFEST, MiniWorld, write
from harness.journal import acting_as


def make(tmp_path, name="w"):
    w = MiniWorld(tmp_path / name)
    w.card_id = w.card("[S1] Add", column="8. Ralph Loop", dirname="calc")
    w.ws = w.workspace("calc")
    write(w.ws / "tests" / "test_s1.py", "def test(): pass\n")
    write(w.ws / "prd.json", '{"stories": []}')
    return w


def run(world, checkers, agent, actor="webhook", body=lambda: None):
    with world.step(checkers) as found, acting_as(actor), world.journal.agent_run(agent, world.card_id):
        body()
    return found


def test_ralph_on_a_card_whose_tests_were_never_approved_is_caught(tmp_path):
    world = make(tmp_path)
    found = run(world, [G3Gate()], "ralph")
    assert [v.invariant for v in found] == ["G3"]
    assert "tests/test_*.py was never locked" in found[0].message
    assert found[0].component == "tests.test_invariants_g3:run"  # the code that started it
    assert found[0].entrypoint == "webhook" and found[0].kind == "ran ralph with its upstream not approved"


def test_ralph_after_the_tests_were_locked_is_clean(tmp_path):
    world = make(tmp_path)
    gate = G3Gate()
    with world.step([gate]), acting_as("poller"):
        world.lock(world.ws, "tests/test_s1.py")
    assert run(world, [gate], "ralph", actor="cli") == []


def test_the_spawner_needs_its_plan_locked(tmp_path):
    world = make(tmp_path)
    gate = G3Gate()
    assert [v.invariant for v in run(world, [gate], "spawner")] == ["G3"]
    with world.step([gate]), acting_as("poller"):
        world.lock(world.ws, "prd.json")
    with acting_as("human"):
        world.kanboard.human.move(world.card_id, "5. Plan Approved")
    assert run(world, [gate], "spawner") == []


def test_a_card_made_and_deleted_within_the_step_is_judged_by_the_workspace_the_system_read(tmp_path):
    """A spawner's orphan child (made, then deleted by its cleanup) that a racing runner
    started an agent on is on no board the checker sees after the step: its workspace is the
    one the runner read, whose plan was locked (a false alarm on the reference, once)."""
    world = make(tmp_path)
    gate = G3Gate()
    with world.step([gate]), acting_as("poller"):
        world.lock(world.ws, "prd.json")

    def orphan(dirname: str) -> list:
        with world.step([gate]) as found, acting_as("orchestrator"):
            kb = world.client("orchestrator")
            child = kb.create_task(project_id=1, title="[S2] Sub", column_id=5)
            kb.save_task_metadata(task_id=child, values={"dirname": dirname})
            kb.get_task(task_id=child)
            kb.get_task_metadata(task_id=child)
            with world.journal.agent_run("spawner", child):
                pass
            kb.remove_task(task_id=child)
        return found

    assert orphan("calc") == []
    world.workspace("other")
    found = orphan("other")  # read as another workspace, whose plan nobody locked: caught
    assert [v.invariant for v in found] == ["G3"] and "prd.json was never locked" in found[0].message


def test_a_corrupted_manifest_does_not_unapprove(tmp_path):
    world = make(tmp_path)
    gate = G3Gate()
    with world.step([gate]), acting_as("poller"):
        world.lock(world.ws, "tests/test_s1.py")
    (world.ws / MANIFEST).write_text("garbage")
    assert run(world, [gate], "ralph") == []
    world.journal.record("human", {"action": "unlock", "task_id": world.card_id}, actor="human")
    assert [v.invariant for v in run(world, [gate], "ralph")] == ["G3"]


def test_an_unlock_of_one_artifact_keeps_the_others_approved(tmp_path):
    world = make(tmp_path)
    gate = G3Gate()
    with world.step([gate]), acting_as("poller"):
        world.lock(world.ws, "tests/test_s1.py", "prd.json")
    (world.ws / MANIFEST).write_text("garbage")  # only the remembered locks count from here
    world.journal.record("human", {"action": "unlock", "task_id": world.card_id, "paths": ["prd.json"]},
                         actor="human")
    assert run(world, [gate], "ralph") == []  # its tests are still approved
    world.journal.record("human", {"action": "unlock", "task_id": world.card_id, "paths": ["tests/test_s1.py"]},
                         actor="human")
    assert [v.invariant for v in run(world, [gate], "ralph")] == ["G3"]


def test_a_target_may_declare_its_own_upstream(tmp_path):
    world = make(tmp_path)
    world.target.upstream = {"code_review": ("src/*.py",)}
    gate = G3Gate()
    assert run(world, [gate], "ralph") == []  # no longer declared
    assert [v.invariant for v in run(world, [gate], "code_review")] == ["G3"]
    assert DEFAULT_UPSTREAM["ralph"] == ("tests/test_*.py",)


# -- differential ------------------------------------------------------------------------------
def scenario(world, agents, lock=True, comments=1, tag=None):
    with acting_as("webhook"):
        if lock:
            world.lock(world.ws, "tests/test_s1.py")
        kb = world.client("webhook")
        for agent in agents:
            with world.journal.agent_run(agent, world.card_id):
                pass
        for _ in range(comments):
            kb.execute("createComment", task_id=world.card_id, user_id=1, content="Ralph done at 12:00")
        if tag:
            kb.execute("setTaskTags", project_id=world.kanboard.project_id, task_id=world.card_id, tags=[tag])


def test_the_same_outcome_through_every_entrypoint_is_clean(tmp_path):
    worlds = {name: make(tmp_path, name) for name in ("webhook", "poll", "cli")}
    for w in worlds.values():
        scenario(w, ["ralph"])
    outcomes = {name: outcome(w) for name, w in worlds.items()}
    assert compare(outcomes, "G3") == [] and compare(outcomes, "I1") == []


def test_an_entrypoint_that_skips_the_gate_differs(tmp_path):
    worlds = {name: make(tmp_path, name) for name in ("webhook", "cli")}
    scenario(worlds["webhook"], [], lock=False)
    scenario(worlds["cli"], ["ralph"], lock=False)
    found = compare({n: outcome(w) for n, w in worlds.items()}, "G3")
    assert [v.invariant for v in found] == ["G3"]
    assert found[0].component == "entrypoint:cli"
    assert "through webhook none, through cli [ralph]" in found[0].message


def test_locks_that_differ_between_entrypoints_are_a_g3_difference(tmp_path):
    worlds = {name: make(tmp_path, name) for name in ("webhook", "poll")}
    scenario(worlds["webhook"], ["ralph"], lock=True)
    scenario(worlds["poll"], ["ralph"], lock=False)
    found = compare({n: outcome(w) for n, w in worlds.items()}, "G3")
    assert [v.invariant for v in found] == ["G3"] and "only through webhook" in found[0].message


@pytest.mark.parametrize("change", ["runs", "comments", "tags"])
def test_a_duplicate_delivery_that_changes_anything_that_matters_is_i1(tmp_path, change):
    once, twice = make(tmp_path, "once"), make(tmp_path, "twice")
    scenario(once, ["ralph"], tag="done")
    scenario(twice, ["ralph", "ralph"] if change == "runs" else ["ralph"],
             comments=2 if change == "comments" else 1, tag="done-twice" if change == "tags" else "done")
    found = compare({"once": outcome(once), "duplicated": outcome(twice)}, "I1")
    assert [v.invariant for v in found] == ["I1"]
    assert found[0].details["differences"][0]["field"] == change


def test_compare_refuses_other_invariants():
    with pytest.raises(ValueError):
        compare({}, "G1")
