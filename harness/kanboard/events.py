"""Kanboard's events: what one operation emits, shaped as Kanboard's event builders shape it.

An operation (a JSON-RPC call or a human action) runs with a `Context`; models call the
`*_event` functions, which build event data exactly like Kanboard (task details joined with
project, column and swimlane names; `changes` as PHP's array_diff_assoc) and keep those a
webhook would carry. The facade turns them into webhook payloads after the operation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from harness.kanboard import php
from harness.kanboard.store import Store

# Events Kanboard's NotificationSubscriber forwards (the webhook sees exactly these).
WEBHOOK_EVENTS = frozenset(
    {
        "task.create",
        "task.update",
        "task.close",
        "task.open",
        "task.move.column",
        "task.move.project",
        "task.move.position",
        "task.move.swimlane",
        "task.assignee_change",
        "comment.create",
        "comment.update",
        "comment.delete",
        "task.file.create",
        "task.file.destroy",
        "task_internal_link.create_update",
        "task_internal_link.delete",
        "subtask.create",
        "subtask.update",
        "subtask.delete",
    }
)
# Events after which Kanboard stamps the project's last_modified.
_PROJECT_TOUCHING = frozenset(
    {
        "task.create_update",
        "task.close",
        "task.open",
        "task.move.swimlane",
        "task.move.column",
        "task.move.position",
        "task.move.project",
        "task.assignee_change",
    }
)


@dataclass
class Context:
    """One operation's view of the install: the store, the time, who acts, what it emits."""

    store: Store
    now: int
    metamagik: bool = True
    user_id: int = 0  # 0: the API token (no session); otherwise the logged-in user
    emitted: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @property
    def logged_in(self) -> bool:
        return self.user_id != 0

    def emit(self, name: str, data: dict[str, Any]) -> None:
        if name in WEBHOOK_EVENTS:
            self.emitted.append((name, _snapshot(data)))


def _snapshot(value: Any) -> Any:
    """A copy of JSON-shaped data (dicts, lists, scalars), cheaper than copy.deepcopy."""
    if isinstance(value, dict):
        return {k: _snapshot(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_snapshot(v) for v in value]
    return value


def task_details(store: Store, task_id: Any) -> dict[str, Any] | None:
    """TaskFinderModel::getDetails: the task row plus joined names (null when missing)."""
    task = store["tasks"].get(task_id)
    if task is None:
        return None
    column = store["columns"].get(task["column_id"])
    swimlane = store["swimlanes"].get(task["swimlane_id"])
    project = store["projects"].get(task["project_id"])
    owner = store["users"].get(task["owner_id"])
    creator = store["users"].get(task["creator_id"])
    return dict(task) | {
        "category_name": None,
        "swimlane_name": swimlane["name"] if swimlane else None,
        "project_name": project["name"] if project else None,
        "column_title": column["title"] if column else None,
        "assignee_username": owner["username"] if owner else None,
        "assignee_name": owner["name"] if owner else None,
        "creator_username": creator["username"] if creator else None,
        "creator_name": creator["name"] if creator else None,
        "category_description": None,
        "column_position": column["position"] if column else None,
    }


def diff_assoc(changes: dict[str, Any], original: dict[str, Any]) -> dict[str, Any]:
    """PHP array_diff_assoc: entries of `changes` whose key is absent or differs as text."""
    return {
        name: value
        for name, value in changes.items()
        if name not in original or php.to_str(value) != php.to_str(original[name])
    }


def task_event(
    ctx: Context,
    task_id: int,
    names: Iterable[str],
    changes: dict[str, Any] | None = None,
    values: dict[str, Any] | None = None,
    original: dict[str, Any] | None = None,
) -> None:
    """TaskEventJob: build one event for the task and fire it under each name in order."""
    details = task_details(ctx.store, task_id)
    if details is None:
        return
    data: dict[str, Any] = {"task_id": task_id, "task": details}
    if changes:
        diff = diff_assoc(changes, original or details)
        diff.pop("date_modification", None)
        data["changes"] = diff
    data.update(values or {})
    for name in names:
        if name in _PROJECT_TOUCHING:
            touch_project(ctx, details["project_id"])
        ctx.emit(name, data)


def touch_project(ctx: Context, project_id: Any) -> None:
    project = ctx.store["projects"].get(project_id)
    if project is not None:
        ctx.store.update("projects", project["id"], {"last_modified": ctx.now})


def comment_row(store: Store, comment_id: Any) -> dict[str, Any] | None:
    """CommentModel::getById: the comment joined with its author."""
    comment = store["comments"].get(comment_id)
    if comment is None:
        return None
    user = store["users"].get(comment["user_id"])
    return {
        "id": comment["id"],
        "task_id": comment["task_id"],
        "user_id": comment["user_id"],
        "date_creation": comment["date_creation"],
        "date_modification": comment["date_modification"],
        "comment": comment["comment"],
        "reference": comment["reference"],
        "visibility": comment["visibility"],
        "username": user["username"] if user else None,
        "name": user["name"] if user else None,
        "email": user["email"] if user else None,
        "avatar_path": user["avatar_path"] if user else None,
    }


def comment_event(ctx: Context, comment_id: int, name: str) -> None:
    comment = comment_row(ctx.store, comment_id)
    if comment is not None:
        ctx.emit(name, {"comment": comment, "task": task_details(ctx.store, comment["task_id"])})


def task_link_row(store: Store, task_link_id: Any) -> dict[str, Any] | None:
    """TaskLinkModel::getById."""
    row = store["task_has_links"].get(task_link_id)
    if row is None:
        return None
    link = store["links"].get(row["link_id"])
    return {
        "id": row["id"],
        "opposite_task_id": row["opposite_task_id"],
        "task_id": row["task_id"],
        "link_id": row["link_id"],
        "label": link["label"] if link else None,
        "opposite_link_id": link["opposite_id"] if link else None,
    }


def link_event(ctx: Context, task_link_id: int, name: str) -> None:
    row = task_link_row(ctx.store, task_link_id)
    if row is not None:
        ctx.emit(name, {"task_link": row, "task": task_details(ctx.store, row["task_id"])})


def file_row(store: Store, file_id: Any) -> dict[str, Any] | None:
    """FileModel::getById: the row plus its etag."""
    row = store["task_has_files"].get(file_id)
    if row is None:
        return None
    return dict(row) | {"etag": hashlib.md5(php.to_str(row["path"]).encode()).hexdigest()}


def file_event(ctx: Context, file_id: int, name: str) -> None:
    row = file_row(ctx.store, file_id)
    if row is not None:
        ctx.emit(name, {"file": row, "task": task_details(ctx.store, row["task_id"])})
