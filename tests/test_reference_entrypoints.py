"""The reference's runner: webhook checks, deduplication, the gate, leases, Kanboard faults."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from harness.journal import acting_as
from targets.base import WebhookRequest
from targets.reference.cards import run_key
from tests.test_reference_support import Sandbox


def _move_payload(box: Sandbox, task_id: int, column: str) -> dict[str, Any]:
    box.move(task_id, column)
    return [p for p in box.kb.webhooks.drain() if p["event_name"] == "task.move.column"][-1]


def test_webhook_answers_bad_requests_without_acting(tmp_path: Path) -> None:
    box = Sandbox(tmp_path)
    card = box.card()
    good = _move_payload(box, card, "2. Design Draft")
    body = json.dumps(good).encode()
    hook = f"/webhook?token={box.kb.webhook_token}"
    cases = [
        (WebhookRequest("/webhook?token=nope", body), 401),
        (WebhookRequest("/webhook", body), 401),
        (WebhookRequest(f"{hook}&token=x", body), 401),
        (WebhookRequest(hook, body, method="GET"), 405),
        (WebhookRequest(hook, b"{nope"), 400),
        (WebhookRequest(hook, b"[1, 2]"), 400),
        (WebhookRequest(hook, json.dumps({"event_name": "task.move.column", "event_data": {}}).encode()), 400),
        (WebhookRequest(hook, json.dumps({"event_name": "comment.create", "event_data": {}}).encode()), 200),
    ]
    for request, status in cases:
        assert box.target.deliver_webhook(request).status == status, request
    assert box.runs() == []
    assert box.target.deliver_webhook(box.request(good)).status == 200
    assert [r["agent"] for r in box.runs()] == ["architect"]


def test_duplicate_late_and_stale_deliveries_change_nothing(tmp_path: Path) -> None:
    box = Sandbox(tmp_path)
    card = box.card()
    to_design = _move_payload(box, card, "2. Design Draft")
    for _ in range(3):
        box.target.deliver_webhook(box.request(to_design))
    assert len(box.runs("architect")) == 1
    comments = box.comments(card)
    to_approved = _move_payload(box, card, "3. Design Approved")
    box.target.deliver_webhook(box.request(to_design))  # stale: the card has moved on
    assert box.runs("governance") == []
    box.target.deliver_webhook(box.request(to_approved))
    box.target.deliver_webhook(box.request(to_approved))
    assert [r["agent"] for r in box.runs()] == ["architect", "governance"]
    assert len(box.comments(card)) == len(comments) + 1  # only the lock's own comment
    # Back to 2. Design Draft: a new epoch; the old delivery of the first epoch is stale.
    box.move(card, "2. Design Draft")
    box.kb.webhooks.drain()
    box.target.deliver_webhook(box.request(to_design))
    assert len(box.runs("architect")) == 1


def test_the_gate_refuses_once_and_every_entrypoint_agrees(tmp_path: Path) -> None:
    decisions = {}
    for name in ("webhook", "orchestrator", "poll", "cli", "agent"):
        box = Sandbox(tmp_path / name)
        card = box.card()
        box.move(card, "2. Design Draft")
        box.deliver()
        box.move(card, "4. Planning Draft")  # mis-click: the design was never approved
        for _ in range(2):
            if name == "webhook":
                for payload in [e.data["payload"] for e in box.journal.events("webhook")]:
                    box.target.deliver_webhook(box.request(payload))
            elif name == "orchestrator":
                box.target.orchestrator_pass()
            elif name == "poll":
                box.target.poll(2)
            elif name == "cli":
                assert box.target.cli("run-agent", [str(card)]) == 1
            else:
                assert box.target.run_agent("pm", card) in ("refused", "already-handled")
        refusals = [c for c in box.comments(card) if "refused" in c]
        decisions[name] = ([r["agent"] for r in box.runs()], refusals)
        assert not (box.ws() / "prd.json").exists()
    assert len(set(map(repr, decisions.values()))) == 1, decisions
    agents, refusals = decisions["webhook"]
    assert agents == ["architect"] and len(refusals) == 1 and "DESIGN.md" in refusals[0]


def test_ralph_never_runs_without_approved_tests(tmp_path: Path) -> None:
    box = Sandbox(tmp_path)
    epic = box.card()
    for column in ("2. Design Draft", "3. Design Approved", "4. Planning Draft", "5. Plan Approved"):
        box.move(epic, column)
        box.deliver()
    child = box.children(epic)[0]
    box.move(child, "8. Ralph Loop")  # skips 7. Tests Approved
    box.deliver()
    box.move(epic, "8. Ralph Loop")  # an epic has no test at all
    box.deliver()
    box.target.orchestrator_pass()
    assert box.runs("ralph") == []
    assert any("refused" in c and "tests/test_s1.py" in c for c in box.comments(child))


def test_a_deleted_failure_record_is_a_deliberate_retry(tmp_path: Path) -> None:
    box = Sandbox(tmp_path)
    box.llm.push("architect", "   ")  # an empty design: the run fails
    card = box.card()
    box.move(card, "2. Design Draft")
    box.deliver()
    box.target.poll(3)
    assert [r["ok"] for r in box.runs("architect")] == [False]
    assert any("failed" in c for c in box.comments(card))
    box.kb.human.delete_metadata(card, run_key(card, "architect"))
    box.target.poll(2)
    assert [r["ok"] for r in box.runs("architect")] == [False, True]


def test_a_dirname_changed_after_locking_is_refused(tmp_path: Path) -> None:
    box = Sandbox(tmp_path)
    card = box.card()
    box.through_design(card)
    box.kb.human.set_metadata(card, {"dirname": "other-app"})
    box.move(card, "4. Planning Draft")
    box.deliver()
    assert box.runs("pm") == []
    assert any("dirname changed" in c for c in box.comments(card))
    assert not (box.ws("other-app")).exists()


@pytest.mark.parametrize("method", ["getTask", "getTaskMetadata", "getTaskMetadataByName", "getColumns"])
@pytest.mark.parametrize("kind", ["error", "timeout", "falsy"])
def test_a_failed_read_never_means_nothing_there(tmp_path: Path, method: str, kind: str) -> None:
    box = Sandbox(tmp_path)
    card = box.card()
    box.move(card, "2. Design Draft")
    box.deliver()
    assert len(box.runs("architect")) == 1
    box.kb.faults.add(kind, method, times=None)
    for _ in range(2):
        box.target.orchestrator_pass()
        with acting_as("webhook"):
            box.target.run_agent("architect", card)
    assert len(box.runs("architect")) == 1  # a duplicate run would mean a read was guessed


@pytest.mark.parametrize("kind", ["lost", "timeout", "error", "falsy"])
def test_a_failed_run_record_write_never_doubles_a_run(tmp_path: Path, kind: str) -> None:
    box = Sandbox(tmp_path)
    card = box.card()
    box.move(card, "2. Design Draft")
    box.kb.webhooks.drain()
    box.kb.faults.add(kind, "saveTaskMetadata", nth=1)
    for _ in range(3):
        box.target.orchestrator_pass()
    runs = box.runs("architect")
    # lost: the record says "running" and no one runs; otherwise the next pass runs it once
    assert len(runs) == (0 if kind == "lost" else 1)


def test_two_runners_interleaved_run_an_agent_once(tmp_path: Path) -> None:
    box = Sandbox(tmp_path)
    card = box.card()
    payload = _move_payload(box, card, "2. Design Draft")
    fired: list[str] = []

    def other_runner(actor: str, method: str, params: Any) -> None:
        values = (params or {}).get("values") or {}
        if actor == "webhook" and not fired and str(values.get(run_key(card, "architect"), "")).endswith(":running"):
            fired.append(method)
            with acting_as("poller"):
                box.target.poll(1)

    box.kb.add_call_hook(other_runner)
    with acting_as("webhook"):
        box.target.deliver_webhook(box.request(payload))
    assert fired and len(box.runs("architect")) == 1


def test_the_real_http_server_answers_like_the_handler(tmp_path: Path) -> None:
    box = Sandbox(tmp_path)
    server = box.target.serve()
    card = box.card()
    payload = _move_payload(box, card, "2. Design Draft")

    def post(path: str, body: bytes) -> int:
        request = urllib.request.Request(server.url.rsplit("/", 1)[0] + path, body, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status
        except urllib.error.HTTPError as error:
            return error.code

    assert post("/webhook?token=wrong", json.dumps(payload).encode()) == 401
    assert post(f"/webhook?token={box.kb.webhook_token}", b"nope") == 400
    assert post(f"/webhook?token={box.kb.webhook_token}", json.dumps(payload).encode()) == 200
    server.wait_idle()
    assert [r["agent"] for r in box.runs()] == ["architect"]
    box.target.unbind()
    box.target.unbind()  # safe twice


def test_an_agent_that_crashes_is_a_failed_run_not_a_crashed_runner(tmp_path: Path) -> None:
    box = Sandbox(tmp_path)
    first, second = box.card(), box.card(title="Other", dirname="other-app")

    def broken(role: str, prompt: str) -> str:
        if "other-app" in prompt:
            return "# Design\n"
        raise RuntimeError("model unavailable")

    box.llm.complete = broken  # type: ignore[method-assign]
    for card in (first, second):
        box.move(card, "2. Design Draft")
    box.kb.webhooks.drain()
    box.target.orchestrator_pass()
    assert [(r["task_id"], r["ok"]) for r in box.runs()] == [(first, False), (second, True)]
    assert any("crashed" in c and "model unavailable" in c for c in box.comments(first))


def test_a_lease_is_exclusive_until_released_or_expired(tmp_path: Path) -> None:
    from targets.reference.leases import Lease

    clock = [100.0]
    first, second = Lease(tmp_path, lambda: clock[0]), Lease(tmp_path, lambda: clock[0])
    held = first.acquire("1-architect-2-100.lease")
    assert held is not None and second.acquire("1-architect-2-100.lease") is None
    assert second.acquire("1-architect-2-101.lease") is not None  # another epoch: another lease
    first.release(held)
    again = second.acquire("1-architect-2-100.lease")
    assert again is not None
    clock[0] += Lease.ttl + 1  # its holder died: the lease expires and can be taken over
    taken = first.acquire("1-architect-2-100.lease")
    assert taken is not None
    second.release(again)  # no longer its lease: releasing must not free the new holder's
    assert second.acquire("1-architect-2-100.lease") is None
