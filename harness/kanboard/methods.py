"""Dispatch of one JSON-RPC call to its procedure, with Kanboard's checks in Kanboard's order.

Importing this module registers every procedure (each lives with the model it belongs to).
"""

from __future__ import annotations

from typing import Any

from harness.kanboard import (  # noqa: F401 - imported for their @procedure registrations
    app,
    boards,
    comments,
    errors,
    files,
    links,
    metadata,
    projects,
    search,
    subtasks,
    tags,
    tasks,
)
from harness.kanboard.api_names import is_kanboard_method
from harness.kanboard.binding import Procedure, bind, find, names
from harness.kanboard.events import Context

__all__ = ["dispatch", "lookup", "names"]


def lookup(method: Any, metamagik: bool) -> Procedure | None:
    """The procedure `method` reaches, or None (Kanboard: "Method not found")."""
    return find(method, metamagik)


# A call signed by a user (not the app) reaches only projects the user is a member of: the
# project is named by one of these arguments (Kanboard's API authorization classes).
_SCOPES: dict[str, tuple[str, str]] = {  # argument -> (table, its project column or "task_id")
    "project_id": ("projects", "id"), "task_id": ("tasks", "project_id"),
    "comment_id": ("comments", "task_id"), "file_id": ("task_has_files", "task_id"),
    "task_link_id": ("task_has_links", "task_id"), "column_id": ("columns", "project_id"),
    "swimlane_id": ("swimlanes", "project_id"), "subtask_id": ("subtasks", "task_id"),
}


def dispatch(ctx: Context, method: Any, params: Any) -> Any:
    """Run one call: find the procedure, refuse user-only ones, bind, check a user's project
    access (HTTP 403), execute."""
    proc = find(method, ctx.metamagik)
    if proc is None:
        if is_kanboard_method(method):  # Kanboard answers it; the fake does not model it
            raise errors.NotModelled(f"{method}, a Kanboard method the fake does not model")
        raise errors.method_not_found()
    if not ctx.logged_in and method in boards.USER_ONLY_PROCEDURES:
        raise errors.forbidden()
    args, kwargs = bind(proc, params)
    if ctx.logged_in:
        given = dict(zip(proc.params, args, strict=False)) | kwargs
        if proc.name == "updateTask" and "id" in given:
            given["task_id"] = given.pop("id")
        for name in (n for n in _SCOPES if n in given):
            if not projects.is_member(ctx.store, _project_of(ctx, name, given[name]), ctx.user_id):
                raise errors.forbidden()
    return proc.fn(ctx, *args, **kwargs)


def _project_of(ctx: Context, name: str, value: Any) -> Any:
    table, column = _SCOPES[name]
    row = ctx.store[table].get(value) if isinstance(value, (int, str)) else None
    if row is None:
        return None
    if column == "task_id":
        return _project_of(ctx, "task_id", row["task_id"])
    return row[column]
