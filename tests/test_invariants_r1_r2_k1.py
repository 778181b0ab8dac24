"""R1, R2 and K1 (and G1's re-lock clause): each check shown failing on a hand-built world,
and holding where the system does what it should."""

from __future__ import annotations

import contextlib
import socket

import pytest

from harness.invariants.authenticity import R2Authenticity
from harness.invariants.calls import K1Calls
from harness.invariants.locks import G1Locks
from harness.invariants.robustness import R1Robustness
from harness.invariants.testing import MiniWorld, write
from harness.journal import AGENT, ENTRY, HUMAN_ACTOR, acting_as


@pytest.fixture()
def world(tmp_path):
    w = MiniWorld(tmp_path)
    w.card_id = w.card("Calculator", column="2. Design Draft", dirname="calc")
    return w


def names(found):
    return [v.invariant for v in found]


def agent_run(world, actor, ok, body=lambda: None, agent="architect"):
    with acting_as(actor), world.journal.agent_run(agent, world.card_id) as outcome:
        body()
        outcome["ok"] = ok


# -- R1 ----------------------------------------------------------------------------------------
def test_an_exception_escaping_an_entrypoint_is_r1(world) -> None:
    r1 = R1Robustness()
    with world.step([r1]) as found, acting_as("orchestrator"):
        world.journal.record(ENTRY, {"entrypoint": "orchestrator", "phase": "start"})
        world.journal.record(ENTRY, {"entrypoint": "orchestrator", "phase": "end",
                                     "error": "KeyError: 'title'", "where": "orchestrator:run_once"})
    assert names(found) == ["R1"]
    assert found[0].kind == "an unhandled KeyError escaped the orchestrator"
    assert found[0].component == "orchestrator:run_once" and found[0].entrypoint == "orchestrator"
    with world.step([r1]) as clean, acting_as("orchestrator"):
        world.journal.record(ENTRY, {"entrypoint": "orchestrator", "phase": "end"})
    assert clean == []


def test_a_failing_agent_re_run_past_the_bound_in_one_epoch_is_r1(world) -> None:
    r1 = R1Robustness()
    kb = world.client("poller")
    for n in range(3):  # three failed runs, each shown on the card: within the bound
        with world.step([r1]) as found:
            agent_run(world, "poller", False, lambda: kb.execute(
                "createComment", task_id=world.card_id, user_id=1, content="failed"))
        assert found == [], n
    with world.step([r1]) as found:
        agent_run(world, "poller", False, lambda: kb.execute(
            "createComment", task_id=world.card_id, user_id=1, content="failed"))
    assert names(found) == ["R1"] and found[0].kind == "an agent re-ran without bound in one epoch"
    assert "ran 4 times in one epoch" in found[0].message


def test_a_new_epoch_starts_the_count_again(world) -> None:
    r1 = R1Robustness()
    for _ in range(3):
        with world.step([r1]):
            agent_run(world, "poller", True)
    with acting_as(HUMAN_ACTOR):
        world.kanboard.human.move(world.card_id, "1. Inbox")
        world.kanboard.human.move(world.card_id, "2. Design Draft")
    with world.step([r1]) as found:
        agent_run(world, "poller", True)
    assert found == []


def test_a_failed_run_must_show_on_its_card(world) -> None:
    r1 = R1Robustness()
    with world.step([r1]) as found:
        agent_run(world, "webhook", False)
    assert names(found) == ["R1"] and found[0].kind == "a failed run left no visible error on its card"
    # metadata is not on the card a person looks at: still invisible
    with world.step([r1]) as found:
        agent_run(world, "webhook", False, lambda: world.client("webhook").execute(
            "saveTaskMetadata", task_id=world.card_id, values={"agent_status": "failed"}))
    assert names(found) == ["R1"]


@pytest.mark.parametrize("how", ["comment", "tag"])
def test_a_failure_shown_by_comment_or_failed_tag_holds(world, how) -> None:
    kb = world.client("webhook")

    def show() -> None:
        if how == "comment":
            kb.execute("createComment", task_id=world.card_id, user_id=1, content="architect failed")
        else:
            kb.execute("setTaskTags", project_id=1, task_id=world.card_id, tags=["design-failed"])

    with world.step([R1Robustness()]) as found:
        agent_run(world, "webhook", False, show)
    assert found == []


def test_a_failure_kanboard_refused_to_show_is_excused(world) -> None:
    world.kanboard.faults.add("error", "createComment", times=None)
    with world.step([R1Robustness()]) as found:
        agent_run(world, "webhook", False, lambda: _try(lambda: world.client("webhook").execute(
            "createComment", task_id=world.card_id, user_id=1, content="failed")))
    assert found == []


def _try(call):
    with contextlib.suppress(Exception):
        call()


# -- R2 ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("token, why", [("wrong", "with a wrong token"), ("missing", "without the token")])
def test_a_delivery_without_the_secret_that_acts_is_r2(world, token, why) -> None:
    r2 = R2Authenticity()
    with world.step([r2], rule="deliver", token=token) as found, acting_as("webhook"):
        world.client("webhook").execute("getTask", task_id=world.card_id)  # looking is allowed
        world.journal.record(AGENT, {"agent": "architect", "task_id": world.card_id, "phase": "start"})
    assert names(found) == ["R2"] and found[0].kind == f"acted on a delivery {why}"


def test_a_delivery_without_the_secret_that_only_reads_holds(world) -> None:
    with world.step([R2Authenticity()], rule="deliver", token="wrong") as found, acting_as("webhook"):
        world.client("webhook").execute("getTask", task_id=world.card_id)
    assert found == []
    with world.step([R2Authenticity()], rule="deliver", token="ok") as found, acting_as("webhook"):
        world.client("webhook").execute("setTaskTags", project_id=1, task_id=world.card_id, tags=["x"])
    assert found == []  # authentic: acting is its job


def test_a_server_binding_every_interface_is_refused_and_is_r2(world) -> None:
    r2 = R2Authenticity()
    with (world.step([r2]) as found, acting_as("webhook"), socket.socket() as sock,
          pytest.raises(PermissionError, match="only loopback")):
        sock.bind(("0.0.0.0", 0))
    assert names(found) == ["R2"] and found[0].kind == "listens on every interface"
    with world.step([r2]) as found, acting_as("webhook"), socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
    assert found == []


# -- K1 ----------------------------------------------------------------------------------------
def test_a_call_kanboard_rejects_is_k1(world) -> None:
    with world.step([K1Calls()]) as found, acting_as("webhook"):
        _try(lambda: world.client("webhook").execute("createComment", task_id=world.card_id, content="x"))
    assert names(found) == ["K1"]
    assert found[0].kind == "createComment rejected (Invalid params: Wrong number of arguments)"


def test_a_parameter_kanboard_ignores_is_k1(world) -> None:
    with world.step([K1Calls()]) as found, acting_as("webhook"):
        world.client("webhook").execute("updateTask", id=world.card_id, column_id=3)
    assert names(found) == ["K1"] and found[0].kind == "updateTask ignored column_id"
    assert world.kanboard.task(world.card_id)["column_id"] == world.kanboard.column_id("2. Design Draft")


def test_a_write_answered_false_on_a_card_that_exists_is_k1(world) -> None:
    with world.step([K1Calls()]) as found, acting_as("webhook"):
        world.client("webhook").execute("moveTaskPosition", project_id=1, task_id=world.card_id,
                                        column_id=999, position=1, swimlane_id=1)
    assert names(found) == ["K1"] and found[0].kind == "moveTaskPosition answered false"


def test_calls_as_meant_planned_faults_and_harmless_falsy_answers_hold(world) -> None:
    kb = world.client("webhook")
    world.kanboard.faults.add("error", "getTask", nth=world.kanboard.faults.count("getTask") + 1)
    with world.step([K1Calls()]) as found, acting_as("webhook"):
        kb.execute("createComment", task_id=world.card_id, user_id=1, content="ok")
        kb.execute("saveTaskMetadata", task_id=world.card_id, values={"a": "1"})
        kb.execute("removeTaskMetadata", task_id=world.card_id, name="never-there")  # false: gone anyway
        _try(lambda: kb.execute("getTask", task_id=world.card_id))  # a planned fault
        kb.execute("updateTask", id=world.card_id + 50, title="gone")  # no such card: not asked
    assert found == []


# -- G1's re-lock clause ------------------------------------------------------------------------
def test_a_re_lock_that_records_changed_bytes_launders_them_g1(tmp_path) -> None:
    world = MiniWorld(tmp_path)
    world.card("Calculator", dirname="calc")
    ws = world.workspace("calc")
    g1 = G1Locks()
    with world.step([g1]), acting_as("webhook"):
        write(ws / "DESIGN.md", "approved")
        world.lock(ws, "DESIGN.md")
    with acting_as(HUMAN_ACTOR):
        write(ws / "DESIGN.md", "edited by hand")
    with world.step([g1], rule="trick", kind="edit", card=1, path="DESIGN.md"):
        pass
    with world.step([g1]) as same, acting_as("webhook"):
        world.lock(ws)  # a re-lock of nothing new: the first hash stays
    assert same == []
    with world.step([g1]) as found, acting_as("webhook"):
        world.lock(ws, "DESIGN.md")  # records the edited bytes over the first lock
    assert names(found) == ["G1"] and found[0].kind == "re-lock recorded other bytes than the first lock"
    assert "a change laundered" in found[0].message
