"""Projects, columns and swimlanes: the board's frame (Kanboard's Project/Column/Swimlane)."""

from __future__ import annotations

import re
from typing import Any

from harness.kanboard import boards, php
from harness.kanboard.binding import procedure
from harness.kanboard.events import Context
from harness.kanboard.store import IntegrityError, Store


def project_url(project: dict[str, Any]) -> dict[str, Any]:
    """ProjectApiFormatter: the row plus its board and list URLs."""
    pid = project["id"]
    base = boards.APP_URL
    return dict(project) | {
        "url": {
            "board": f"{base}?controller=BoardViewController&action=show&project_id={pid}",
            "list": f"{base}?controller=TaskListController&action=show&project_id={pid}",
        }
    }


def create_project(ctx: Context, name: Any, values: dict[str, Any], owner_id: Any = 0) -> int | bool:
    """ProjectModel::create: the project, its default columns and its default swimlane."""
    store = ctx.store
    if not php.empty(owner_id) and store["users"].get(owner_id) is None:
        return False
    row = {"name": name} | values
    row |= {"token": "", "last_modified": ctx.now, "is_private": 0, "owner_id": owner_id}
    if not php.empty(row.get("identifier")):
        row["identifier"] = php.to_str(row["identifier"]).upper()
    for field in ("priority_default", "priority_start", "priority_end"):
        if row.get(field) is not None:
            row[field] = php.to_int(row[field])
    try:
        project_id = store.insert("projects", row)
    except IntegrityError:
        return False
    for position, title in enumerate(boards.DEFAULT_COLUMNS, start=1):
        store.insert(
            "columns",
            {"title": title, "position": position, "project_id": project_id, "task_limit": 0,
             "description": "", "hide_in_dashboard": 0},
        )
    create_swimlane(store, project_id, boards.DEFAULT_SWIMLANE)
    if ctx.logged_in:  # a user who creates a project manages it
        add_member(store, project_id, ctx.user_id, "project-manager")
    return project_id


def add_member(store: Store, project_id: Any, user_id: Any, role: Any) -> bool:
    """ProjectUserRoleModel::addUser."""
    try:
        store.insert("project_has_users", {"project_id": project_id, "user_id": user_id, "role": role})
    except IntegrityError:
        return False
    return True


def is_member(store: Store, project_id: Any, user_id: Any) -> bool:
    return bool(store["project_has_users"].where(project_id=project_id, user_id=user_id))


@procedure("addProjectUser", falsy=False)
def add_project_user(ctx: Context, project_id: Any, user_id: Any, role: Any = "project-member") -> Any:
    if ctx.store["projects"].get(project_id) is None or ctx.store["users"].get(user_id) is None:
        return False
    return add_member(ctx.store, project_id, user_id, role)


def create_swimlane(store: Store, project_id: Any, name: Any, description: Any = "") -> int | bool:
    if store["projects"].get(project_id) is None:
        return 0
    position = len(store["swimlanes"].where(project_id=project_id, is_active=1)) + 1
    try:
        return store.insert(
            "swimlanes",
            {"project_id": project_id, "name": name, "description": description,
             "position": position, "is_active": 1, "task_limit": 0},
        )
    except IntegrityError:
        return False


def columns_of(store: Store, project_id: Any) -> list[dict[str, Any]]:
    """ColumnModel::getAll: the project's columns by position."""
    return sorted(store["columns"].where(project_id=project_id), key=lambda c: order_key(c["position"]))


def swimlanes_of(store: Store, project_id: Any) -> list[dict[str, Any]]:
    return sorted(store["swimlanes"].where(project_id=project_id), key=lambda s: order_key(s["position"]))


def order_key(value: Any) -> tuple[int, Any]:
    """SQLite ORDER BY: NULL first, then numbers, then text."""
    if value is None:
        return (0, 0)
    if isinstance(value, (int, float)):
        return (1, value)
    return (2, value)


def first_column_id(store: Store, project_id: Any) -> int | None:
    columns = columns_of(store, project_id)
    return columns[0]["id"] if columns else None


def first_active_swimlane_id(store: Store, project_id: Any) -> int:
    lanes = [s for s in swimlanes_of(store, project_id) if s["is_active"] == 1]
    return lanes[0]["id"] if lanes else 0


# --- procedures -------------------------------------------------------------------------


@procedure("createProject", falsy=False)
def create_project_api(
    ctx: Context, name: Any, description: Any = None, owner_id: Any = 0, identifier: Any = None,
    start_date: Any = None, end_date: Any = None, priority_default: Any = None,
    priority_start: Any = None, priority_end: Any = None, email: Any = None,
) -> Any:
    if owner_id == 0 and not isinstance(owner_id, bool) and ctx.logged_in:
        owner_id = ctx.user_id
    values = {
        k: v
        for k, v in {
            "description": description, "identifier": identifier, "start_date": start_date,
            "end_date": end_date, "priority_default": priority_default,
            "priority_start": priority_start, "priority_end": priority_end, "email": email,
        }.items()
        if v is not None
    }
    if not _valid_project({"name": name} | values, ctx.store):
        return False
    return create_project(ctx, name, values, owner_id)


def _valid_project(values: dict[str, Any], store: Store) -> bool:
    if not php.not_blank(values.get("name")):
        return False
    for field in ("priority_default", "priority_start", "priority_end"):
        if not php.is_integer_value(values.get(field)):
            return False
    limits = {"name": 65535, "identifier": 50, "start_date": 10, "end_date": 10}
    for field, limit in limits.items():
        if php.not_blank(values.get(field)) and len(php.to_str(values[field])) > limit:
            return False
    identifier = values.get("identifier")
    if php.not_blank(identifier):
        text = php.to_str(identifier).upper()
        if not re.fullmatch(r"[A-Za-z0-9]+", text) or store["projects"].where(identifier=text):
            return False
    email = values.get("email")
    if php.not_blank(email):
        text = php.to_str(email)
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text) or store["projects"].where(email=text):
            return False
    return True


@procedure("getProjectById")
def get_project_by_id(ctx: Context, project_id: Any) -> Any:
    project = ctx.store["projects"].get(project_id)
    return project_url(project) if project else None


@procedure("getProjectByName", falsy=False)
def get_project_by_name(ctx: Context, name: Any) -> Any:
    found = ctx.store["projects"].where(name=name)
    return project_url(found[0]) if found else False


@procedure("getAllProjects", falsy=[])
def get_all_projects(ctx: Context) -> Any:
    projects = sorted(ctx.store["projects"].scan(), key=lambda p: (php.to_str(p["name"]), p["id"]))
    return [project_url(p) for p in projects]


@procedure("getColumns", falsy=[])
def get_columns(ctx: Context, project_id: Any) -> Any:
    return [dict(c) for c in columns_of(ctx.store, project_id)]


@procedure("getColumn")
def get_column(ctx: Context, column_id: Any) -> Any:
    column = ctx.store["columns"].get(column_id)
    return dict(column) if column else None


@procedure("addColumn", falsy=False)
def add_column(ctx: Context, project_id: Any, title: Any, task_limit: Any = 0, description: Any = "") -> Any:
    existing = columns_of(ctx.store, project_id)
    last = php.to_int(existing[-1]["position"]) if existing else 0
    try:
        return ctx.store.insert(
            "columns",
            {"project_id": project_id, "title": title, "task_limit": php.to_int(task_limit),
             "position": last + 1, "hide_in_dashboard": 0, "description": description},
        )
    except IntegrityError:
        return False


@procedure("updateColumn", falsy=False)
def update_column(ctx: Context, column_id: Any, title: Any, task_limit: Any = 0, description: Any = "") -> Any:
    column = ctx.store["columns"].get(column_id)
    if column is None:
        return True  # an UPDATE that matches no row still succeeds
    try:
        ctx.store.update(
            "columns", column["id"],
            {"title": title, "task_limit": php.to_int(task_limit), "hide_in_dashboard": 0,
             "description": description},
        )
    except IntegrityError:
        return False
    return True


@procedure("removeColumn", falsy=False)
def remove_column(ctx: Context, column_id: Any) -> Any:
    column = ctx.store["columns"].get(column_id)
    if column is None:
        return False
    tasks = ctx.store["tasks"].where(project_id=column["project_id"], column_id=column["id"])
    if any(t["is_active"] in (0, 1) for t in tasks):
        return False
    return ctx.store.delete("columns", column["id"])


@procedure("changeColumnPosition", falsy=False)
def change_column_position(ctx: Context, project_id: Any, column_id: Any, position: Any) -> Any:
    column = ctx.store["columns"].get(column_id)
    if column is None or php.to_int(column["project_id"]) != php.to_int(project_id):
        return False
    columns = columns_of(ctx.store, project_id)
    if php.compare(position, 1) < 0 or php.compare(position, len(columns)) > 0:
        return False
    offset = 1
    for other in columns:
        if other["id"] == column["id"]:
            continue
        if php.loose_eq(offset, position):
            offset += 1
        ctx.store.update("columns", other["id"], {"position": offset})
        offset += 1
    ctx.store.update("columns", column["id"], {"position": position})
    return True


@procedure("getAllSwimlanes", falsy=[])
def get_all_swimlanes(ctx: Context, project_id: Any) -> Any:
    return [dict(s) for s in swimlanes_of(ctx.store, project_id)]


@procedure("getActiveSwimlanes", falsy=[])
def get_active_swimlanes(ctx: Context, project_id: Any) -> Any:
    return [dict(s) for s in swimlanes_of(ctx.store, project_id) if s["is_active"] == 1]


@procedure("getSwimlaneById")
def get_swimlane_by_id(ctx: Context, swimlane_id: Any) -> Any:
    lane = ctx.store["swimlanes"].get(swimlane_id)
    return dict(lane) if lane else None


@procedure("getSwimlane")
def get_swimlane(ctx: Context, swimlane_id: Any) -> Any:
    return get_swimlane_by_id(ctx, swimlane_id)


@procedure("getSwimlaneByName")
def get_swimlane_by_name(ctx: Context, project_id: Any, name: Any) -> Any:
    found = ctx.store["swimlanes"].where(project_id=project_id, name=name)
    return dict(found[0]) if found else None


@procedure("addSwimlane", falsy=False)
def add_swimlane(ctx: Context, project_id: Any, name: Any, description: Any = "") -> Any:
    return create_swimlane(ctx.store, project_id, name, description)
