"""Checkers of one step share their board reads: the fake is asked once, each caller gets
its own copy, and nothing is remembered past the step."""

from __future__ import annotations

from typing import Any

from harness.invariants.base import board_metadata, board_tags, board_tasks, shared_reads


class CountingBoard:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.meta = {"dirname": "app"}

    def tasks(self, active_only: bool = True) -> list[dict[str, Any]]:
        self.calls.append("tasks")
        return [{"id": 2, "title": "b"}, {"id": 1, "title": "a"}]

    def metadata(self, task_id: int) -> dict[str, str]:
        self.calls.append(f"metadata {task_id}")
        return dict(self.meta)

    def tags(self, task_id: int) -> list[str]:
        self.calls.append(f"tags {task_id}")
        return ["x"]


def test_one_read_per_step_each_caller_its_own_copy() -> None:
    kb = CountingBoard()
    with shared_reads():
        first = board_tasks(kb)
        first[0]["title"] = "changed by a checker"
        assert [t["title"] for t in board_tasks(kb)] == ["a", "b"]
        meta = board_metadata(kb, 1)
        meta["dirname"] = "other"
        assert board_metadata(kb, 1) == {"dirname": "app"} and board_tags(kb, 1) == board_tags(kb, 1) == {"x"}
        board_metadata(kb, 2)
    assert kb.calls == ["tasks", "metadata 1", "tags 1", "metadata 2"]
    kb.meta = {"dirname": "moved"}  # the next step changed the board: read again
    assert board_metadata(kb, 1) == {"dirname": "moved"}
    with shared_reads():
        assert board_metadata(kb, 1) == {"dirname": "moved"}
    assert kb.calls[-2:] == ["metadata 1", "metadata 1"]
