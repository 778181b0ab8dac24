"""Tags: project tags and per-task tag sets (Kanboard's TagModel and TaskTagModel).

setTaskTags replaces the whole set, with Kanboard's quirks kept: a name is looked up with
SQL LIKE (case-insensitive, `_` and `%` are wildcards), a duplicate name fails the call
after the earlier names were applied, and old tags are dropped by exact (PHP ==) name.
"""

from __future__ import annotations

from typing import Any

from harness.kanboard import errors, php
from harness.kanboard.binding import procedure
from harness.kanboard.events import Context
from harness.kanboard.store import IntegrityError, Store


def task_tags(store: Store, task_id: Any) -> dict[int, Any]:
    """TaskTagModel::getList: tag id -> name, in tag id order."""
    ids = {row["tag_id"] for row in store["task_has_tags"].where(task_id=task_id)}
    return {tag["id"]: tag["name"] for tag in store["tags"].scan() if tag["id"] in ids}


def find_tag_id(store: Store, project_id: Any, name: Any) -> int | None:
    """TagModel::getIdByName: global (project 0) or project tags whose name LIKE `name`."""
    wanted = php.key(project_id)
    matches = [
        tag
        for tag in store["tags"].scan()
        if (tag["project_id"] == 0 or (wanted is not None and tag["project_id"] == wanted))
        and php.like(name, tag["name"])
    ]
    matches.sort(key=lambda tag: tag["project_id"] if isinstance(tag["project_id"], int) else 0)
    return matches[0]["id"] if matches else None


def create_tag(store: Store, project_id: Any, name: Any, color_id: Any = None) -> int | bool:
    try:
        return store.insert("tags", {"project_id": project_id, "name": name, "color_id": color_id})
    except IntegrityError:
        return False


def associate(store: Store, task_id: Any, tag_id: Any) -> bool:
    try:
        store.insert("task_has_tags", {"task_id": task_id, "tag_id": tag_id})
    except IntegrityError:
        return False
    return True


def save(ctx: Context, project_id: Any, task_id: Any, tags: Any) -> bool:
    """TaskTagModel::save (remove_other_tags): associate each name, then drop the others."""
    if not isinstance(tags, (list, dict)):
        raise errors.fatal()  # save(array $tags) given a non-array
    store = ctx.store
    current = task_tags(store, task_id)
    names = [name for name in php.array_values(tags) if not php.empty(name)]
    for name in names:
        tag_id = find_tag_id(store, project_id, name) or create_tag(store, project_id, name)
        if tag_id not in current and not associate(store, task_id, tag_id):
            return False
    for tag_id, name in current.items():
        if not any(php.loose_eq(name, given) for given in names):
            rows = store["task_has_tags"].where(task_id=task_id, tag_id=tag_id)
            if not store.delete_where("task_has_tags", rows):
                return False
    return True


def _sorted_tags(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [dict(t) for t in sorted(rows, key=lambda t: (php.to_str(t["name"]), t["id"]))]


@procedure("getTaskTags", falsy={})
def get_task_tags(ctx: Context, task_id: Any) -> Any:
    return {str(tag_id): name for tag_id, name in task_tags(ctx.store, task_id).items()}


@procedure("setTaskTags", falsy=False, arrays=("tags",))
def set_task_tags(ctx: Context, project_id: Any, task_id: Any, tags: Any) -> Any:
    return save(ctx, project_id, task_id, tags)


@procedure("getTagsByProject", falsy=[])
def get_tags_by_project(ctx: Context, project_id: Any) -> Any:
    return _sorted_tags(ctx.store["tags"].where(project_id=project_id))


@procedure("getAllTags", falsy=[])
def get_all_tags(ctx: Context) -> Any:
    return _sorted_tags(list(ctx.store["tags"].scan()))


@procedure("createTag", falsy=False)
def create_tag_api(ctx: Context, project_id: Any, tag: Any, color_id: Any = None) -> Any:
    return create_tag(ctx.store, project_id, tag, color_id)


@procedure("updateTag", falsy=False)
def update_tag(ctx: Context, tag_id: Any, tag: Any, color_id: Any = None) -> Any:
    row = ctx.store["tags"].get(tag_id)
    if row is None:
        return True  # an UPDATE that matches no row still succeeds
    try:
        ctx.store.update("tags", row["id"], {"name": tag, "color_id": color_id})
    except IntegrityError:
        return False
    return True


@procedure("removeTag", falsy=False)
def remove_tag(ctx: Context, tag_id: Any) -> Any:
    row = ctx.store["tags"].get(tag_id)
    return ctx.store.delete("tags", row["id"]) if row else False
