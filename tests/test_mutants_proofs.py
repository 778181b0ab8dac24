"""Each planted defect is real: one scenario, run on the reference and on the mutant; only
the mutant shows the defect. (The invariant checkers catching them is tested elsewhere.)"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.journal import acting_as
from targets.mutants import mutants
from targets.reference import ReferenceTarget
from targets.reference.cards import run_key
from targets.reference.context import GuardError
from targets.reference.workspace import MANIFEST
from tests.test_reference_support import PIPELINE, Sandbox

_launches: list[tuple[Any, ...]] | None = None


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event == "subprocess.Popen" and _launches is not None:
        _launches.append(args)


sys.addaudithook(_audit)  # inert unless a test records


@contextlib.contextmanager
def launches() -> Iterator[list[tuple[Any, ...]]]:
    global _launches
    _launches = []
    try:
        yield _launches
    finally:
        _launches = None


def both(tmp_path: Path, name: str) -> dict[str, Sandbox]:
    """A fresh world for the reference and one for the mutant."""
    return {"reference": Sandbox(tmp_path / "reference", ReferenceTarget()),
            "mutant": Sandbox(tmp_path / "mutant", mutants()[f"mutant:{name}"]())}


def test_lock_if_exists_recreates_a_deleted_approved_design(tmp_path: Path) -> None:
    seen = {}
    for who, box in both(tmp_path, "lock-if-exists").items():
        card = box.card()
        box.through_design(card)
        (box.ws() / "DESIGN.md").unlink()  # a human (or a tool) deletes it
        box.llm.push("architect", "# Design v2\n")
        box.move(card, "2. Design Draft")  # re-trigger
        box.deliver()
        seen[who] = (box.ws() / "DESIGN.md").exists()
    assert seen == {"reference": False, "mutant": True}


@pytest.mark.parametrize("alias", ["./DESIGN.md", "src/../DESIGN.md"])
def test_lock_literal_path_lets_an_alias_overwrite(tmp_path: Path, alias: str) -> None:
    seen = {}
    for who, box in both(tmp_path, "lock-literal-path").items():
        card = box.card()
        box.through_design(card)
        ws = box.target.workspace_for(box_card(box, card))
        with contextlib.suppress(GuardError):
            ws.write(alias, "overwritten\n")
        seen[who] = (box.ws() / "DESIGN.md").read_text()
    assert seen["reference"].startswith("# Design") and seen["mutant"] == "overwritten\n"


def test_write_through_symlink_overwrites_the_design_via_a_test_file(tmp_path: Path) -> None:
    seen = {}
    for who, box in both(tmp_path, "write-through-symlink").items():
        epic = box.card()
        for column in PIPELINE[:3]:
            box.move(epic, column)
            box.deliver()
        (box.ws() / "tests").mkdir()
        os.symlink("../DESIGN.md", box.ws() / "tests" / "test_s1.py")  # the trick
        box.move(epic, "5. Plan Approved")  # spawns; child s1's test agent writes its test
        box.deliver()
        seen[who] = (box.ws() / "DESIGN.md").read_text().startswith("# Design")
    assert seen == {"reference": True, "mutant": False}


def test_write_through_symlink_leaves_the_workspace(tmp_path: Path) -> None:
    seen = {}
    for who, box in both(tmp_path, "write-through-symlink").items():
        card = box.card()
        box.through_design(card)
        outside = box.root / "outside.txt"
        os.symlink(outside, box.ws() / "notes.md")
        ws = box.target.workspace_for(box_card(box, card))
        with contextlib.suppress(GuardError):
            ws.write("notes.md", "escaped\n")
        seen[who] = outside.exists()
    assert seen == {"reference": False, "mutant": True}


def test_corrupt_manifest_open_rewrites_an_approved_design(tmp_path: Path) -> None:
    seen = {}
    for who, box in both(tmp_path, "corrupt-manifest-open").items():
        card = box.card()
        box.through_design(card)
        (box.ws() / MANIFEST).write_text("{garbage")
        box.llm.push("architect", "# Design v2\n")
        box.move(card, "2. Design Draft")
        box.deliver()
        seen[who] = (box.ws() / "DESIGN.md").read_text()
    assert seen["reference"].startswith("# Design: ") and seen["mutant"] == "# Design v2\n"


def test_no_dedupe_runs_a_duplicate_delivery_again(tmp_path: Path) -> None:
    seen = {}
    for who, box in both(tmp_path, "no-dedupe").items():
        card = box.card()
        box.move(card, "2. Design Draft")
        payloads = box.kb.webhooks.drain()
        for _ in range(2):
            for payload in payloads:
                box.target.deliver_webhook(box.request(payload))
        seen[who] = len(box.runs("architect"))
    assert seen == {"reference": 1, "mutant": 2}


def test_error_as_empty_reruns_after_a_read_error(tmp_path: Path) -> None:
    seen = {}
    for who, box in both(tmp_path, "error-as-empty").items():
        card = box.card()
        box.move(card, "2. Design Draft")
        payloads = box.kb.webhooks.drain()
        for payload in payloads:
            box.target.deliver_webhook(box.request(payload))
        box.kb.faults.error("getTaskMetadataByName", times=None)  # Kanboard: database locked
        for payload in payloads:
            box.target.deliver_webhook(box.request(payload))
        seen[who] = len(box.runs("architect"))
    assert seen == {"reference": 1, "mutant": 2}


def test_no_lease_lets_two_runners_run_one_agent(tmp_path: Path) -> None:
    seen = {}
    for who, box in both(tmp_path, "no-lease").items():
        card = box.card()
        box.move(card, "2. Design Draft")
        payloads = box.kb.webhooks.drain()
        fired: list[bool] = []

        def poller_now(actor: str, method: str, params: Any, box: Sandbox = box,
                       fired: list = fired, key: str = run_key(card, "architect")) -> None:
            value = str(((params or {}).get("values") or {}).get(key, ""))
            if actor == "webhook" and not fired and value.endswith(":running"):
                fired.append(True)  # the webhook runner is about to record "running": poll now
                with acting_as("poller"):
                    box.target.poll(1)

        box.kb.add_call_hook(poller_now)
        with acting_as("webhook"):
            for payload in payloads:
                box.target.deliver_webhook(box.request(payload))
        runs = box.journal.events("agent")
        seen[who] = sorted({e.actor for e in runs if e.data["phase"] == "start"})
    assert seen == {"reference": ["webhook"], "mutant": ["poller", "webhook"]}


def test_tag_rmw_loses_another_runners_update(tmp_path: Path) -> None:
    seen = {}
    for who, box in both(tmp_path, "tag-rmw").items():
        epic = box.card()
        for column in PIPELINE[:3]:
            box.move(epic, column)
            box.deliver()
        box.move(epic, "5. Plan Approved")
        box.kb.webhooks.drain()
        fired: list[bool] = []

        def poller_now(actor: str, method: str, params: Any, box: Sandbox = box, fired: list = fired) -> None:
            if actor == "orchestrator" and method == "setTaskTags" and not fired \
                    and "governance-done" in (params or {}).get("tags", ()):
                fired.append(True)  # between the orchestrator's getTaskTags and setTaskTags
                with acting_as("poller"):
                    box.target.poll(1)

        box.kb.add_call_hook(poller_now)
        with acting_as("orchestrator"):
            box.target.orchestrator_pass()
        tags = box.kb.tags(epic)
        seen[who] = (fired == [True], "governance-done" in tags, "spawner-done" in tags,
                     box.kb.metadata(epic).get(run_key(epic, "spawner"), "").rsplit(":", 1)[-1])
    assert seen["reference"] == (False, False, False, "done")  # no tags: nothing to lose
    # The poller ran the spawner and tagged it done; the orchestrator's stale write erased it.
    assert seen["mutant"] == (True, True, False, "done")


def test_dirname_unchecked_writes_outside_the_workspaces(tmp_path: Path) -> None:
    seen = {}
    for who, box in both(tmp_path, "dirname-unchecked").items():
        card = box.card(dirname="../escape")
        box.move(card, "2. Design Draft")
        box.deliver()
        seen[who] = (box.home / "escape" / "DESIGN.md").exists()
        if who == "reference":
            assert any("dirname" in c and "not allowed" in c for c in box.comments(card))
    assert seen == {"reference": False, "mutant": True}


def test_shell_arg_launches_a_shell_with_card_text(tmp_path: Path) -> None:
    seen = {}
    for who, box in both(tmp_path, "shell-arg").items():
        card = box.card(dirname="shell-demo")
        box.move(card, "2. Design Draft")
        with launches() as launched:
            box.deliver()
        argvs = [list(args[1]) for args in launched]
        assert argvs and (box.ws("shell-demo") / ".git").is_dir()
        seen[who] = any(a[1:2] == ["-c"] and "shell-demo" in a[-1] for a in argvs)
        if who == "reference":
            assert argvs == [["git", "init", "-q", "--template="]]
    assert seen == {"reference": False, "mutant": True}


def test_webhook_skips_gate_plans_from_an_unapproved_design(tmp_path: Path) -> None:
    seen = {}
    for who, box in both(tmp_path, "webhook-skips-gate").items():
        polled, hooked = box.card(dirname="polled-app"), box.card(dirname="hooked-app")
        for card in (polled, hooked):
            box.move(card, "2. Design Draft")
            box.deliver()
            box.move(card, "4. Planning Draft")  # mis-click past 3. Design Approved
            if card == polled:
                box.kb.webhooks.drain()
                box.target.orchestrator_pass()  # the same situation, through the poller
            else:
                box.deliver()
        seen[who] = {card: (len(box.runs("pm", card)), (box.ws(d) / "prd.json").exists())
                     for card, d in ((polled, "polled-app"), (hooked, "hooked-app"))}
    assert seen["reference"] == {1: (0, False), 2: (0, False)}
    assert seen["mutant"] == {1: (0, False), 2: (1, True)}  # only the webhook path skips it


def box_card(box: Sandbox, task_id: int) -> Any:
    """The card as the reference runner reads it (for workspace-level proofs)."""
    from targets.reference import board

    kb = box.kb.client("proof")
    return board.card(kb, task_id, board.columns(kb, box.binding.project_id))


def test_every_one_of_my_mutants_has_a_proof() -> None:
    names = {n.split(":", 1)[1] for n in mutants()}
    proved = {name.replace("_", "-") for name in globals() if name.startswith("test_")}
    mine = {"lock-if-exists", "lock-literal-path", "write-through-symlink", "corrupt-manifest-open",
            "no-dedupe", "error-as-empty", "no-lease", "tag-rmw", "dirname-unchecked", "shell-arg",
            "webhook-skips-gate"}
    assert mine <= names
    assert all(any(p.startswith(f"test-{m}") for p in proved) for m in mine)
    assert json.dumps(sorted(mine))
