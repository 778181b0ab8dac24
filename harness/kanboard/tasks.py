"""Tasks: creation, modification, moves, duplication, status and removal.

Each function follows the Kanboard (and, in MetaMagik mode, MetaMagik) model it is named
after, so typing, validation failures (`false`), insert failures (`0`), positions and the
events fired come out as real Kanboard gives them.
"""

from __future__ import annotations

from typing import Any

from harness.kanboard import (
    boards,
    dates,
    errors,
    files,
    links,
    metadata,
    php,
    projects,
    subtasks,
    tags,
)
from harness.kanboard.binding import procedure
from harness.kanboard.events import Context, diff_assoc, task_event
from harness.kanboard.store import IntegrityError, Store

# TaskDuplicationModel::$fieldsToDuplicate, in order (the task.create event keeps it).
DUPLICATED_FIELDS = (
    "title", "description", "date_due", "color_id", "project_id", "column_id", "owner_id",
    "score", "priority", "category_id", "time_estimated", "swimlane_id", "recurrence_status",
    "recurrence_trigger", "recurrence_factor", "recurrence_timeframe", "recurrence_basedate",
    "external_provider", "external_uri", "reference",
)
_INTEGER_FIELDS = (
    "id", "project_id", "column_id", "owner_id", "creator_id", "score", "category_id",
    "swimlane_id", "recurrence_child", "recurrence_parent", "recurrence_factor",
    "recurrence_timeframe", "recurrence_basedate", "recurrence_trigger", "recurrence_status",
    "priority",
)


def api_format(task: dict[str, Any]) -> dict[str, Any]:
    """TaskApiFormatter: the row plus its URL and colour properties."""
    color = boards.COLORS.get(task["color_id"], boards.COLORS[boards.DEFAULT_COLOR])
    url = f"{boards.APP_URL}?controller=TaskViewController&action=show&task_id={task['id']}"
    return dict(task) | {"url": url, "color": dict(color)}


# --- validation -------------------------------------------------------------------------


def _common_rules_pass(values: dict[str, Any], now: int) -> bool:
    """TaskValidator's common rules; all run (a PHP TypeError in any one is fatal)."""
    ok = all(php.is_integer_value(values.get(name)) for name in _INTEGER_FIELDS)
    score = values.get("score")
    if php.not_blank(score) and (
        not php.is_numeric(score)
        or php.compare(score, -2147483647) < 0
        or php.compare(score, 2147483647) > 0
    ):
        ok = False
    lane = values.get("swimlane_id")
    if php.not_blank(lane) and not (isinstance(lane, (list, dict)) or php.compare(lane, 0) > 0):
        ok = False
    for name, limit in (("title", 65535), ("reference", 191)):
        value = values.get(name)
        if php.not_blank(value):
            if isinstance(value, (list, dict)):
                raise errors.fatal()  # mb_strlen(): Argument #1 must be of type string
            ok = ok and len(php.to_str(value)) <= limit
    for name in ("date_due", "date_started"):
        ok = dates.is_valid(values.get(name), now) and ok
    for name in ("time_spent", "time_estimated"):
        value = values.get(name)
        if php.not_blank(value) and not php.is_numeric(value):
            ok = False
    if ok and not php.empty(values.get("date_started")) and not php.empty(values.get("date_due")):
        started = dates.timestamp(values["date_started"], now)
        due = dates.timestamp(values["date_due"], now)
        ok = started <= due
    return ok


def _valid_creation(ctx: Context, values: dict[str, Any], from_api: bool) -> bool:
    ok = php.not_blank(values.get("project_id")) and php.not_blank(values.get("title"))
    if ctx.metamagik and not from_api:
        for name in metadata.required_fields(ctx.store, values.get("project_id")):
            ok = ok and php.not_blank(values.get(metadata.META_PREFIX + name))
    return _common_rules_pass(values, ctx.now) and ok


def _assignable(ctx: Context, project_id: Any, user_id: Any) -> bool:
    """ProjectPermissionModel::isAssignable: the fake's projects have no members."""
    return False


# --- creation ---------------------------------------------------------------------------


def _prepare_creation(ctx: Context, values: dict[str, Any]) -> None:
    store = ctx.store
    dates.convert(values, ("date_due", "date_started"), ctx.now)
    for name in ("another_task", "duplicate_multiple_projects"):
        values.pop(name, None)
    for name in ("creator_id", "owner_id", "date_due", "date_started", "score", "category_id",
                 "time_estimated", "time_spent"):
        if values.get(name) is not None and php.empty(values[name]):
            values[name] = 0
    if php.empty(values.get("column_id")):
        values["column_id"] = projects.first_column_id(store, values.get("project_id"))
    if php.empty(values.get("color_id")):
        values["color_id"] = boards.DEFAULT_COLOR
    if php.empty(values.get("title")):
        values["title"] = "Untitled"
    if ctx.logged_in and php.empty(values.get("creator_id")):
        values["creator_id"] = ctx.user_id
    if php.empty(values.get("swimlane_id")):
        values["swimlane_id"] = projects.first_active_swimlane_id(store, values.get("project_id"))
    values["date_creation"] = values["date_modification"] = values["date_moved"] = ctx.now
    siblings = store["tasks"].where(
        project_id=values.get("project_id"), column_id=values["column_id"],
        swimlane_id=values["swimlane_id"], is_active=1,
    )
    values["position"] = len(siblings) + 1


def create(ctx: Context, values: dict[str, Any], api_request: bool = False) -> int:
    """(New)TaskCreationModel::create: the row, its tags and custom fields, task.create."""
    original = dict(values)
    values = dict(values)
    new_tags = values.pop("tags", None)
    held: dict[str, Any] = {}
    if ctx.metamagik and not api_request:
        held = {k: v for k, v in values.items() if metadata.META_PREFIX in k}
        for name in held:
            del values[name]
    _prepare_creation(ctx, values)
    try:
        task_id = ctx.store.insert("tasks", values)
    except IntegrityError:
        return 0
    if not php.empty(new_tags):
        tags.save(ctx, values.get("project_id"), task_id, new_tags)
    if ctx.metamagik and not api_request:
        metadata.create_meta(ctx, held, task_id)
    event_values = original if ctx.metamagik else {}
    task_event(ctx, task_id, ("task.create_update", "task.create"), values=event_values)
    return task_id


def _create_api(ctx: Context, args: dict[str, Any], from_api: bool) -> Any:
    for name in ("owner_id", "creator_id"):
        value = args[name]
        if not (type(value) is int and value == 0) and not _assignable(ctx, args["project_id"], value):
            return False
    if not _valid_creation(ctx, args, from_api):
        return False
    return create(ctx, args, api_request=from_api)


# --- modification -----------------------------------------------------------------------


def update(ctx: Context, values: dict[str, Any], posted: dict[str, Any] | None = None) -> bool:
    """(New)TaskModificationModel::update: tags, the row, then task.update if anything changed.
    `posted`: form values that are no column of the row (MetaMagik's fields): they are among
    the values Kanboard diffs against the row, so they are always changes."""
    store = ctx.store
    task = dict(store["tasks"].get(values["id"]) or {})
    values = dict(values)
    if values.get("tags") is not None:
        tags.save(ctx, task.get("project_id"), values["id"], values["tags"])
        del values["tags"]
    dates.convert(values, ("date_due", "date_started"), ctx.now)
    values.pop("id", None)
    for name in ("date_due", "date_started", "score", "category_id", "time_estimated", "time_spent"):
        if values.get(name) is not None and php.empty(values[name]):
            values[name] = 0
    for name in ("priority", "is_active", "recurrence_status", "recurrence_trigger",
                 "recurrence_factor", "recurrence_timeframe", "recurrence_basedate"):
        if values.get(name) is not None:
            values[name] = php.to_int(values[name])
    values["date_modification"] = ctx.now
    if task:
        try:
            store.update("tasks", task["id"], values)
        except IntegrityError:
            return False
        _fire_update_events(ctx, task, values | (posted or {}))
    return True


def _fire_update_events(ctx: Context, task: dict[str, Any], changes: dict[str, Any]) -> None:
    diff = diff_assoc(changes, task)
    diff.pop("date_modification", None)
    if "owner_id" in changes and changes["owner_id"] is not None \
            and not php.loose_eq(task["owner_id"], changes["owner_id"]) and len(diff) == 1:
        names: tuple[str, ...] = ("task.assignee_change",)
    elif diff:
        names = ("task.create_update", "task.update")
    else:
        return
    task_event(ctx, task["id"], names, changes=changes, original=task)


# --- moves ------------------------------------------------------------------------------


def move_position(
    ctx: Context, project_id: Any, task_id: Any, column_id: Any, position: Any,
    swimlane_id: Any = 0, fire_events: bool = True, only_open: bool = True,
) -> bool:
    """TaskPositionModel::movePosition: renumber both columns, stamp, fire move events."""
    if php.compare(position, 1) < 0:
        return False
    store = ctx.store
    task = dict(store["tasks"].get(task_id) or {})
    if not task:
        return False
    if php.loose_eq(swimlane_id, 0):
        swimlane_id = task["swimlane_id"]
    if only_open and task["is_active"] == 0:
        return True
    if not php.loose_eq(task["swimlane_id"], swimlane_id):
        result = _change_column(ctx, project_id, task["id"], position, task["column_id"], column_id,
                                task["swimlane_id"], swimlane_id)
    elif not php.loose_eq(task["column_id"], column_id):
        result = _change_column(ctx, project_id, task["id"], position, task["column_id"], column_id,
                                swimlane_id, swimlane_id)
    elif not php.loose_eq(task["position"], position):
        result = _apply(store, _plan_positions(store, project_id, task["id"], position, column_id, swimlane_id))
    else:
        result = False
    if result and fire_events:
        _fire_move_events(ctx, task, column_id, position, swimlane_id)
    return result


def _plan_positions(store: Store, project_id: Any, task_id: int, position: Any, column_id: Any,
                    swimlane_id: Any) -> list[tuple[int, int, Any, Any]]:
    """TaskPositionModel::saveTaskPositions as a list of (task, position, column, swimlane)."""
    others = [
        t for t in store["tasks"].where(is_active=1, swimlane_id=swimlane_id, project_id=project_id,
                                        column_id=column_id)
        if t["id"] != task_id
    ]
    others.sort(key=lambda t: (projects.order_key(t["position"]), t["id"]))
    plan = []
    offset = 1
    for other in others:
        if php.loose_eq(position, offset):
            plan.append((task_id, offset, column_id, swimlane_id))
            offset += 1
        plan.append((other["id"], offset, column_id, swimlane_id))
        offset += 1
    if php.compare(position, offset) >= 0:
        plan.append((task_id, offset, column_id, swimlane_id))
    return plan


def _apply(store: Store, plan: list[tuple[int, int, Any, Any]]) -> bool:
    """Run a plan in one transaction: all writes or, on a constraint failure, none."""
    saved = {task_id: dict(store["tasks"].rows[task_id]) for task_id, *_ in plan}
    try:
        for task_id, position, column_id, swimlane_id in plan:
            store.update("tasks", task_id, {"position": position, "column_id": column_id,
                                            "swimlane_id": swimlane_id})
    except IntegrityError:
        store["tasks"].rows.update(saved)
        return False
    return True


def _change_column(ctx: Context, project_id: Any, task_id: int, position: Any, src_column: Any,
                   dst_column: Any, src_swimlane: Any, dst_swimlane: Any) -> bool:
    """saveColumnChange / saveSwimlaneChange: leave the source, enter the destination, stamp."""
    store = ctx.store
    before = {tid: dict(row) for tid, row in store["tasks"].rows.items()}
    left = _apply(store, _plan_positions(store, project_id, task_id, 0, src_column, src_swimlane))
    entered = _apply(store, _plan_positions(store, project_id, task_id, position, dst_column, dst_swimlane))
    if not entered:
        # The failed statement rolled the transaction back; the timestamps then autocommit.
        store["tasks"].rows.update(before)
    store.update("tasks", task_id, {"date_moved": ctx.now, "date_modification": ctx.now})
    return left and entered


def _fire_move_events(ctx: Context, task: dict[str, Any], column_id: Any, position: Any,
                      swimlane_id: Any) -> None:
    changes = {
        "project_id": task["project_id"],
        "position": position,
        "column_id": column_id,
        "swimlane_id": swimlane_id,
        "src_column_id": task["column_id"],
        "dst_column_id": column_id,
        "date_moved": task["date_moved"],
        "recurrence_status": task["recurrence_status"],
        "recurrence_trigger": task["recurrence_trigger"],
    }
    column_changed = not php.loose_eq(task["column_id"], column_id)
    if not php.loose_eq(task["swimlane_id"], swimlane_id):
        task_event(ctx, task["id"], ("task.move.swimlane",), changes, changes)
        if column_changed:
            task_event(ctx, task["id"], ("task.move.column",), changes, changes)
    elif column_changed:
        task_event(ctx, task["id"], ("task.move.column",), changes, changes)
    elif not php.loose_eq(task["position"], position):
        task_event(ctx, task["id"], ("task.move.position",), changes, changes)


# --- duplication ------------------------------------------------------------------------


def duplicate_to_project(
    ctx: Context, task_id: Any, project_id: Any, swimlane_id: Any = None, column_id: Any = None,
    category_id: Any = None, owner_id: Any = None,
) -> int:
    """TaskProjectDuplicationModel::duplicateToProject (+ MetaMagik's metadata copy)."""
    store = ctx.store
    source = store["tasks"].get(task_id) or {}
    values = {name: source.get(name) for name in DUPLICATED_FIELDS}
    values["project_id"] = project_id
    for name, given in (("column_id", column_id), ("swimlane_id", swimlane_id),
                        ("category_id", category_id), ("owner_id", owner_id)):
        if given is not None:
            values[name] = given
    _destination_values(ctx, values)
    new_id = create(ctx, values)
    for tag in _tags_by_task(store, task_id):
        tag_id = tags.find_tag_id(store, project_id, tag["name"]) or tags.create_tag(
            store, project_id, tag["name"], tag["color_id"])
        tags.associate(store, new_id, tag_id)
    links.create(ctx, new_id, task_id, boards.DUPLICATES_LINK_ID)
    subtasks.duplicate(store, task_id, new_id)
    for attachment in files.files_of(store, task_id):
        files.create(ctx, new_id, attachment["name"], attachment["path"], attachment["size"])
    if ctx.metamagik:
        for name, value in metadata.all_metadata(store, task_id).items():
            metadata.save(ctx, new_id, {name: value})
    return new_id


def _tags_by_task(store: Store, task_id: Any) -> list[dict[str, Any]]:
    ids = tags.task_tags(store, task_id)
    return [store["tags"].rows[tag_id] for tag_id in ids]


def _destination_values(ctx: Context, values: dict[str, Any]) -> None:
    """TaskDuplicationModel::checkDestinationProjectValues."""
    store = ctx.store
    project_id = values["project_id"]
    if php.compare(values["owner_id"], 0) > 0 and not ctx.logged_in:
        values["owner_id"] = 0  # only an admin session may keep an owner the project lacks
    if php.compare(values["category_id"], 0) > 0:
        values["category_id"] = 0  # the fake has no categories
    lane = store["swimlanes"].get(values["swimlane_id"])
    found = store["swimlanes"].where(project_id=project_id, name=lane["name"]) if lane else []
    values["swimlane_id"] = found[0]["id"] if found else 0
    if values["swimlane_id"] == 0:
        values["swimlane_id"] = projects.first_active_swimlane_id(store, project_id)
    if php.compare(values["column_id"], 0) > 0:
        column = store["columns"].get(values["column_id"])
        same = store["columns"].where(project_id=project_id, title=column["title"]) if column else []
        values["column_id"] = same[0]["id"] if same else projects.first_column_id(store, project_id)
    project = store["projects"].get(project_id) or {}
    priority = 0 if php.empty(values["priority"]) else values["priority"]
    if not (php.compare(priority, project.get("priority_start")) >= 0
            and php.compare(priority, project.get("priority_end")) <= 0):
        priority = project.get("priority_default")
    values["priority"] = priority


# --- status and removal -----------------------------------------------------------------


def change_status(ctx: Context, task_id: Any, active: int) -> bool:
    """TaskStatusModel::close / open."""
    task = ctx.store["tasks"].get(task_id)
    if task is None:
        return False
    ctx.store.update("tasks", task["id"], {
        "is_active": active, "date_completed": 0 if active else ctx.now, "date_modification": ctx.now,
    })
    task_event(ctx, task["id"], ("task.open",) if active else ("task.close",))
    return True


def remove(ctx: Context, task_id: Any) -> bool:
    """TaskModel::remove: its files first (task.file.destroy each), then the row and all it owns."""
    task = ctx.store["tasks"].get(task_id)
    if task is None:
        return False
    files.remove_all(ctx, task["id"])
    return ctx.store.delete("tasks", task["id"])


# --- procedures -------------------------------------------------------------------------


@procedure("getTask")
def get_task(ctx: Context, task_id: Any) -> Any:
    task = ctx.store["tasks"].get(task_id)
    return api_format(task) if task else None


@procedure("getTaskByReference")
def get_task_by_reference(ctx: Context, project_id: Any, reference: Any) -> Any:
    found = ctx.store["tasks"].where(project_id=project_id, reference=reference)
    return api_format(found[0]) if found else None


@procedure("getAllTasks", falsy=[])
def get_all_tasks(ctx: Context, project_id: Any, status_id: Any = 1) -> Any:
    return [api_format(t) for t in ctx.store["tasks"].where(project_id=project_id, is_active=status_id)]


@procedure("createTask", falsy=False, arrays=("tags",))
def create_task(
    ctx: Context, title: Any, project_id: Any, color_id: Any = "", column_id: Any = 0,
    owner_id: Any = 0, creator_id: Any = 0, date_due: Any = "", description: Any = "",
    category_id: Any = 0, score: Any = 0, swimlane_id: Any = None, priority: Any = 0,
    recurrence_status: Any = 0, recurrence_trigger: Any = 0, recurrence_factor: Any = 0,
    recurrence_timeframe: Any = 0, recurrence_basedate: Any = 0, reference: Any = "",
    tags: Any = (), date_started: Any = "", time_spent: Any = None, time_estimated: Any = None,
) -> Any:
    return _create_api(ctx, _creation_values(locals()), from_api=False)


@procedure("createTaskMeta", falsy=False, arrays=("tags",), metamagik=True)
def create_task_meta(
    ctx: Context, title: Any, project_id: Any, color_id: Any = "", column_id: Any = 0,
    owner_id: Any = 0, creator_id: Any = 0, date_due: Any = "", description: Any = "",
    category_id: Any = 0, score: Any = 0, swimlane_id: Any = None, priority: Any = 0,
    recurrence_status: Any = 0, recurrence_trigger: Any = 0, recurrence_factor: Any = 0,
    recurrence_timeframe: Any = 0, recurrence_basedate: Any = 0, reference: Any = "",
    tags: Any = (), date_started: Any = "", time_spent: Any = None, time_estimated: Any = None,
) -> Any:
    """MetaMagik's createTaskMeta: createTask without the custom-field checks."""
    args = _creation_values(locals())
    if not (type(owner_id) is int and owner_id == 0) and not _assignable(ctx, project_id, owner_id):
        return False
    if ctx.logged_in:
        args["creator_id"] = ctx.user_id
    if not _valid_creation(ctx, args, from_api=True):
        return False
    return create(ctx, args, api_request=True)


def _creation_values(given: dict[str, Any]) -> dict[str, Any]:
    """createTask's $values array, in Kanboard's key order (task.create carries it)."""
    order = (
        "title", "project_id", "color_id", "column_id", "owner_id", "creator_id", "date_due",
        "description", "category_id", "score", "swimlane_id", "recurrence_status",
        "recurrence_trigger", "recurrence_factor", "recurrence_timeframe", "recurrence_basedate",
        "reference", "priority", "tags", "date_started", "time_spent", "time_estimated",
    )
    values = {name: given[name] for name in order}
    if values["tags"] == ():
        values["tags"] = []
    return values


@procedure("updateTask", falsy=False)
def update_task(
    ctx: Context, id: Any, title: Any = None, color_id: Any = None, owner_id: Any = None,  # noqa: A002
    date_due: Any = None, description: Any = None, category_id: Any = None, score: Any = None,
    priority: Any = None, recurrence_status: Any = None, recurrence_trigger: Any = None,
    recurrence_factor: Any = None, recurrence_timeframe: Any = None, recurrence_basedate: Any = None,
    reference: Any = None, tags: Any = None, date_started: Any = None, time_spent: Any = None,
    time_estimated: Any = None,
) -> Any:
    task = ctx.store["tasks"].get(id)
    if task is None or php.to_int(task["project_id"]) == 0:
        return False
    if owner_id is not None and not php.loose_eq(owner_id, 0) and not _assignable(ctx, task["project_id"], owner_id):
        return False
    order = (
        "id", "title", "color_id", "owner_id", "date_due", "description", "category_id", "score",
        "recurrence_status", "recurrence_trigger", "recurrence_factor", "recurrence_timeframe",
        "recurrence_basedate", "reference", "priority", "tags", "date_started", "time_spent",
        "time_estimated",
    )
    given = locals()
    values = {name: given[name] for name in order if given[name] is not None}
    if not (php.not_blank(values.get("id")) and _common_rules_pass(values, ctx.now)):
        return False
    return update(ctx, values)


@procedure("moveTaskPosition", falsy=False)
def move_task_position(ctx: Context, project_id: Any, task_id: Any, column_id: Any, position: Any,
                       swimlane_id: Any) -> Any:
    task = ctx.store["tasks"].get(task_id)
    if (php.to_int(task["project_id"]) if task else 0) != php.to_int(project_id):
        return False
    return move_position(ctx, project_id, task_id, column_id, position, swimlane_id, True, False)


@procedure("duplicateTaskToProject", falsy=0)
def duplicate_task_to_project(
    ctx: Context, task_id: Any, project_id: Any, swimlane_id: Any = None, column_id: Any = None,
    category_id: Any = None, owner_id: Any = None,
) -> Any:
    return duplicate_to_project(ctx, task_id, project_id, swimlane_id, column_id, category_id, owner_id)


@procedure("openTask", falsy=False)
def open_task(ctx: Context, task_id: Any) -> Any:
    return change_status(ctx, task_id, 1)


@procedure("closeTask", falsy=False)
def close_task(ctx: Context, task_id: Any) -> Any:
    return change_status(ctx, task_id, 0)


@procedure("removeTask", falsy=False)
def remove_task(ctx: Context, task_id: Any) -> Any:
    return remove(ctx, task_id)
