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
    tags,
    tasks,
)
from harness.kanboard.binding import Procedure, bind, find, names
from harness.kanboard.events import Context

__all__ = ["dispatch", "lookup", "names"]


def lookup(method: Any, metamagik: bool) -> Procedure | None:
    """The procedure `method` reaches, or None (Kanboard: "Method not found")."""
    return find(method, metamagik)


def dispatch(ctx: Context, method: Any, params: Any) -> Any:
    """Run one call: find the procedure, refuse user-only ones, bind, execute."""
    proc = find(method, ctx.metamagik)
    if proc is None:
        raise errors.method_not_found()
    if not ctx.logged_in and method in boards.USER_ONLY_PROCEDURES:
        raise errors.forbidden()
    args, kwargs = bind(proc, params)
    return proc.fn(ctx, *args, **kwargs)
