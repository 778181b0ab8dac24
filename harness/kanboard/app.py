"""Application-level procedures: version, timezone, colours and the user-only `getMe`."""

from __future__ import annotations

from typing import Any

from harness.kanboard import boards
from harness.kanboard.binding import procedure
from harness.kanboard.events import Context


@procedure("getVersion", falsy="")
def get_version(ctx: Context) -> Any:
    return boards.VERSION


@procedure("getTimezone", falsy="")
def get_timezone(ctx: Context) -> Any:
    return "UTC"


@procedure("getDefaultTaskColor", falsy="")
def get_default_task_color(ctx: Context) -> Any:
    return boards.DEFAULT_COLOR


@procedure("getDefaultTaskColors", falsy={})
def get_default_task_colors(ctx: Context) -> Any:
    return {color_id: dict(props) for color_id, props in boards.COLORS.items()}


@procedure("getColorList", falsy={})
def get_color_list(ctx: Context) -> Any:
    return {color_id: props["name"] for color_id, props in boards.COLORS.items()}


@procedure("getMe")
def get_me(ctx: Context) -> Any:
    """The session's user. With the API token Kanboard refuses it (HTTP 403) before this runs,
    unless the name is spelled in another case, which slips past that check."""
    user = ctx.store["users"].get(ctx.user_id) if ctx.logged_in else None
    return dict(user) if user else None
