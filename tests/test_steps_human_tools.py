"""Steps a person takes with tools rather than clicks: the explicit unlock, a test edited
while an agent waits on the model, and a fault aimed at the card a run is about to create."""

from __future__ import annotations

from harness import journal as jr
from harness.invariants.testing import MiniWorld
from harness.llm import ScriptedLLM
from harness.steps import Step, apply
from harness.world import World
from strategies.prd import prd_document_text
from targets.base import Target
from targets.reference.cards import lock_key
from targets.reference.workspace import MANIFEST
from targets.registry import get_target
from tests.test_invariants_e2e import DESIGNED, to


def run(world: World, steps: list[tuple[str, dict]]) -> list[str]:
    return [apply(world, Step(rule, args)).text for rule, args in steps]


def unlocks(world: World) -> list[dict]:
    return [dict(e.data) for e in world.journal.events() if e.kind == jr.HUMAN and e.data.get("action") == "unlock"]


def test_the_reference_unlock_reopens_an_approved_artifact_everywhere_it_is_recorded() -> None:
    world = World(get_target("reference"))
    try:
        run(world, DESIGNED)
        ws = world.binding.home / "projects" / "calc"
        assert "DESIGN.md" in world.target.locked_artifacts(ws)
        assert lock_key("DESIGN.md") in world.kanboard.metadata(1)
        [text] = run(world, [("unlock", {"card": 1, "path": "DESIGN.md", "reason": "scope changed"})])
        assert "unlocked by hand (scope changed)" in text
        assert world.target.locked_artifacts(ws) == {}
        assert lock_key("DESIGN.md") not in world.kanboard.metadata(1)
        assert unlocks(world) == [{"action": "unlock", "task_id": 1, "paths": ["DESIGN.md"], "reason": "scope changed"}]
        assert any("unlocked by hand" in c["comment"] for c in world.kanboard.comments(1))
        # reopened: the architect may write it again, and approval locks the new version
        run(world, [("llm", {"role": "architect", "answer": "# Design v2\n"})]
            + to(1, "2. Design Draft") + to(1, "3. Design Approved"))
        assert (ws / "DESIGN.md").read_text().startswith("# Design v2")
        assert "DESIGN.md" in world.target.locked_artifacts(ws)
    finally:
        world.close()


def test_an_unlock_that_changes_nothing_is_not_journalled() -> None:
    world = World(get_target("reference"))
    try:
        run(world, DESIGNED)
        ws = world.binding.home / "projects" / "calc"
        [text] = run(world, [("unlock", {"card": 1, "path": "prd.json"})])
        assert "changed nothing" in text
        (ws / MANIFEST).write_text("{ corrupt")  # fail closed: no unlocking through it
        [text] = run(world, [("unlock", {"card": 1, "path": "DESIGN.md"})])
        assert "changed nothing" in text
        assert unlocks(world) == []
    finally:
        world.close()


def test_a_target_without_an_unlock_tool_keeps_every_lock(tmp_path) -> None:
    target = MiniWorld(tmp_path).target  # implements the interface, not an unlock tool
    assert type(target).unlock is Target.unlock
    assert target.unlock(1, "DESIGN.md", "why") is False


def test_a_meanwhile_action_runs_once_inside_the_next_call_of_its_role() -> None:
    order: list[str] = []
    llm = ScriptedLLM(default=lambda role, prompt: f"default {role}")
    llm.push("coder", "answer 1")
    llm.meanwhile("coder", lambda: order.append("edit"))
    order.append(llm.complete("pm", "p"))
    order.append(llm.complete("coder", "p"))
    order.append(llm.complete("coder", "p"))
    assert order == ["default pm", "edit", "answer 1", "default coder"]


def test_a_meanwhile_trick_is_a_person_acting_in_the_middle_of_the_run() -> None:
    world = World(get_target("reference"))
    try:
        run(world, DESIGNED)
        trick = {"kind": "write", "card": 1, "path": "notes.txt", "content": "mine\n"}
        [text] = run(world, [("llm", {"role": "pm", "answer": "{}", "meanwhile": trick})])
        assert "while the agent waits for it, a person does a write of notes.txt" in text
        ws = world.binding.home / "projects" / "calc"
        assert not (ws / "notes.txt").exists()  # nothing yet: it happens during the PM's call
        run(world, to(1, "4. Planning Draft"))
        events = world.journal.events()
        [done] = [e for e in events if e.kind == jr.TRICK]
        [start] = [e for e in events if e.kind == jr.AGENT and e.data.get("agent") == "pm" and e.data["phase"] == "start"]
        [end] = [e for e in events if e.kind == jr.AGENT and e.data.get("agent") == "pm" and e.data["phase"] == "end"]
        assert done.actor == "human" and start.seq < done.seq < end.seq
        assert (ws / "notes.txt").read_text() == "mine\n"
    finally:
        world.close()


def test_a_new_card_fault_counts_only_calls_on_cards_created_after_it() -> None:
    world = World(get_target("reference"))
    try:
        run(world, DESIGNED + [("llm", {"role": "pm", "answer": prd_document_text(2, "calc")})] + to(1, "4. Planning Draft"))
        run(world, [("fault", {"method": "saveTaskMetadata", "kind": "falsy", "occurrence": 2, "new_card": True}),
                    ("move", {"card": 1, "column": "5. Plan Approved"}), ("orchestrate", {})])
        faulted = [e for e in world.journal.events() if e.kind == jr.CALL
                   and e.data.get("method") == "saveTaskMetadata" and e.data.get("outcome") != jr.OK]
        # the epic's own writes do not count: the second write on a new card is the child's
        # completion mark (its first is its atomic_id/parent_id)
        assert [(e.data["params"]["task_id"], list(e.data["params"]["values"])) for e in faulted] == [
            (2, ["spawn_state"])]
    finally:
        world.close()


def test_a_mis_click_kanboard_refuses_is_a_step_that_changes_nothing() -> None:
    world = World(get_target("reference"))
    try:
        [empty, ghost] = run(world, [("create_card", {"title": "", "column": "1. Inbox"}),
                                     ("move", {"card": 9, "column": "2. Design Draft"})])
        assert empty.startswith("create_card refused by Kanboard") and "missing title" in empty
        assert ghost == "move refused by Kanboard (there is no card 9)"
        assert world.kanboard.tasks() == []
    finally:
        world.close()


def test_an_agent_the_target_offers_no_way_to_run_by_hand_is_never_run_by_hand() -> None:
    world = World(get_target("reference"))
    try:
        run(world, DESIGNED)
        world.target.manual_agents = ("ralph",)
        [text] = run(world, [("run_agent", {"agent": "architect", "card": 1})])
        assert "not run by hand" in text
        race = {"runners": [{"entry": "run_agent", "agent": "architect", "card": 1}, {"entry": "orchestrate"}],
                "schedule": ["run_agent#1"]}
        run(world, [("race", race)])
        assert not [e for e in world.journal.events() if e.kind == jr.AGENT and e.actor.startswith("run_agent")]
    finally:
        world.close()
