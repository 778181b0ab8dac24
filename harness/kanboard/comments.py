"""Task comments (Kanboard's CommentModel); `user_id` is a required API parameter."""

from __future__ import annotations

from typing import Any

from harness.kanboard import php
from harness.kanboard.binding import procedure
from harness.kanboard.events import Context, comment_event, comment_row
from harness.kanboard.store import IntegrityError, Store

VISIBILITIES = ("app-user", "app-manager", "app-admin")


def comments_of(store: Store, task_id: Any) -> list[dict[str, Any]]:
    """CommentModel::getAll: by creation date then id, joined with the author."""
    rows = sorted(store["comments"].where(task_id=task_id), key=lambda c: (c["date_creation"], c["id"]))
    result = []
    for row in rows:
        full = comment_row(store, row["id"]) or {}
        result.append(
            {k: full[k] for k in ("id", "date_creation", "date_modification", "task_id", "user_id",
                                  "comment", "visibility", "username", "name", "email", "avatar_path")}
        )
    return result


def create(ctx: Context, task_id: Any, user_id: Any, content: Any, reference: Any = "",
           visibility: Any = "app-user") -> int | bool:
    """CommentValidator::validateCreation then CommentModel::create (fires comment.create)."""
    values = {"task_id": task_id, "user_id": user_id, "comment": content, "reference": reference,
              "visibility": visibility}
    valid = (
        php.not_blank(task_id)
        and php.not_blank(visibility)
        and any(php.loose_eq(visibility, v) for v in VISIBILITIES)
        and all(php.is_integer_value(values[k]) for k in ("task_id", "user_id"))
        and (not php.not_blank(reference) or len(php.to_str(reference)) <= 191)
        and php.not_blank(content)
    )
    if not valid:
        return False
    try:
        comment_id = ctx.store.insert(
            "comments", values | {"date_creation": ctx.now, "date_modification": ctx.now}
        )
    except IntegrityError:
        return False
    comment_event(ctx, comment_id, "comment.create")
    return comment_id


@procedure("createComment", falsy=False)
def create_comment(ctx: Context, task_id: Any, user_id: Any, content: Any, reference: Any = "",
                   visibility: Any = "app-user") -> Any:
    if ctx.logged_in and not php.loose_eq(user_id, ctx.user_id):
        return False
    return create(ctx, task_id, user_id, content, reference, visibility)


@procedure("getAllComments", falsy=[])
def get_all_comments(ctx: Context, task_id: Any) -> Any:
    return comments_of(ctx.store, task_id)


@procedure("getComment")
def get_comment(ctx: Context, comment_id: Any) -> Any:
    return comment_row(ctx.store, comment_id)


@procedure("updateComment", falsy=False)
def update_comment(ctx: Context, id: Any, content: Any) -> Any:  # noqa: A002 - Kanboard's name
    if not (php.not_blank(id) and php.is_integer_value(id) and php.not_blank(content)):
        return False
    row = ctx.store["comments"].get(id)
    if row is not None:
        ctx.store.update("comments", row["id"], {"comment": content, "date_modification": ctx.now})
        comment_event(ctx, row["id"], "comment.update")
    return True


@procedure("removeComment", falsy=False)
def remove_comment(ctx: Context, comment_id: Any) -> Any:
    row = ctx.store["comments"].get(comment_id)
    if row is None:
        return False
    comment_event(ctx, row["id"], "comment.delete")
    return ctx.store.delete("comments", row["id"])
