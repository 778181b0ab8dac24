"""The real AgentLeeOps driven through the adapter: a card from Inbox to Ralph's commit.

Needs a checkout: set AGENTLEEOPS_PATH (either known commit). Each stage is triggered the way
a user's deployment would trigger it (webhook delivery, orchestrator pass, polling loop,
manual CLI), on both faces of the fake Kanboard, with a scripted model whose answers fit
its parsers. Assertions are about what its code really does, defects included.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness import journal as jr
from harness.steps import Step, apply, pending_webhooks
from harness.world import World
from targets.agentleeops import AgentLeeOpsTarget, load
from targets.agentleeops.modules import TOP_LEVEL

ALE_PATH = os.environ.get("AGENTLEEOPS_PATH", "")
needs_checkout = pytest.mark.skipif(
    not ALE_PATH, reason="set AGENTLEEOPS_PATH to an AgentLeeOps checkout to drive the real system"
)
pytestmark = needs_checkout

DIRNAME = "calc-app"
DESIGN = "# Design: Calculator\n\n## 1. Overview\nAdd and subtract two numbers.\n"
PRD = {
    "project_name": DIRNAME,
    "version": "1.0",
    "stories": [
        {"id": "atomic-01", "title": "Add numbers", "description": "add(a, b)",
         "acceptance_criteria": ["add(2, 3) == 5"], "dependencies": []},
        {"id": "atomic-02", "title": "Subtract numbers", "description": "subtract(a, b)",
         "acceptance_criteria": ["subtract(5, 3) == 2"], "dependencies": []},
    ],
}
TEST_CODE = "from src.calc_app import add\n\n\ndef test_add():\n    assert add(2, 3) == 5"
TEST_PLAN = "# Test Plan: Add numbers\n\n## 1. Overview\nadd(2, 3) returns 5.\n"
SOURCE = "def add(a, b):\n    return a + b\n\n\ndef subtract(a, b):\n    return a - b"


def fence(code: str) -> str:
    return f"```python\n{code}\n```\n"


@pytest.fixture(scope="module")
def target_factory() -> Any:
    def make(**kwargs: Any) -> AgentLeeOpsTarget:
        return load(ALE_PATH, **kwargs)

    return make


@pytest.fixture(params=["inproc", "http"])
def world(request: pytest.FixtureRequest, target_factory: Any) -> Iterator[World]:
    with World(target_factory(), face=request.param) as w:
        yield w


def _is_head(world: World) -> bool:
    return "9. Code Review" in world.target.columns


def _script_model(world: World) -> None:
    world.llm.push("architect", DESIGN)
    world.llm.push("pm", json.dumps(PRD))
    if _is_head(world):
        world.llm.push("test", TEST_PLAN)  # its test agent writes a plan, test-code the test
        world.llm.push("test_code", fence(TEST_CODE))
    else:
        world.llm.push("test", fence(TEST_CODE))
    world.llm.push("coder", fence(SOURCE))


def _step(world: World, rule: str, **args: Any) -> Any:
    return apply(world, Step(rule, args))


def _deliver_all(world: World) -> None:
    while pending_webhooks(world):
        _step(world, "deliver")


def _drop_webhooks(world: World) -> None:
    """This move's webhook is not delivered: the stage is triggered another way."""
    world.delivery_cursor += len(pending_webhooks(world))


def _agent_runs(world: World) -> list[tuple[str, str, int, Any]]:
    """(actor, agent, card, ok) for every finished agent run, in order."""
    return [
        (e.actor, e.data["agent"], e.data["task_id"], e.data["ok"])
        for e in world.journal.events(jr.AGENT)
        if e.data["phase"] == "end"
    ]


def _git(ws: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=ws, capture_output=True, text=True, check=True).stdout


def test_a_card_runs_the_whole_pipeline(world: World) -> None:
    _script_model(world)
    head = _is_head(world)
    card = _step(world, "create_card", title="Calculator", metadata={"dirname": DIRNAME}).card
    ws = world.target.workspace(DIRNAME)
    _deliver_all(world)  # task.create in Inbox: no trigger

    _step(world, "move", card=card, column="2. Design Draft")
    _deliver_all(world)  # webhook: architect
    assert (ws / "DESIGN.md").read_text() == DESIGN

    _step(world, "move", card=card, column="3. Design Approved")
    _drop_webhooks(world)
    _step(world, "orchestrate")  # orchestrator --once: governance locks the design
    locked = world.target.locked_artifacts(ws)
    assert list(locked) == ["DESIGN.md"]
    assert locked["DESIGN.md"] == _sha256(ws / "DESIGN.md")

    _step(world, "move", card=card, column="4. Planning Draft")
    _drop_webhooks(world)
    _step(world, "poll", ticks=1)  # one tick of its polling loop: PM
    assert json.loads((ws / "prd.json").read_text())["stories"] == PRD["stories"]

    _step(world, "move", card=card, column="5. Plan Approved")
    _deliver_all(world)  # webhook: spawner fans out one child per story
    children = {world.kanboard.metadata(t["id"]).get("atomic_id"): int(t["id"])
                for t in world.kanboard.tasks() if int(t["id"]) != card}
    assert sorted(children) == ["atomic-01", "atomic-02"]
    child = children["atomic-01"]
    assert world.kanboard.task(child)["title"] == "[atomic-01] Add numbers"

    _step(world, "move", card=child, column="6. Tests Draft")
    _deliver_all(world)  # webhook: test agent (head: a test plan)
    _step(world, "move", card=child, column="7. Tests Approved")
    _drop_webhooks(world)
    _step(world, "orchestrate")  # ba02d79: governance; head: test-code agent
    assert (ws / "tests" / "test_atomic_01.py").read_text() == TEST_CODE
    if head:
        assert (ws / "tests" / "TEST_PLAN_atomic_01.md").read_text() == TEST_PLAN

    _step(world, "move", card=child, column="8. Ralph Loop")
    _drop_webhooks(world)
    _step(world, "cli", script="orchestrator.py",
          args=["--once", "--project-id", str(world.binding.project_id)])  # manual run: Ralph
    assert (ws / "src" / "calc_app.py").read_text() == SOURCE
    subjects = _git(ws, "log", "--format=%s").splitlines()
    assert subjects and subjects[0] == "WIP: atomic-01 attempt 1"
    assert _git(ws, "show", "--name-only", "--format=", "HEAD").split() == ["src/calc_app.py"]
    assert _git(ws, "rev-parse", "--abbrev-ref", "HEAD").strip() == f"feat/{child}-atomic_01"
    # the sandbox's git identity, dated by the world's clock (deterministic commits)
    assert _git(ws, "log", "-1", "--format=%an|%ae|%at").strip() == (
        f"AgentLeeOps Sandbox|agentleeops@sandbox.invalid|{world.clock()}")
    assert "coding-complete" in world.kanboard.tags(child)

    expected = [
        ("webhook", "architect", card), ("orchestrator", "governance", card),
        ("poller", "pm", card), ("webhook", "spawner", card), ("webhook", "test", child),
    ]
    if head:
        _step(world, "move", card=child, column="9. Code Review")
        _deliver_all(world)  # webhook: code review over tests, ratchet and git
        report = json.loads((ws / "reviews" / "CODE_REVIEW_REPORT.json").read_text())
        assert report["overall_status"] in ("pass", "warn")
        expected += [("orchestrator", "test_code", child), ("cli", "ralph", child),
                     ("webhook", "code_review", child)]
    else:
        expected += [("cli", "ralph", child)]
    assert [(a, g, c) for a, g, c, _ in _agent_runs(world)] == expected
    assert all(ok for *_, ok in _agent_runs(world))
    # every Kanboard call its runners made was made as the runner that ran
    callers = {e.actor for e in world.journal.events(jr.CALL)}
    assert {"webhook", "orchestrator", "poller", "cli"} <= callers


def test_its_real_defects_are_reproduced_not_fixed(world: World) -> None:
    """The epic's `locked` tag (set in Design Approved) makes the spawner skip governance, so
    prd.json is never locked; its webhook comments without user_id and gets Kanboard's error."""
    _script_model(world)
    card = _step(world, "create_card", title="Calculator", metadata={"dirname": DIRNAME}).card
    for column in ("2. Design Draft", "3. Design Approved", "4. Planning Draft", "5. Plan Approved"):
        _step(world, "move", card=card, column=column)
        _deliver_all(world)
    ws = world.target.workspace(DIRNAME)
    assert (ws / "prd.json").is_file()
    # prd.json was not locked: spawner chains governance only without a `locked` tag,
    # and the card got one in Design Approved
    assert list(world.target.locked_artifacts(ws)) == ["DESIGN.md"]
    refused = [e for e in world.journal.events(jr.CALL)
               if e.data.get("method") == "createComment" and e.actor == "webhook"
               and e.data.get("outcome") == jr.ERROR]
    assert refused and all("user_id" not in e.data.get("params", {}) for e in refused)


def test_openrouter_path_runs_its_real_client_over_stubbed_http(target_factory: Any) -> None:
    with World(target_factory(llm_transport="openrouter"), face="inproc") as world:
        world.llm.push("architect", DESIGN)
        card = _step(world, "create_card", title="Calculator", metadata={"dirname": DIRNAME},
                     column="2. Design Draft").card
        with jr.acting_as("cli"):  # the adapter's direct agent call (no script of its own does this)
            world.target.run_agent("architect", card)
        ws = world.target.workspace(DIRNAME)
        assert (ws / "DESIGN.md").read_text() == DESIGN
        traces = list((ws / ".agentleeops" / "traces").rglob("*.json"))
        assert len(traces) == 1  # its client recorded the OpenRouter exchange
        trace = json.loads(traces[0].read_text())
        assert trace["provider"] == "openrouter" and trace["response"]["text"] == DESIGN
        assert world.llm.calls[0][0] == "architect" and "Story: Calculator" in world.llm.calls[0][1]


def test_handle_event_and_bounded_polling(world: World) -> None:
    _script_model(world)
    card = _step(world, "create_card", title="Calculator", metadata={"dirname": DIRNAME},
                 column="2. Design Draft").card
    task = world.kanboard.task(card)
    from harness.journal import acting_as

    with acting_as("webhook"):
        world.target.handle_event({"event_name": "task.move.column",
                                   "event_data": {"task_id": card, "task": task}})
    assert (world.target.workspace(DIRNAME) / "DESIGN.md").read_text() == DESIGN
    with acting_as("poller"):
        world.target.poll(3)  # nothing left to do: three ticks, no sleeping, returns
    polls = [e for e in world.journal.events(jr.CALL)
             if e.actor == "poller" and e.data.get("method") == "getAllTasks"]
    assert len(polls) == 3


def test_a_crash_ends_the_runner_as_its_process_would_not_the_harness(world: World) -> None:
    world.kanboard.faults.error("getColumns")  # its run_once does not catch this
    _step(world, "orchestrate")
    end = [e for e in world.journal.events(jr.ENTRY) if e.data["phase"] == "end"][-1]
    assert end.actor == "orchestrator" and end.data["entrypoint"] == "orchestrator"
    assert end.data["error"].startswith("kanboard.ClientError")
    _step(world, "orchestrate")  # the next pass runs normally
    assert "error" not in world.journal.events(jr.ENTRY)[-1].data


def test_cli_scripts_and_agents_declared_per_version(target_factory: Any) -> None:
    target = target_factory()
    assert target.lock_manifest == ".agentleeops/ratchet.json"
    assert target.fanout_cap == 20
    assert target.cli_scripts[0] == "orchestrator.py"
    if "9. Code Review" in target.columns:
        assert target.columns[-3:] == ("9. Code Review", "10. Final Review", "11. Done")
        assert target.triggers["7. Tests Approved"] == "test_code"
        assert "run_ralph_manual.py" in target.cli_scripts and "tools/workpackage.py" in target.cli_scripts
        assert target.version.endswith("-layout") or len(target.version) == 40
    else:
        assert target.columns[-2:] == ("9. Final Review", "10. Done")
        assert target.triggers["7. Tests Approved"] == "governance"
        assert target.cli_scripts == ("orchestrator.py",)
    assert "webhook_server.py" not in target.cli_scripts


def test_every_declared_script_runs_inside_the_sandbox(world: World) -> None:
    card = _step(world, "create_card", title="Calculator", metadata={"dirname": DIRNAME},
                 column="7. Tests Approved").card
    for script in world.target.cli_scripts:
        args = world.target.cli_argv(script, card)
        assert all(isinstance(a, str) for a in args)
        applied = _step(world, "cli", script=script, args=args)
        assert " exited " in applied.text
    statuses = [e for e in world.journal.events(jr.ENTRY) if e.data.get("entrypoint") == "cli"]
    assert len(statuses) == 2 * len(world.target.cli_scripts)
    roots = (str(world.home), str(world.tmp))
    effects = [e.data["path"] for e in world.journal.events(jr.FILE) if jr.is_system(e.actor)]
    assert all(str(p).startswith(roots) for p in effects), effects
    if "debug_test_code.py" in world.target.cli_scripts:
        # it imports the test-code agent at module level: that reference is journaled too
        assert ("cli", "test_code") in {(e.actor, e.data["agent"]) for e in world.journal.events(jr.AGENT)}


def test_refused_scripts_missing_agents_and_manifests(world: World) -> None:
    from targets.agentleeops import AdapterError

    with pytest.raises(AdapterError) as err:
        world.target.cli("webhook_server.py", [])
    assert "binds 0.0.0.0" in str(err.value)
    with pytest.raises(AdapterError):
        world.target.cli("rm -rf /", [])
    ws = world.target.workspace("nothing-here")
    assert world.target.locked_artifacts(ws) == {}
    (ws / ".agentleeops").mkdir(parents=True)
    (ws / ".agentleeops" / "ratchet.json").write_text("{corrupt")
    assert world.target.locked_artifacts(ws) == {}
    if "test_code" not in world.target.agents:
        assert world.target.run_agent("test_code", 1) is None


def test_unbind_leaves_the_process_as_it_found_it(target_factory: Any) -> None:
    import socketserver
    from http.server import BaseHTTPRequestHandler

    before = (os.getcwd(), os.environ.get("HOME"), list(sys.argv),
              socketserver.BaseServer.handle_error, BaseHTTPRequestHandler.handle_one_request)
    target = target_factory()
    with World(target, face="inproc") as world:
        assert sys.modules["orchestrator"] is target.loaded.module("orchestrator")
        assert os.environ["HOME"] == str(world.home)
        assert sys.argv[1:] == before[2][1:]  # other threads see the real argv
        url = target.webhook_url
        assert url is not None and url.startswith("http://127.0.0.1:")
        from targets.agentleeops import AdapterError

        with pytest.raises(AdapterError) as err:  # its modules are process-wide
            target_factory().bind(world.binding)
        assert "another AgentLeeOps target" in str(err.value) and "\n" not in str(err.value)
    target.unbind()  # twice is fine
    assert not [m for m in sys.modules if m.split(".")[0] in TOP_LEVEL]
    after = (os.getcwd(), os.environ.get("HOME"), list(sys.argv),
             socketserver.BaseServer.handle_error, BaseHTTPRequestHandler.handle_one_request)
    assert after == before
    assert target.webhook_url is None


def test_a_broken_checkout_names_the_module(tmp_path: Path) -> None:
    """A copy of the checkout (links to its files) whose spawner fails to import."""
    from targets.agentleeops import AdapterError

    src = Path(ALE_PATH).resolve()
    root = tmp_path / "broken"
    root.mkdir()
    for entry in src.iterdir():
        if entry.name != "agents":
            (root / entry.name).symlink_to(entry)
    (root / "agents").mkdir()
    for entry in (src / "agents").iterdir():
        if entry.name != "spawner.py":
            (root / "agents" / entry.name).symlink_to(entry)
    (root / "agents" / "spawner.py").write_text("MAX_CHILDREN_PER_EPIC = (\n")
    with pytest.raises(AdapterError) as err:
        load(root)
    line = str(err.value)
    assert "\n" not in line and "cannot import agents.spawner" in line and "SyntaxError" in line


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


@needs_checkout
def test_its_own_unlock_reopens_an_approved_design_and_hand_runs_follow_its_scripts(world: World) -> None:
    _script_model(world)
    card = _step(world, "create_card", title="Calculator", metadata={"dirname": DIRNAME}).card
    ws = world.target.workspace(DIRNAME)
    _step(world, "move", card=card, column="2. Design Draft")
    _deliver_all(world)
    _step(world, "move", card=card, column="3. Design Approved")
    _drop_webhooks(world)
    _step(world, "orchestrate")
    assert "DESIGN.md" in world.target.locked_artifacts(ws)
    assert "changed nothing" in _step(world, "unlock", card=card, path="prd.json").text  # never locked
    assert "unlocked by hand" in _step(world, "unlock", card=card, path="DESIGN.md", reason="rework").text
    assert "DESIGN.md" not in world.target.locked_artifacts(ws)
    # hand runs: only agents one of its own scripts runs directly
    expected = ("governance", "test", "test_code", "ralph") if _is_head(world) else ()
    assert world.target.manual_agents == expected
