"""Subtasks (Kanboard's SubtaskModel): a card's checklist, with its time tracking.

Creating one re-sums the parent's time fields from its subtasks (so an API-made card's null
times become numbers) and fires subtask.create; duplicating a card copies its subtasks.
"""

from __future__ import annotations

from typing import Any

from harness.kanboard import php
from harness.kanboard.binding import procedure
from harness.kanboard.events import Context, task_details
from harness.kanboard.store import IntegrityError, Store

STATUS_NAMES = {0: "Todo", 1: "In progress", 2: "Done"}


def subtask_rows(store: Store, task_id: Any) -> list[dict[str, Any]]:
    """SubtaskModel::getAll: by position, with the assignee's names and the status name."""
    rows = sorted(store["subtasks"].where(task_id=task_id), key=lambda r: (r["position"], r["id"]))
    return [_details(store, row) for row in rows]


def _details(store: Store, row: dict[str, Any]) -> dict[str, Any]:
    user = store["users"].get(row["user_id"])
    return dict(row) | {
        "username": user["username"] if user else None,
        "name": user["name"] if user else None,
        "timer_start_date": 0,
        "status_name": STATUS_NAMES.get(row["status"], ""),
        "is_timer_started": False,
    }


def _valid(values: dict[str, Any]) -> bool:
    """SubtaskValidator::validateCreation."""
    if not (php.not_blank(values.get("task_id")) and php.not_blank(values.get("title"))):
        return False
    if not all(php.is_integer_value(values.get(n)) for n in ("task_id", "user_id", "status")):
        return False
    if len(php.to_str(values["title"])) > 255:
        return False
    return all(not php.not_blank(values.get(n)) or php.is_numeric(values[n])
               for n in ("time_estimated", "time_spent"))


def create(ctx: Context, values: dict[str, Any]) -> int | bool:
    """SubtaskModel::create: the row at the end, the parent's times re-summed, subtask.create."""
    store = ctx.store
    siblings = store["subtasks"].where(task_id=values["task_id"])
    row = dict(values) | {"position": max((r["position"] for r in siblings), default=0) + 1}
    for name in ("time_estimated", "time_spent", "status", "user_id"):
        if row.get(name) is None or php.empty(row[name]):
            row[name] = 0
    try:
        subtask_id = store.insert("subtasks", row)
    except IntegrityError:
        return False
    update_task_times(store, row["task_id"])
    subtask_event(ctx, subtask_id, "subtask.create")
    return subtask_id


def update_task_times(store: Store, task_id: Any) -> None:
    """SubtaskTimeTrackingModel::updateTaskTimeTracking: the task's times are its subtasks' sums."""
    task = store["tasks"].get(task_id)
    if task is None:
        return
    rows = store["subtasks"].where(task_id=task["id"])
    store.update("tasks", task["id"], {
        "time_spent": _sum(r["time_spent"] for r in rows),
        "time_estimated": _sum(r["time_estimated"] for r in rows),
    })


def _sum(values: Any) -> int | float:
    total = sum(float(php.to_str(v) or 0) for v in values)
    return int(total) if total == int(total) else total


def subtask_event(ctx: Context, subtask_id: int, name: str) -> None:
    row = ctx.store["subtasks"].get(subtask_id)
    if row is not None:
        ctx.emit(name, {"subtask": _details(ctx.store, row), "task": task_details(ctx.store, row["task_id"])})


def duplicate(store: Store, source_id: Any, copy_id: int) -> None:
    """SubtaskModel::duplicate: title, estimate, position and assignee; no events."""
    for row in sorted(store["subtasks"].where(task_id=source_id), key=lambda r: (r["position"], r["id"])):
        store.insert("subtasks", {"title": row["title"], "time_estimated": row["time_estimated"],
                                  "position": row["position"], "user_id": row["user_id"], "task_id": copy_id})


@procedure("createSubtask", falsy=False)
def create_subtask(ctx: Context, task_id: Any, title: Any, user_id: Any = 0, time_estimated: Any = 0,
                   time_spent: Any = 0, status: Any = 0) -> Any:
    values = {"task_id": task_id, "title": title, "user_id": user_id,
              "time_estimated": time_estimated, "time_spent": time_spent, "status": status}
    if not _valid(values) or ctx.store["tasks"].get(task_id) is None:
        return False
    return create(ctx, values)


@procedure("getSubtask")
def get_subtask(ctx: Context, subtask_id: Any) -> Any:
    row = ctx.store["subtasks"].get(subtask_id)
    return _details(ctx.store, row) if row is not None else None


@procedure("getAllSubtasks", falsy=[])
def get_all_subtasks(ctx: Context, task_id: Any) -> Any:
    return subtask_rows(ctx.store, task_id)


@procedure("removeSubtask", falsy=False)
def remove_subtask(ctx: Context, subtask_id: Any) -> Any:
    row = ctx.store["subtasks"].get(subtask_id)
    if row is None:
        return False
    subtask_event(ctx, row["id"], "subtask.delete")
    done = ctx.store.delete("subtasks", row["id"])
    update_task_times(ctx.store, row["task_id"])
    return done
