"""The fake's tables answer `where` from column indexes that follow every change of the rows."""

from __future__ import annotations

from harness.kanboard.store import Store


def test_where_sees_every_change_however_the_rows_were_changed() -> None:
    table = Store()["task_has_metadata"]
    table.rows[1] = {"id": 1, "task_id": 7, "name": "a", "value": "1"}
    assert [r["name"] for r in table.where(task_id=7)] == ["a"]
    assert table.where(task_id="7") == table.where(task_id=7)  # SQLite compares "7" = 7
    table.rows[2] = {"id": 2, "task_id": 7, "name": "b", "value": "2"}  # a write past insert()
    assert [r["name"] for r in table.where(task_id=7)] == ["a", "b"]
    table.rows.update({2: {"id": 2, "task_id": 8, "name": "b", "value": "2"}})  # a rollback
    assert [r["name"] for r in table.where(task_id=7)] == ["a"]
    assert [r["name"] for r in table.where(task_id=8, name="b")] == ["b"]
    assert table.where(task_id=8, name="a") == []
    del table.rows[1]
    assert table.where(task_id=7) == [] and table.where(task_id=None) == []


def test_where_answers_in_rowid_order_after_an_insert_below_the_last_id() -> None:
    table = Store()["task_has_metadata"]
    table.rows[5] = {"id": 5, "task_id": 1, "name": "late", "value": ""}
    assert table.where(task_id=1)
    table.rows[3] = {"id": 3, "task_id": 1, "name": "early", "value": ""}
    table.in_order = False  # as insert() marks it
    assert [r["id"] for r in table.where(task_id=1)] == [3, 5]


def test_a_board_copied_from_the_first_build_is_that_board_and_shares_no_rows_with_it() -> None:
    from harness.kanboard import facade

    facade._BUILT_BOARDS.clear()
    built = facade.FakeKanboard()
    before = {name: {k: dict(v) for k, v in table.rows.items()} for name, table in built.store.tables.items()}
    built.call("createTask", {"title": "only in the first", "project_id": built.project_id})
    built.add_user("ann", "pw")
    copied = facade.FakeKanboard()  # same board, MetaMagik and first clock reading: a copy
    assert {name: dict(table.rows) for name, table in copied.store.tables.items()} == before
    assert copied.project_id == built.project_id and copied.tasks() == []
    assert copied.identify("ann", "pw") is None
    task = copied.call("createTask", {"title": "only in the copy", "project_id": copied.project_id})
    assert [t["title"] for t in copied.tasks()] == ["only in the copy"] and task == 1
    assert [t["title"] for t in built.tasks()] == ["only in the first"]
