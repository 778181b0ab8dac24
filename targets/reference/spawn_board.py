"""The spawner's Kanboard calls: every outcome made explicit, reads failing closed.

Kanboard answers many failures with a falsy result, and a lost response raises after the
write was applied, so a write's result proves nothing either way: callers verify by reading.
A read that fails or has the wrong shape is never taken as "nothing there".
"""

from __future__ import annotations

from typing import Any

from targets.base import KanboardClient


class CallFailed(Exception):
    """A Kanboard call raised (JSON-RPC error, timeout, lost response): outcome unknown."""

    def __init__(self, method: str, cause: BaseException) -> None:
        super().__init__(f"{method} failed: {type(cause).__name__}: {cause}")
        self.method = method


class ReadError(Exception):
    """A read failed or answered in the wrong shape, after retries: nothing may be inferred."""


class Board:
    """Thin wrapper over the runner's client: call() never lets a client exception escape."""

    def __init__(self, kb: KanboardClient, attempts: int = 4) -> None:
        self.kb = kb
        self.attempts = attempts

    def call(self, method: str, **params: Any) -> Any:
        try:
            return self.kb.execute(method, **params)
        except Exception as exc:  # the client's boundary: every failure means "unknown"
            raise CallFailed(method, exc) from exc

    def try_call(self, method: str, **params: Any) -> Any:
        """A write whose result the caller verifies by reading: failures become None."""
        try:
            return self.call(method, **params)
        except CallFailed:
            return None

    def read(self, method: str, shape: type | tuple[type, ...], **params: Any) -> Any:
        """A read with the expected result type, retried; ReadError when it never comes."""
        last = "no answer"
        for _ in range(self.attempts):
            try:
                result = self.call(method, **params)
            except CallFailed as exc:
                last = str(exc)
                continue
            if isinstance(result, shape) and not isinstance(result, bool):
                return result
            last = f"{method} answered {result!r}"
        raise ReadError(f"could not read the board ({last})")

    def metadata(self, task_id: int) -> dict[str, str]:
        """A card's metadata (PHP serialises an empty one as `[]`; any other list is wrong)."""
        for _ in range(self.attempts):
            found = self.read("getTaskMetadata", (dict, list), task_id=task_id)
            if isinstance(found, dict):
                return {str(k): str(v) for k, v in found.items()}
            if not found:
                return {}
        raise ReadError(f"getTaskMetadata of #{task_id} answered a non-empty list")

    def tasks(self, project_id: int, anchor: int) -> list[dict[str, Any]]:
        """The project's active tasks; a list without `anchor` (the active card being worked
        on) is a quiet failure (Kanboard's falsy `[]`), never "no tasks"."""
        for _ in range(self.attempts):
            listed = self.read("getAllTasks", list, project_id=project_id, status_id=1)
            tasks = [t for t in listed if isinstance(t, dict)]
            if any(_int(t.get("id")) == anchor for t in tasks):
                return tasks
        raise ReadError(f"getAllTasks never listed the active card #{anchor}")

    def every_task(self, project_id: int, anchor: int) -> list[dict[str, Any]]:
        """Active and closed tasks: a closed child still counts against the cap (I3)."""
        closed = self.read("getAllTasks", list, project_id=project_id, status_id=0)
        active = self.tasks(project_id, anchor)
        return active + [t for t in closed if isinstance(t, dict)]

    def read_task(self, task_id: int, project_id: int, anchor: int) -> dict[str, Any] | None:
        """The task, or None only when it is verifiably gone (getTask null and not listed).

        getTask answers null both for a missing task and under a falsy fault, so a null is
        confirmed against the project's task list before it counts as "removed".
        """
        for _ in range(self.attempts):
            try:
                task = self.call("getTask", task_id=task_id)
            except CallFailed:
                continue
            if isinstance(task, dict):
                return task
            if task is not None:
                continue
            if all(_int(t.get("id")) != task_id for t in self.tasks(project_id, anchor)):
                return None
        raise ReadError(f"could not read card #{task_id}")


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
