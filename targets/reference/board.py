"""The runner's Kanboard calls, failing closed.

Kanboard answers many failures with a falsy result and a lost response raises after the
write was applied, so: any exception is a `KanboardFailure`; a read whose answer has the
wrong shape is a failure too, never "empty"; a write that does not answer `true` failed.
"""

from __future__ import annotations

from typing import Any

from targets.base import KanboardClient
from targets.reference.cards import Card, card_fields

COMMENT_USER = 1  # createComment requires a user_id; 1 is Kanboard's admin


class KanboardFailure(Exception):
    """A call raised or answered something unusable: the outcome is unknown, stop here."""


def call(kb: KanboardClient, method: str, **params: Any) -> Any:
    try:
        return kb.execute(method, **params)
    except Exception as exc:  # the client's boundary: ClientError, timeouts, lost responses
        raise KanboardFailure(f"{method} failed: {type(exc).__name__}: {exc}") from exc


def read(kb: KanboardClient, method: str, shape: type | tuple[type, ...], **params: Any) -> Any:
    result = call(kb, method, **params)
    if isinstance(result, bool) or not isinstance(result, shape):
        raise KanboardFailure(f"{method} answered {result!r:.80}; not guessing")
    return result


def write(kb: KanboardClient, method: str, **params: Any) -> None:
    result = call(kb, method, **params)
    if result is not True:
        raise KanboardFailure(f"{method} answered {result!r:.80}")


def comment(kb: KanboardClient, task_id: int, text: str) -> bool:
    """Best effort: a comment that cannot be posted must not stop the runner."""
    try:
        return bool(call(kb, "createComment", task_id=task_id, user_id=COMMENT_USER, content=text))
    except KanboardFailure:
        return False


def columns(kb: KanboardClient, project_id: int) -> dict[int, str]:
    """Column id -> title."""
    rows = read(kb, "getColumns", list, project_id=project_id)
    try:
        return {int(r["id"]): str(r["title"]) for r in rows}
    except (KeyError, TypeError, ValueError):
        raise KanboardFailure("getColumns answered rows without id/title") from None


def card(kb: KanboardClient, task_id: int, cols: dict[int, str]) -> Card | None:
    """The card now (None when getTask says it is gone), with its metadata and fields."""
    task = call(kb, "getTask", task_id=task_id)
    if task is None:
        return None
    if not isinstance(task, dict):
        raise KanboardFailure(f"getTask answered {task!r:.80}")
    metadata = read(kb, "getTaskMetadata", (dict, list), task_id=task_id)
    if isinstance(metadata, list) and metadata:  # PHP's empty array is the only list allowed
        raise KanboardFailure(f"getTaskMetadata answered {metadata!r:.80}")
    meta = {str(k): str(v) for k, v in metadata.items()} if isinstance(metadata, dict) else {}
    if not meta and read(kb, "getTaskMetadataByName", str, task_id=task_id, name="dirname"):
        raise KanboardFailure("getTaskMetadata answered {} for a card with metadata")
    try:
        column_id, moved = int(task["column_id"]), int(task.get("date_moved") or 0)
    except (KeyError, TypeError, ValueError):
        raise KanboardFailure(f"getTask answered a task without a column: {task!r:.80}") from None
    return Card(int(task_id), column_id, cols.get(column_id, ""), moved, task, meta,
                card_fields(task, meta))
