"""JSON-RPC signed by a user (their own name and password) and other measured facts of the
API that the web UI's users meet, each through both faces (kanboard-facts.md, "What a person
does in the web UI")."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from typing import Any

import kanboard
import pytest

from harness.kanboard import FakeKanboard

Signer = Callable[[str, str], Any]  # (username, password) -> a client


@pytest.fixture
def fake() -> FakeKanboard:
    fake = FakeKanboard(board=("1. Inbox", "2. Design Draft"))
    fake.client().create_task(title="Epic", project_id=fake.project_id)
    fake.webhooks.drain()
    return fake


@pytest.fixture(params=["inproc", "http"])
def signed(request: pytest.FixtureRequest, fake: FakeKanboard) -> Iterator[Signer]:
    """A client signing its calls with the given credentials, through either face."""
    if request.param == "inproc":
        yield lambda user, password: fake.client_factory()("", user, password)
        return
    with fake.serve() as server:
        yield lambda user, password: kanboard.Client(server.url_for("api"), user, password, timeout=5)


def _status(error: pytest.ExceptionInfo[kanboard.ClientError]) -> str:
    return str(error.value)


def test_a_users_own_name_and_password_are_accepted_and_sign_the_webhooks(fake: FakeKanboard, signed: Signer) -> None:
    admin = signed("admin", "admin")
    assert admin.get_me()["username"] == "admin"
    with pytest.raises(kanboard.ClientError, match="401"):
        signed("admin", "wrong").get_version()
    with pytest.raises(kanboard.ClientError, match="403"):  # with the app token: user-only
        signed("jsonrpc", fake.api_token).get_me()
    with pytest.raises(kanboard.ClientError, match="403"):  # not a member of the project
        admin.get_task(task_id=1)
    with pytest.raises(kanboard.ClientError, match="403"):
        admin.update_task(id=1, title="t")
    app = signed("jsonrpc", fake.api_token)
    assert app.add_project_user(project_id=fake.project_id, user_id=1) is True
    assert admin.update_task(id=1, title="by admin") is True
    payload, = fake.webhooks.drain()
    assert payload["event_name"] == "task.update" and payload["event_author"] == "admin"
    assert app.update_task(id=1, title="by the app") is True
    assert fake.webhooks.drain()[0]["event_author"] is None
    with pytest.raises(kanboard.ClientError, match="403"):  # a card that is not there: no project
        admin.get_task(task_id=99)


def test_a_project_a_user_creates_is_theirs_and_other_users_are_strangers(fake: FakeKanboard, signed: Signer) -> None:
    fake.add_user("alice", "s3cret")
    alice = signed("alice", "s3cret")
    with pytest.raises(kanboard.ClientError, match="401"):
        signed("Alice", "s3cret").get_version()  # names are matched exactly
    project = alice.create_project(name="Alice's")
    assert alice.get_columns(project_id=project)  # the creator manages it
    card = alice.create_task(title="mine", project_id=project)
    with pytest.raises(kanboard.ClientError, match="403"):
        signed("admin", "admin").get_task(task_id=card)
    assert signed("jsonrpc", fake.api_token).get_task(task_id=card)["title"] == "mine"  # the app sees all


def test_an_image_name_with_content_that_is_no_image_is_a_500_that_stores_nothing(
        fake: FakeKanboard, signed: Signer) -> None:
    app = signed("jsonrpc", fake.api_token)
    with pytest.raises(kanboard.ClientError, match="500"):
        app.create_task_file(project_id=fake.project_id, task_id=1, filename="x.PNG",
                             blob=base64.b64encode(b"not an image").decode())
    assert app.get_all_task_files(task_id=1) == [] and fake.webhooks.drain() == []
    png = b"\x89PNG\r\n\x1a\n" + bytes(24)
    first = app.create_task_file(project_id=fake.project_id, task_id=1, filename="x.png",
                                 blob=base64.b64encode(png).decode())
    assert first == 1  # the refused upload took no id
    assert app.create_task_file(project_id=fake.project_id, task_id=1, filename="x.md",
                                blob=base64.b64encode(b"not an image").decode()) == 2
    assert [f["is_image"] for f in app.get_all_task_files(task_id=1)] == [0, 1]


def test_subtasks_sum_into_the_card_fire_subtask_create_and_are_copied_with_the_card(
        fake: FakeKanboard, signed: Signer) -> None:
    app = signed("jsonrpc", fake.api_token)
    assert app.get_task(task_id=1)["time_spent"] is None  # an API-made card
    first = app.create_subtask(task_id=1, title="write tests")
    second = app.create_subtask(task_id=1, title="make them pass", time_estimated=2)
    assert (first, second) == (1, 2)
    assert [p["event_name"] for p in fake.webhooks.drain()] == ["subtask.create", "subtask.create"]
    card = app.get_task(task_id=1)
    assert (card["time_spent"], card["time_estimated"]) == (0, 2)
    rows = app.get_all_subtasks(task_id=1)
    assert [(r["title"], r["position"], r["status"], r["status_name"]) for r in rows] == [
        ("write tests", 1, 0, "Todo"), ("make them pass", 2, 0, "Todo")]
    assert app.create_subtask(task_id=99, title="x") is False
    assert app.create_subtask(task_id=1, title="") is False
    copy = app.duplicate_task_to_project(task_id=1, project_id=fake.project_id)
    assert [r["title"] for r in app.get_all_subtasks(task_id=copy)] == ["write tests", "make them pass"]
    assert "subtask.create" not in [p["event_name"] for p in fake.webhooks.drain()]
    assert app.remove_subtask(subtask_id=second) is True
    assert app.get_task(task_id=1)["time_estimated"] == 0
