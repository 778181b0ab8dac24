"""Task metadata (a TEXT column: every value comes back a string) and MetaMagik custom fields.

MetaMagik's custom fields are metadata names declared per project (or for all, scope 0);
a required one makes API `createTask` fail validation (it returns `false`), and every new
task gets each declared field as an empty value.
"""

from __future__ import annotations

from typing import Any

from harness.kanboard import php
from harness.kanboard.binding import procedure
from harness.kanboard.events import Context
from harness.kanboard.store import IntegrityError, Store

META_PREFIX = "metamagikkey_"


def all_metadata(store: Store, task_id: Any) -> dict[str, Any]:
    """MetadataModel::getAll: name -> value, by name."""
    rows = store["task_has_metadata"].where(task_id=task_id)
    return {row["name"]: row["value"] for row in sorted(rows, key=lambda r: (r["name"], r["id"]))}


def save(ctx: Context, task_id: Any, values: Any) -> bool:
    """MetadataModel::save: insert or update each name; false if any write failed."""
    store = ctx.store
    results = []
    for name, value in php.array_items(values):
        existing = store["task_has_metadata"].where(task_id=task_id, name=name)
        change = {"value": value, "changed_on": ctx.now, "changed_by": ctx.user_id}
        try:
            if existing:
                store.update("task_has_metadata", existing[0]["id"], change)
            else:
                store.insert("task_has_metadata", {"task_id": task_id, "name": name} | change)
            results.append(True)
        except IntegrityError:
            results.append(False)
    return all(results)


def remove(ctx: Context, task_id: Any, name: Any) -> bool:
    rows = ctx.store["task_has_metadata"].where(task_id=task_id, name=name)
    return ctx.store.delete_where("task_has_metadata", rows) > 0


def custom_fields(store: Store) -> list[dict[str, Any]]:
    """MetadataTypeModel::getAll: every custom field, by position."""
    return sorted(store["metadata_types"].scan(), key=lambda f: (f["position"], f["id"]))


def required_fields(store: Store, project_id: Any) -> list[str]:
    """MetadataTypeModel::getReqs: required fields for all projects or for this one."""
    scope = php.to_str(project_id) if project_id is not None else None
    return [
        f["human_name"]
        for f in store["metadata_types"].scan()
        if f["is_required"] == 1 and (f["attached_to"] == "0" or f["attached_to"] == scope)
    ]


def add_custom_field(
    store: Store, name: str, *, required: bool = False, project_id: int = 0, data_type: str = "text"
) -> int:
    position = len(list(store["metadata_types"].scan())) + 1
    return store.insert(
        "metadata_types",
        {"human_name": name, "machine_name": name, "data_type": data_type,
         "is_required": 1 if required else 0, "attached_to": str(project_id), "position": position},
    )


def create_meta(ctx: Context, held: dict[str, Any], task_id: int) -> None:
    """NewTaskCreationModel::createMeta: form fields, then every other field as ""."""
    held = dict(held)
    for field in custom_fields(ctx.store):
        name = META_PREFIX + field["human_name"]
        if name not in held and name + "[]" not in held:
            held[name] = ""
    for name, value in held.items():
        real = name.replace(META_PREFIX, "")
        if php.empty(value):
            value = ""
        if isinstance(value, (list, dict)):
            parts = [",".join(php.to_str(v) for v in php.array_values(item)) if isinstance(item, (list, dict)) else php.to_str(item)
                     for item in php.array_values(value) if not php.empty(item)]
            value = ",".join(parts)
        save(ctx, task_id, {real: value})


@procedure("getTaskMetadata", falsy={})
def get_task_metadata(ctx: Context, task_id: Any) -> Any:
    return all_metadata(ctx.store, task_id)


@procedure("getTaskMetadataByName", falsy="")
def get_task_metadata_by_name(ctx: Context, task_id: Any, name: Any) -> Any:
    rows = ctx.store["task_has_metadata"].where(task_id=task_id, name=name)
    value = rows[0]["value"] if rows else None
    return value if not php.empty(value) else ""


@procedure("saveTaskMetadata", falsy=False, arrays=("values",))
def save_task_metadata(ctx: Context, task_id: Any, values: Any) -> Any:
    return save(ctx, task_id, values)


@procedure("removeTaskMetadata", falsy=False)
def remove_task_metadata(ctx: Context, task_id: Any, name: Any) -> Any:
    return remove(ctx, task_id, name)
