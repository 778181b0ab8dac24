"""Internal links between tasks: a pair of rows, one seen from each card with the inverse label.

`createTaskLink(a, b, L)` writes (a, b, L) and (b, a, opposite(L)) together; removing one
removes its inverse too. Rows listed for a card describe the *other* card.
"""

from __future__ import annotations

from typing import Any

from harness.kanboard import php
from harness.kanboard.binding import procedure
from harness.kanboard.events import Context, link_event, task_link_row
from harness.kanboard.store import IntegrityError, Store


def opposite_link_id(store: Store, link_id: Any) -> Any:
    """LinkModel::getOppositeLinkId: the opposite type, else the given value unchanged."""
    link = store["links"].get(link_id)
    return link["opposite_id"] if link and not php.empty(link["opposite_id"]) else link_id


def _insert(store: Store, task_id: Any, opposite_task_id: Any, link_id: Any) -> int | bool:
    try:
        return store.insert(
            "task_has_links", {"task_id": task_id, "opposite_task_id": opposite_task_id, "link_id": link_id}
        )
    except IntegrityError:
        return False


def create(ctx: Context, task_id: Any, opposite_task_id: Any, link_id: Any) -> int | bool:
    """TaskLinkModel::create: both rows or (as Kanboard's transaction) neither."""
    store = ctx.store
    inverse = opposite_link_id(store, link_id)
    first = _insert(store, task_id, opposite_task_id, link_id)
    # A failed statement ends Kanboard's transaction, so the second insert then autocommits.
    second = _insert(store, opposite_task_id, task_id, inverse)
    if first is False or second is False:
        if first is not False:
            store.delete("task_has_links", first)
        return False
    link_event(ctx, first, "task_internal_link.create_update")
    link_event(ctx, second, "task_internal_link.create_update")
    return first


def remove(ctx: Context, task_link_id: Any) -> bool:
    """TaskLinkModel::remove: the event first, then the row and its inverse, or nothing."""
    store = ctx.store
    row = store["task_has_links"].get(task_link_id)
    if row is None:
        return False
    link_event(ctx, row["id"], "task_internal_link.delete")
    inverse_type = opposite_link_id(store, row["link_id"])
    inverse = store["task_has_links"].where(
        opposite_task_id=row["task_id"], task_id=row["opposite_task_id"], link_id=inverse_type
    )
    inverse = [r for r in inverse if r["id"] != row["id"]]
    if not inverse:
        return False  # the second DELETE removes nothing: Kanboard rolls the first back
    store.delete("task_has_links", row["id"])
    store.delete_where("task_has_links", inverse)
    return True


def links_of(store: Store, task_id: Any) -> list[dict[str, Any]]:
    """TaskLinkModel::getAll: one row per link of the card, describing the other card."""
    rows = []
    for row in store["task_has_links"].where(task_id=task_id):
        link = store["links"].get(row["link_id"])
        other = store["tasks"].get(row["opposite_task_id"]) or {}
        column = store["columns"].get(other.get("column_id"))
        owner = store["users"].get(other.get("owner_id"))
        project = store["projects"].get(other.get("project_id"))
        rows.append(
            (
                _order_key(link["id"] if link else None, column, other),
                {
                    "id": row["id"],
                    "task_id": row["opposite_task_id"],
                    "label": link["label"] if link else None,
                    "title": other.get("title"),
                    "is_active": other.get("is_active"),
                    "project_id": other.get("project_id"),
                    "column_id": other.get("column_id"),
                    "color_id": other.get("color_id"),
                    "date_completed": other.get("date_completed"),
                    "date_started": other.get("date_started"),
                    "date_due": other.get("date_due"),
                    "task_time_spent": other.get("time_spent"),
                    "task_time_estimated": other.get("time_estimated"),
                    "task_assignee_id": other.get("owner_id"),
                    "task_assignee_username": owner["username"] if owner else None,
                    "task_assignee_name": owner["name"] if owner else None,
                    "column_title": column["title"] if column else None,
                    "project_name": project["name"] if project else None,
                },
            )
        )
    return [entry for _, entry in sorted(rows, key=lambda pair: pair[0])]


def _order_key(link_id: Any, column: dict[str, Any] | None, task: dict[str, Any]) -> tuple[Any, ...]:
    """ORDER BY link id ASC, column position DESC, is_active DESC, position ASC, id ASC."""

    def asc(value: Any) -> tuple[int, Any]:
        return (0, 0) if value is None else (1, value)

    def desc(value: Any) -> tuple[int, Any]:
        return (1, 0) if value is None else (0, -value)

    return (
        asc(link_id),
        desc(column["position"] if column else None),
        desc(task.get("is_active")),
        asc(task.get("position")),
        asc(task.get("id")),
    )


@procedure("getAllLinks", falsy=[])
def get_all_links(ctx: Context) -> Any:
    return [dict(link) for link in ctx.store["links"].scan()]


@procedure("getLinkById")
def get_link_by_id(ctx: Context, link_id: Any) -> Any:
    link = ctx.store["links"].get(link_id)
    return dict(link) if link else None


@procedure("getLinkByLabel")
def get_link_by_label(ctx: Context, label: Any) -> Any:
    found = ctx.store["links"].where(label=label)
    return dict(found[0]) if found else None


@procedure("getOppositeLinkId")
def get_opposite_link_id(ctx: Context, link_id: Any) -> Any:
    return opposite_link_id(ctx.store, link_id)


@procedure("createTaskLink", falsy=False)
def create_task_link(ctx: Context, task_id: Any, opposite_task_id: Any, link_id: Any) -> Any:
    return create(ctx, task_id, opposite_task_id, link_id)


@procedure("getAllTaskLinks", falsy=[])
def get_all_task_links(ctx: Context, task_id: Any) -> Any:
    return links_of(ctx.store, task_id)


@procedure("getTaskLinkById")
def get_task_link_by_id(ctx: Context, task_link_id: Any) -> Any:
    return task_link_row(ctx.store, task_link_id)


@procedure("updateTaskLink", falsy=False)
def update_task_link(ctx: Context, task_link_id: Any, task_id: Any, opposite_task_id: Any, link_id: Any) -> Any:
    store = ctx.store
    row = store["task_has_links"].get(task_link_id)
    if row is None or row["task_id"] != php.to_int(task_id):
        return False
    old_inverse = store["task_has_links"].where(
        opposite_task_id=row["task_id"], task_id=row["opposite_task_id"],
        link_id=opposite_link_id(store, row["link_id"]),
    )
    try:
        store.update("task_has_links", row["id"],
                     {"task_id": task_id, "opposite_task_id": opposite_task_id, "link_id": link_id})
        if old_inverse:
            store.update("task_has_links", old_inverse[0]["id"],
                         {"task_id": opposite_task_id, "opposite_task_id": task_id,
                          "link_id": opposite_link_id(store, link_id)})
    except IntegrityError:
        store["task_has_links"].rows[row["id"]] = row
        if old_inverse:
            store["task_has_links"].rows[old_inverse[0]["id"]] = old_inverse[0]
        return False
    link_event(ctx, row["id"], "task_internal_link.create_update")
    if old_inverse:
        link_event(ctx, old_inverse[0]["id"], "task_internal_link.create_update")
    return True


@procedure("removeTaskLink", falsy=False)
def remove_task_link(ctx: Context, task_link_id: Any) -> Any:
    return remove(ctx, task_link_id)
