"""searchTasks through both faces: the part of Kanboard's query language the fake models, and
a loud harness gap (never a made-up answer, never a finding) for the part it does not."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import kanboard
import pytest

from harness.kanboard import FakeKanboard
from harness.kanboard.errors import FakeGap, NotModelled
from harness.kanboard.search import parse
from harness.steps import ACTIONS, Applied, Step, apply_modelled


@pytest.fixture
def fake() -> FakeKanboard:
    fake = FakeKanboard(board=("1. Inbox", "2. Design Draft"))
    client = fake.client()
    for title in ("Epic: Cloudflared tunnel", "hello-fire", "Story 3 of cloudflared"):
        client.create_task(title=title, project_id=fake.project_id)
    client.close_task(task_id=2)
    other = client.create_project(name="Other")
    client.create_task(title="Cloudflared elsewhere", project_id=other)
    return fake


@pytest.fixture(params=["inproc", "http"])
def client(request: pytest.FixtureRequest, fake: FakeKanboard) -> Iterator[Any]:
    if request.param == "inproc":
        yield fake.client()
        return
    with fake.serve() as server:
        yield kanboard.Client(server.url, server.user, server.token, timeout=5)


def _ids(rows: list[dict[str, Any]]) -> list[int]:
    return [int(row["id"]) for row in rows]


def test_plain_words_match_the_title_in_any_case_within_the_project(fake: FakeKanboard, client: Any) -> None:
    assert _ids(client.search_tasks(project_id=fake.project_id, query="cloudflared")) == [1, 3]
    assert _ids(client.search_tasks(project_id=fake.project_id, query="hello-fire")) == [2]  # closed too
    assert client.search_tasks(project_id=fake.project_id, query="nothing like it") == []
    assert len(client.search_tasks(project_id=fake.project_id, query="")) == 3  # no filter: all


def test_a_number_or_hash_number_is_also_an_id_and_status_filters_open_or_closed(
    fake: FakeKanboard, client: Any
) -> None:
    assert _ids(client.search_tasks(project_id=fake.project_id, query="#2")) == [2]
    assert _ids(client.search_tasks(project_id=fake.project_id, query="3")) == [3]  # id 3, "Story 3"
    assert _ids(client.search_tasks(project_id=fake.project_id, query="Status:open cloudflared")) == [1, 3]
    assert _ids(client.search_tasks(project_id=fake.project_id, query="status:closed")) == [2]


def test_rows_are_the_extended_query_not_the_api_formatter(fake: FakeKanboard, client: Any) -> None:
    row, = client.search_tasks(project_id=fake.project_id, query="hello")
    assert "url" not in row and "color" not in row and "external_uri" not in row
    assert row["column_name"] == "1. Inbox" and row["project_name"]
    assert row["nb_comments"] == 0 and row["assignee_username"] is None


def test_the_lexer_split_keeps_attributes_only_where_a_token_starts() -> None:
    assert parse('a status:open  b') == ({"status": ["open"]}, "a   b")
    assert parse("foostatus:x") == ({}, "foostatus:x")
    assert parse('column:"Ready" x') == ({"column": ["Ready"]}, "x")
    assert parse("subtask:assignee:me") == ({"subtask:assignee": ["me"]}, "")


def test_an_attribute_the_fake_does_not_model_is_a_harness_gap_not_an_answer(fake: FakeKanboard) -> None:
    with pytest.raises(NotModelled):
        fake.client().search_tasks(project_id=fake.project_id, query="tag:urgent")
    assert fake.gaps == ["searchTasks: searchTasks with tag: in 'tag:urgent'"]
    assert fake.journal.events()[-1].data["outcome"] == "not modelled"


def test_a_kanboard_method_the_fake_lacks_is_a_gap_and_a_made_up_one_is_not_found(fake: FakeKanboard) -> None:
    with pytest.raises(NotModelled):
        fake.client().get_all_categories(project_id=fake.project_id)  # real Kanboard has it
    assert fake.gaps == ["getAllCategories: getAllCategories, a Kanboard method the fake does not model"]
    with pytest.raises(kanboard.ClientError, match="Method not found"):
        fake.client().get_task_files(task_id=1)  # kanboard-facts.md: no such method


def test_a_step_that_meets_a_gap_stops_as_a_harness_error_even_if_the_target_swallows_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from harness.world import World
    from targets.registry import get_target

    def search_and_swallow(world: World, args: dict[str, Any]) -> Applied:
        with contextlib.suppress(BaseException):  # a target with a bare except
            world.kanboard.client().search_tasks(project_id=world.kanboard.project_id, query="due:today")
        return Applied("searched")

    monkeypatch.setitem(ACTIONS, "search_and_swallow", search_and_swallow)
    world = World(get_target("reference"), face="inproc")
    try:
        with pytest.raises(FakeGap, match="due:"):
            apply_modelled(world, Step("search_and_swallow", {}))
    finally:
        world.close()
