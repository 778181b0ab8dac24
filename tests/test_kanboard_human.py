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


@pytest.fixture(params=["inproc", "http"])
def reader(request: pytest.FixtureRequest, fake: FakeKanboard) -> Any:
    """What the system sees of a person's edit, through either face."""
    if request.param == "inproc":
        yield fake.client()
        return
    with fake.serve() as server:
        yield server.http_client()


def test_metadata_page_edits_are_silent_and_tag_saves_silent_once_the_times_are_set(
        fake: FakeKanboard, reader: Any) -> None:
    assert fake.human.set_metadata(1, {"dirname": "../../etc", "n": 3}) is True
    assert fake.human.delete_metadata(1, "n") is True
    assert reader.get_task_metadata(task_id=1) == {"dirname": "../../etc"}
    assert fake.webhooks.drain() == []  # MetaMagik's page sends nothing
    assert reader.get_task(task_id=1)["time_estimated"] is None  # made through the API
    assert fake.human.set_tags(1, ["design-approved", "x"]) is True
    first, = fake.webhooks.drain()  # the form posts the time fields: nulls become 0
    assert first["event_name"] == "task.update" and first["event_author"] == "admin"
    assert first["event_data"]["changes"] == {"time_estimated": 0, "time_spent": 0}
    assert (reader.get_task(task_id=1)["time_estimated"], reader.get_task(task_id=1)["time_spent"]) == (0, 0)
    assert fake.human.add_tags(1, "locked") is True
    assert fake.human.remove_tags(1, "x") is True
    assert [t for t in reader.get_task_tags(task_id=1).values()] == ["design-approved", "locked"]
    assert fake.webhooks.drain() == []  # no custom field, nothing else changed: nothing sent
    assert [e.data["action"] for e in fake.journal.events(HUMAN)] == [
        "set_metadata", "delete_metadata", "set_tags", "add_tags", "remove_tags"]


def test_a_form_save_posts_every_custom_field_and_is_refused_while_a_required_one_is_empty(
        fake: FakeKanboard, reader: Any) -> None:
    fake.add_custom_field("dirname", required=True)
    fake.add_custom_field("context_mode")
    for edit in (lambda: fake.human.set_tags(1, ["x"]), lambda: fake.human.edit_title(1, "T"),
                 lambda: fake.human.edit_description(1, "D"), lambda: fake.human.add_tags(1, "x")):
        with pytest.raises(HumanRefused, match="dirname"):
            edit()
    assert reader.get_task_tags(task_id=1) == {} and reader.get_task(task_id=1)["title"] == "Epic"
    assert reader.get_task_metadata(task_id=1) == {} and fake.webhooks.drain() == []
    fake.human.set_metadata(1, {"dirname": "ui-app"})
    assert fake.human.set_tags(1, ["x"]) is True  # tags only: still a task.update
    first, = fake.webhooks.drain()
    assert first["event_data"]["changes"] == {
        "time_estimated": 0, "time_spent": 0, "metamagikkey_dirname": "ui-app", "metamagikkey_context_mode": ""}
    assert reader.get_task_metadata(task_id=1) == {"context_mode": "", "dirname": "ui-app"}
    assert fake.human.remove_tags(1, "x") is True
    second, = fake.webhooks.drain()
    assert second["event_data"]["changes"] == {"metamagikkey_dirname": "ui-app", "metamagikkey_context_mode": ""}
    other = FakeKanboard()
    other.add_custom_field("dirname", required=True, project_id=2)  # another project's field
    other.client().create_task(title="Epic", project_id=1)
    other.webhooks.drain()
    assert other.human.set_tags(1, ["x"]) is True
    assert "metamagikkey_dirname" not in other.webhooks.drain()[0]["event_data"]["changes"]


def test_title_and_description_edits_fire_task_update(fake: FakeKanboard) -> None:
    fake.human.edit_title(1, "Epic v2")
    fake.human.edit_description(1, "dirname: x")
    first, second = fake.webhooks.drain()
    assert first["event_data"]["changes"] == {"title": "Epic v2", "time_estimated": 0, "time_spent": 0}
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


def test_the_new_task_form_posts_text_and_stores_empty_numbers_as_zero(fake: FakeKanboard, reader: Any) -> None:
    fake.add_custom_field("dirname", required=True)
    fake.add_custom_field("context_mode")
    task = fake.human.create_card("UI card", column="2. Design Draft", metadata={"dirname": "ui-app"})
    payload, = fake.webhooks.drain()
    data = payload["event_data"]
    assert (data["column_id"], data["swimlane_id"], data["owner_id"], data["tags"], data["date_due"]) == \
        ("2", "1", "0", [""], "")
    assert (data["metamagikkey_dirname"], data["metamagikkey_context_mode"]) == ("ui-app", "")
    row = reader.get_task(task_id=task)
    assert (row["score"], row["date_due"], row["date_started"], row["column_id"]) == (0, 0, 0, 2)
    assert reader.get_task_metadata(task_id=task) == {"context_mode": "", "dirname": "ui-app"}
    assert reader.get_task_tags(task_id=task) == {}


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
