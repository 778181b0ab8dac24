"""Kanboard behaviour beyond the recording, as its source (main.2cba210d + MetaMagik) defines it."""

from __future__ import annotations

from typing import Any

import pytest

from harness.kanboard import FakeKanboard, RpcError


@pytest.fixture
def fake() -> FakeKanboard:
    return FakeKanboard()


def _new(fake: FakeKanboard, title: str = "t", **values: Any) -> int:
    return fake.call("createTask", {"title": title, "project_id": 1} | values)


def _events(fake: FakeKanboard) -> list[str]:
    return [p["event_name"] for p in fake.webhooks.drain()]


def test_metadata_comes_back_as_text(fake: FakeKanboard) -> None:
    task = _new(fake)
    values = {"i": 7, "t": True, "f": False, "x": 0.1 + 0.2, "n": None, "z": "0", "l": [1]}
    assert fake.call("saveTaskMetadata", {"task_id": task, "values": values}) is True
    assert fake.call("getTaskMetadata", {"task_id": task}) == {
        "f": "", "i": "7", "l": "Array", "n": None, "t": "1", "x": "0.3", "z": "0"}
    assert fake.call("getTaskMetadataByName", {"task_id": task, "name": "z"}) == ""  # "0" is falsy
    assert fake.call("saveTaskMetadata", {"task_id": task, "values": ["a"]}) is True
    assert fake.metadata(task)["0"] == "a"
    with pytest.raises(RpcError) as fatal:
        fake.call("saveTaskMetadata", {"task_id": task, "values": "k=v"})
    assert fatal.value.http_status == 500


def test_tag_names_are_matched_with_sql_like(fake: FakeKanboard) -> None:
    task = _new(fake)
    assert fake.call("setTaskTags", {"project_id": 1, "task_id": task, "tags": ["locked", "design-started"]})
    # "Locked" finds the existing "locked" (LIKE ignores case) but the old-tag sweep compares
    # exactly, so Kanboard drops "locked": the task ends up without it.
    assert fake.call("setTaskTags", {"project_id": 1, "task_id": task, "tags": ["Locked", "design_started"]}) is True
    assert fake.tags(task) == []
    assert [t["name"] for t in fake.call("getTagsByProject", {"project_id": 1})] == ["design-started", "locked"]
    assert fake.call("setTaskTags", {"project_id": 1, "task_id": task, "tags": ["0", "", "b"]}) is True
    assert fake.tags(task) == ["b"]  # PHP's array_filter drops "0" and ""


def test_ids_are_sqlite_rowids_so_the_last_one_is_reused(fake: FakeKanboard) -> None:
    ids = [_new(fake) for _ in range(3)]
    assert ids == [1, 2, 3]
    assert fake.call("removeTask", {"task_id": 3}) is True
    assert _new(fake) == 3
    assert fake.call("removeTask", {"task_id": 2}) is True
    assert _new(fake) == 4


def test_metamagik_required_field_makes_create_task_return_false(fake: FakeKanboard) -> None:
    fake.add_custom_field("dirname", required=True)
    fake.add_custom_field("context_mode")
    assert fake.call("createTask", {"title": "x", "project_id": 1}) is False
    assert fake.call("createTask", {"title": "x", "project_id": 999}) is False  # validation first
    task = fake.call("createTaskMeta", {"title": "x", "project_id": 1})
    assert task == 1 and fake.metadata(task) == {}
    fake.call("saveTaskMetadata", {"task_id": task, "values": {"dirname": "app"}})
    copy = fake.call("duplicateTaskToProject", {"task_id": task, "project_id": 1})
    assert fake.metadata(copy) == {"context_mode": "", "dirname": "app"}  # fields, then the copy
    other = FakeKanboard()
    other.add_custom_field("dirname", required=True, project_id=2)
    assert other.call("createTask", {"title": "x", "project_id": 1}) == 1  # scoped elsewhere


def test_without_metamagik_duplication_copies_tags_but_not_metadata() -> None:
    plain = FakeKanboard(metamagik=False)
    task = plain.call("createTask", {"title": "x", "project_id": 1})
    plain.call("setTaskTags", {"project_id": 1, "task_id": task, "tags": ["a"]})
    plain.call("saveTaskMetadata", {"task_id": task, "values": {"k": "v"}})
    copy = plain.call("duplicateTaskToProject", {"task_id": task, "project_id": 1})
    assert plain.tags(copy) == ["a"] and plain.metadata(copy) == {}
    created = [p for p in plain.webhooks.outbox if p["event_name"] == "task.create"][-1]
    assert set(created["event_data"]) == {"task_id", "task"}  # core Kanboard sends no values
    with pytest.raises(RpcError, match="Method not found"):
        plain.call("createTaskMeta", {"title": "x", "project_id": 1})
    with pytest.raises(ValueError):
        plain.add_custom_field("x")


def test_duplication_copies_files_and_links_both_ways(fake: FakeKanboard) -> None:
    task = _new(fake)
    fake.call("createTaskFile", {"project_id": 1, "task_id": task, "filename": "DESIGN.md", "blob": "IyBkZXNpZ24="})
    _events(fake)
    copy = fake.call("duplicateTaskToProject", {"task_id": task, "project_id": 1, "column_id": 999})
    assert fake.task(copy)["column_id"] == 1  # an unknown column falls back to the first
    assert [f["name"] for f in fake.files(copy)] == ["DESIGN.md"]
    assert fake.files(copy)[0]["path"] == fake.files(task)[0]["path"]
    assert _events(fake) == ["task.create", "task_internal_link.create_update",
                             "task_internal_link.create_update", "task.file.create"]
    assert [(link["task_id"], link["label"]) for link in fake.links(copy)] == [(task, "duplicates")]
    assert [(link["task_id"], link["label"]) for link in fake.links(task)] == [(copy, "is duplicated by")]
    assert fake.call("duplicateTaskToProject", {"task_id": task, "project_id": 999}) == 0


def test_moves_renumber_positions_and_fire_move_events(fake: FakeKanboard) -> None:
    a, b, c = (_new(fake, name, column_id=2) for name in "abc")
    _events(fake)
    move = {"project_id": 1, "column_id": 2, "swimlane_id": 1}
    assert fake.call("moveTaskPosition", move | {"task_id": c, "position": 1}) is True
    assert [fake.task(t)["position"] for t in (c, a, b)] == [1, 2, 3]
    assert fake.call("moveTaskPosition", move | {"task_id": c, "position": 1}) is False  # no change
    assert fake.call("moveTaskPosition", move | {"task_id": a, "column_id": 3, "position": 5}) is True
    assert (fake.task(a)["column_id"], fake.task(a)["position"]) == (3, 1)
    assert [fake.task(t)["position"] for t in (c, b)] == [1, 2]
    assert _events(fake) == ["task.move.position", "task.move.column"]
    before = fake.task(b)["date_moved"]
    assert fake.call("moveTaskPosition", move | {"task_id": b, "column_id": 77, "position": 1}) is False
    assert fake.task(b)["column_id"] == 2 and fake.task(b)["date_moved"] > before  # stamped anyway
    assert fake.call("moveTaskPosition", move | {"task_id": b, "project_id": 2, "position": 1}) is False
    assert fake.call("moveTaskPosition", move | {"task_id": b, "position": 0}) is False


def test_remove_task_cascades_and_emits_only_file_events(fake: FakeKanboard) -> None:
    a, b = _new(fake), _new(fake)
    link = fake.call("createTaskLink", {"task_id": a, "opposite_task_id": b, "link_id": 2})
    fake.call("setTaskTags", {"project_id": 1, "task_id": b, "tags": ["x"]})
    fake.call("createComment", {"task_id": b, "user_id": 0, "content": "hi"})
    fake.call("createTaskFile", {"project_id": 1, "task_id": b, "filename": "f.md", "blob": "aGk="})
    _events(fake)
    assert fake.call("removeTask", {"task_id": b}) is True
    assert _events(fake) == ["task.file.destroy"]
    assert fake.links(a) == [] and fake.call("getTaskLinkById", {"task_link_id": link}) is None
    assert fake.tags(b) == [] and fake.comments(b) == [] and fake.files(b) == []
    assert fake.call("removeTaskLink", {"task_link_id": link}) is False


def test_task_links_pairs(fake: FakeKanboard) -> None:
    a, b = _new(fake), _new(fake)
    first = fake.call("createTaskLink", {"task_id": a, "opposite_task_id": b, "link_id": 2})
    assert fake.call("getTaskLinkById", {"task_link_id": first + 1})["label"] == "is blocked by"
    assert fake.call("createTaskLink", {"task_id": b, "opposite_task_id": a, "link_id": 3}) is False
    assert fake.call("createTaskLink", {"task_id": a, "opposite_task_id": a, "link_id": 1}) is False
    assert fake.call("createTaskLink", {"task_id": a, "opposite_task_id": b, "link_id": 99}) is False
    assert fake.call("removeTaskLink", {"task_link_id": first + 1}) is True
    assert fake.links(a) == [] == fake.links(b)


def test_update_task_rules(fake: FakeKanboard) -> None:
    task = _new(fake)
    _events(fake)
    assert fake.call("updateTask", {"id": task, "tags": ["a"]}) is True
    assert fake.tags(task) == ["a"] and _events(fake) == []  # tags alone: no task.update
    assert fake.call("updateTask", {"id": task, "owner_id": 1}) is False  # not assignable
    assert fake.call("updateTask", {"id": task, "score": "high"}) is False
    assert fake.call("updateTask", {"id": task, "title": "new", "priority": "2"}) is True
    payload = fake.webhooks.drain()[0]
    assert payload["event_name"] == "task.update"
    assert payload["event_data"]["changes"] == {"title": "new", "priority": 2}
    with pytest.raises(RpcError) as fatal:
        fake.call("updateTask", {"id": task, "tags": "a"})
    assert fatal.value.http_status == 500


def test_create_task_validation(fake: FakeKanboard) -> None:
    assert fake.call("createTask", {"title": "x", "project_id": 1, "owner_id": 1}) is False
    assert fake.call("createTask", {"title": "x", "project_id": 1, "swimlane_id": 0}) is False
    assert fake.call("createTask", {"title": "x", "project_id": 1, "date_due": 1700000000}) is False
    assert fake.call("createTask", {"title": "x", "project_id": 1, "column_id": 77}) == 0
    assert fake.call("createTask", {"title": "x", "project_id": "1", "column_id": "3"}) == 1
    assert fake.task(1)["column_id"] == 3 and fake.task(1)["project_id"] == 1
    due = fake.call("createTask", {"title": "y", "project_id": 1, "date_due": "2030-01-02"})
    assert fake.task(due)["date_due"] // 86400 * 86400 == 1893542400
    assert fake.call("createTask", {"title": "0", "project_id": 1}) == 3
    assert fake.task(3)["title"] == "Untitled"  # "0" is empty() in PHP
    assert fake.call("createTask", {"title": "z", "project_id": 1, "tags": ["a", "b"]}) == 4
    assert fake.tags(4) == ["a", "b"]


def test_comments(fake: FakeKanboard) -> None:
    task = _new(fake)
    assert fake.call("createComment", {"task_id": task, "user_id": 0, "content": ""}) is False
    assert fake.call("createComment", {"task_id": task, "user_id": 1, "content": "x", "visibility": "nope"}) is False
    comment = fake.call("createComment", {"task_id": task, "user_id": 0, "content": "x"})
    assert fake.comments(task)[0]["username"] is None
    assert fake.call("updateComment", {"id": comment, "content": "y"}) is True
    assert fake.call("getComment", {"comment_id": comment})["comment"] == "y"
    assert fake.call("removeComment", {"comment_id": comment}) is True
    assert fake.call("removeComment", {"comment_id": comment}) is False


def test_status_and_columns(fake: FakeKanboard) -> None:
    task = _new(fake)
    assert fake.call("closeTask", {"task_id": task}) is True
    assert fake.call("getAllTasks", {"project_id": 1}) == []
    assert [t["id"] for t in fake.call("getAllTasks", {"project_id": 1, "status_id": 0})] == [task]
    assert fake.tasks() == [] and len(fake.tasks(active_only=False)) == 1
    assert fake.call("removeColumn", {"column_id": 1}) is False  # it holds a (closed) task
    assert fake.call("addColumn", {"project_id": 1, "title": "1. Inbox"}) is False  # titles are unique
    assert fake.call("addColumn", {"project_id": 1, "title": "12. Extra", "task_limit": "2"}) == 12
    assert fake.call("getColumn", {"column_id": 12})["task_limit"] == 2
    assert fake.call("getProjectByName", {"name": "nope"}) is False
    assert fake.call("getProjectByName", {"name": "AgentLeeOps"})["id"] == 1


def test_binding_rules() -> None:
    fake = FakeKanboard()
    _new(fake)
    assert fake.call("getTask", [1])["id"] == 1
    assert fake.call("getTask", {"0": 1})["id"] == 1  # PHP sees {"0": ..} as a list
    with pytest.raises(RpcError, match="Invalid params") as missing:
        fake.call("getTask", {"extra": 1})
    assert missing.value.data == "Missing argument: task_id"
    assert fake.call("updateTask", {"id": 1, "column_id": 8}) is True  # ignored name
    assert fake.task(1)["column_id"] == 1
    with pytest.raises(RpcError) as too_many:
        fake.call("saveTaskMetadata", {"task_id": 1, "name": "a", "value": "b"})
    assert too_many.value.data == "Too many arguments"
    assert set(fake.method_names()) >= {
        "getVersion", "getColumns", "getAllTasks", "getTask", "createTask", "updateTask",
        "moveTaskPosition", "removeTask", "duplicateTaskToProject", "getTaskTags", "setTaskTags",
        "getTaskMetadata", "getTaskMetadataByName", "saveTaskMetadata", "removeTaskMetadata",
        "createComment", "getAllComments", "createTaskLink", "getAllTaskLinks", "removeTaskLink",
        "createTaskFile", "getAllTaskFiles", "removeTaskFile", "getProjectByName", "createProject",
        "addColumn", "removeColumn", "getAllSwimlanes", "addSwimlane", "createTag", "getMe",
        "getAllProjects", "getTagsByProject"}
