"""`searchTasks`: Kanboard's task search over the API, for the part of its query language the
fake models.

Real Kanboard (TaskProcedure::searchTasks) runs the query through the task lexer within one
project and answers the rows of TaskFinderModel's extended query (no TaskApiFormatter: no
`url`, no `color`). The lexer joins every plain word into one text, matched against the
title (case-insensitive substring) or, when it is a number or `#number`, also the id;
`status:open|closed` filters on is_active; `title:` is the title filter again. Its other
attributes (`column:`, `tag:`, `due:`, ...) are not modelled here: a query that uses one
ends the run as a harness gap (NotModelled) rather than get a made-up answer that a finding
could rest on. The row shape follows Kanboard's source; its value types are not measured.
"""

from __future__ import annotations

import re
from typing import Any

from harness.kanboard.binding import procedure
from harness.kanboard.errors import NotModelled
from harness.kanboard.events import Context

# The task lexer's attributes (Kanboard's app/Filter/Task*Filter.php getAttributes)
ATTRIBUTES = frozenset({
    "assignee", "category", "color", "colour", "column", "comment", "completed", "completedrange",
    "created", "createdrange", "creator", "description", "desc", "due", "exclude", "id", "link",
    "moved", "movedrange", "priority", "project", "projects", "reference", "ref", "score",
    "complexity", "search", "started", "starts_with_id", "status", "subtask:assignee", "swimlane",
    "tag", "title", "updated", "modified", "updatedrange", "modifiedrange",
})
MODELLED = frozenset({"status", "title"})

# the task columns the extended query selects (the table has more: external_provider, ...)
TASK_COLUMNS = (
    "id", "reference", "title", "description", "date_creation", "date_modification",
    "date_completed", "date_started", "date_due", "color_id", "project_id", "column_id",
    "swimlane_id", "owner_id", "creator_id", "position", "is_active", "score", "category_id",
    "priority", "date_moved", "recurrence_status", "recurrence_trigger", "recurrence_factor",
    "recurrence_timeframe", "recurrence_basedate", "recurrence_parent", "recurrence_child",
    "time_estimated", "time_spent",
)

# an attribute is recognised only where a token starts, its name in any case (the lexer's /i)
_TOKEN = re.compile(
    r'(?<!\S)(?P<name>' + "|".join(sorted(map(re.escape, ATTRIBUTES), key=len, reverse=True))
    + r'):(?P<value>"[^"]*"|\S*)|(?P<word>"[^"]*"|\S+)', re.IGNORECASE)


def parse(query: Any) -> tuple[dict[str, list[str]], str]:
    """The query's attributes (name -> values) and its plain text: what is left once the
    attributes are taken out, spaces kept as typed, trimmed (the lexer's "left over")."""
    attributes: dict[str, list[str]] = {}
    text, kept = "" if query is None else str(query), []
    at = 0
    for match in _TOKEN.finditer(text):
        if match.group("name"):
            attributes.setdefault(match.group("name").lower(), []).append(match.group("value").strip('"'))
            kept.append(text[at:match.start()])
            at = match.end()
    kept.append(text[at:])
    return attributes, "".join(kept).strip()


def _title_matches(task: dict[str, Any], text: str) -> bool:
    number = text[1:] if text.startswith("#") and len(text) > 1 else text
    if number.isdigit() and int(task["id"]) == int(number):
        return True
    return text.lower() in str(task["title"] or "").lower()


def _status_matches(task: dict[str, Any], value: str) -> bool:
    if value in ("open", "closed"):
        return int(task["is_active"]) == (1 if value == "open" else 0)
    if value.isdigit():
        return int(task["is_active"]) == int(value)
    return True  # Kanboard adds no condition for any other value


def _row(ctx: Context, task: dict[str, Any]) -> dict[str, Any]:
    store = ctx.store
    owner = store["users"].get(task["owner_id"]) if task["owner_id"] else None
    column = store["columns"].get(task["column_id"])
    lane = store["swimlanes"].get(task["swimlane_id"]) if task["swimlane_id"] else None
    project = store["projects"].get(task["project_id"])
    subtasks = store["subtasks"].where(task_id=task["id"])
    return {name: task.get(name) for name in TASK_COLUMNS} | {
        "nb_comments": len(store["comments"].where(task_id=task["id"])),
        "nb_files": len(store["task_has_files"].where(task_id=task["id"])),
        "nb_subtasks": len(subtasks),
        "nb_completed_subtasks": sum(1 for s in subtasks if s["status"] == 2),
        "nb_links": len(store["task_has_links"].where(task_id=task["id"])),
        "nb_external_links": 0,
        "is_milestone": None,
        "assignee_username": owner and owner["username"], "assignee_name": owner and owner["name"],
        "assignee_email": owner and owner["email"], "assignee_avatar_path": owner and owner["avatar_path"],
        "category_name": None, "category_description": None, "category_color_id": None,
        "column_name": column and column["title"], "column_position": column and column["position"],
        "swimlane_name": lane and lane["name"], "project_name": project and project["name"],
    }


@procedure("searchTasks", falsy=[])
def search_tasks(ctx: Context, project_id: Any, query: Any) -> Any:
    attributes, text = parse(query)
    unmodelled = sorted(set(attributes) - MODELLED)
    if unmodelled:
        raise NotModelled(f"searchTasks with {', '.join(a + ':' for a in unmodelled)} in {query!r}")
    texts = [t for t in [text, *attributes.get("title", ())] if t]
    found = []
    for task in sorted(ctx.store["tasks"].where(project_id=project_id), key=lambda t: t["id"]):
        if all(_title_matches(task, t) for t in texts) and \
                all(_status_matches(task, v) for v in attributes.get("status", ())):
            found.append(_row(ctx, task))
    return found
