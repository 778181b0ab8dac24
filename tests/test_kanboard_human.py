"""Human actions on the board and the webhooks they (and API calls) emit."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from harness.journal import CALL, HUMAN, WEBHOOK
from harness.kanboard import FakeKanboard, HumanRefused


@pytest.fixture
def fake() -> FakeKanboard:
    fake = FakeKanboard()
    fake.client("api").create_task(title="Epic", project_id=1, description="d")
    fake.webhooks.drain()
    return fake


def _names(payloads: list[dict[str, Any]]) -> list[str]:
    return [p["event_name"] for p in payloads]


def test_a_drag_moves_the_card_and_fires_a_move_by_admin(fake: FakeKanboard) -> None:
    assert fake.human.move(1, "3. Design Approved") is True
    payload, = fake.webhooks.drain()
    assert payload["event_name"] == "task.move.column" and payload["event_author"] == "admin"
    data = payload["event_data"]
    assert (data["src_column_id"], data["dst_column_id"], data["task"]["column_title"]) == (1, "3", "3. Design Approved")
    assert (data["column_id"], data["swimlane_id"], data["position"]) == ("3", "1", 1)  # as the board posts them
    assert data["changes"]["src_column_id"] == 1 and fake.task(1)["column_id"] == 3
    human, = fake.journal.events(HUMAN)
    assert human.actor == "human" and human.data["action"] == "move" and human.data["task_id"] == 1
    hook = fake.journal.events(WEBHOOK)[-1]
    assert hook.actor == "human" and hook.data["event_name"] == "task.move.column" and hook.data["task_id"] == 1
    assert hook.seq > human.seq
    assert fake.human.move(1, 3, position=1) is False  # already there: Kanboard reports false
    fake.client().create_task(title="second", project_id=1, column_id=3)
    fake.webhooks.drain()
    assert fake.human.move(2, 3, position=1) is True
    assert _names(fake.webhooks.drain()) == ["task.move.position"]
    assert [fake.task(t)["position"] for t in (2, 1)] == [1, 2]


def test_tag_and_metadata_edits_change_the_card_silently(fake: FakeKanboard) -> None:
    assert fake.human.set_tags(1, ["design-approved", "x"]) is True
    assert fake.human.add_tags(1, "locked") is True
    assert fake.human.remove_tags(1, "x") is True
    assert fake.tags(1) == ["design-approved", "locked"]
    assert fake.human.set_metadata(1, {"dirname": "../../etc", "n": 3}) is True
    assert fake.human.delete_metadata(1, "n") is True
    assert fake.metadata(1) == {"dirname": "../../etc"}
    assert fake.webhooks.drain() == []  # Kanboard sends nothing for these
    assert [e.data["action"] for e in fake.journal.events(HUMAN)] == [
        "set_tags", "add_tags", "remove_tags", "set_metadata", "delete_metadata"]


def test_title_and_description_edits_fire_task_update(fake: FakeKanboard) -> None:
    fake.human.edit_title(1, "Epic v2")
    fake.human.edit_description(1, "dirname: x")
    first, second = fake.webhooks.drain()
    assert first["event_data"]["changes"] == {"title": "Epic v2"}
    assert second["event_data"]["changes"] == {"description": "dirname: x"}
    assert second["event_author"] == "admin" and fake.task(1)["title"] == "Epic v2"
    with pytest.raises(HumanRefused):
        fake.human.edit_title(1, "")


def test_deleting_links_and_cards(fake: FakeKanboard) -> None:
    kb = fake.client()
    copy = kb.duplicate_task_to_project(task_id=1, project_id=1)
    link_id = kb.get_all_task_links(task_id=copy)[0]["id"]
    fake.webhooks.drain()
    assert fake.human.delete_link(link_id) is True
    payload, = fake.webhooks.drain()
    assert payload["event_name"] == "task_internal_link.delete"
    assert payload["event_data"]["task_link"]["id"] == link_id and payload["event_author"] == "admin"
    assert fake.links(1) == [] == fake.links(copy)
    assert fake.human.delete_card(copy) is True
    assert fake.webhooks.drain() == [] and fake.task(copy) is None
    with pytest.raises(HumanRefused):
        fake.human.delete_card(copy)
    with pytest.raises(HumanRefused):
        fake.human.delete_link(link_id)


def test_creating_a_card_with_metadata_and_tags(fake: FakeKanboard) -> None:
    fake.add_custom_field("dirname", required=True)
    with pytest.raises(HumanRefused):
        fake.human.create_card("no dirname")
    task = fake.human.create_card("New", column="1. Inbox", description="d",
                                  metadata={"dirname": "app", "context_mode": "NEW"}, tags=["NEW"])
    assert fake.task(task)["creator_id"] == 1  # the logged-in admin
    assert fake.metadata(task) == {"context_mode": "NEW", "dirname": "app"}
    assert fake.tags(task) == ["NEW"]
    payload, = fake.webhooks.drain()
    assert payload["event_name"] == "task.create" and payload["event_author"] == "admin"
    assert payload["event_data"]["task"]["creator_username"] == "admin"
    assert fake.journal.events(HUMAN)[-1].data["task_id"] == task


def test_close_and_open(fake: FakeKanboard) -> None:
    fake.human.close_card(1)
    fake.human.open_card(1)
    assert _names(fake.webhooks.drain()) == ["task.close", "task.open"]


def test_api_calls_emit_webhooks_with_a_null_author(fake: FakeKanboard) -> None:
    kb = fake.client("webhook")
    kb.move_task_position(project_id=1, task_id=1, column_id=2, position=1, swimlane_id=1)
    kb.update_task(id=1, title="t2")
    kb.create_comment(task_id=1, user_id=1, content="c")
    kb.create_task_file(project_id=1, task_id=1, filename="a.md", blob="YQ==")
    kb.remove_task_file(file_id=1)
    payloads = fake.webhooks.drain()
    assert _names(payloads) == ["task.move.column", "task.update", "comment.create",
                                "task.file.create", "task.file.destroy"]
    assert {p["event_author"] for p in payloads} == {None}
    assert {e.actor for e in fake.journal.events(WEBHOOK)[1:]} == {"webhook"}  # [0]: the fixture's
    calls = fake.journal.events(CALL)
    assert calls[-1].seq < fake.journal.events(WEBHOOK)[-1].seq  # the call, then its webhooks


def test_webhook_sinks(fake: FakeKanboard) -> None:
    seen: list[dict[str, Any]] = []
    unsubscribe = fake.webhooks.subscribe(seen.append)
    fake.human.move(1, 2)
    assert _names(seen) == ["task.move.column"]
    unsubscribe()
    fake.human.move(1, 3)
    assert len(seen) == 1 and len(fake.webhooks.outbox) == 2

    received: list[tuple[str, dict[str, str], bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - stdlib name
            received.append((self.path, dict(self.headers), self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        fake.webhooks.set_url(f"http://127.0.0.1:{httpd.server_address[1]}/hook?x=1")
        fake.human.edit_title(1, "a/b é")
    finally:
        httpd.shutdown()
        httpd.server_close()
    path, headers, body = received[0]
    assert path == f"/hook?x=1&token={fake.webhook_token}"
    assert headers["User-Agent"] == "Kanboard" and headers["Content-type"] == "application/json"
    assert b"a\\/b \\u00e9" in body and json.loads(body)["event_name"] == "task.update"
    with pytest.raises(ValueError, match="webhook URL"):
        fake.webhooks.set_url("ftp://nowhere")


def test_a_failing_subscriber_does_not_fail_the_call(fake: FakeKanboard) -> None:
    def broken(payload: dict[str, Any]) -> None:
        raise RuntimeError("receiver down")

    fake.webhooks.subscribe(broken)
    assert fake.client().update_task(id=1, title="x") is True
    assert any("receiver down" in e.data["text"] for e in fake.journal.events("note"))
