"""What a person does in Kanboard's web UI, logged in as `admin`, outside JSON-RPC.

Each action goes through the same model code as Kanboard's UI controllers, so it emits the
webhooks the UI would (with event_author "admin"): a board drag fires task.move.*, a title
or description edit task.update, deleting a link task_internal_link.delete, creating a card
task.create. Editing only tags (task form) or metadata (MetaMagik's page) fires nothing,
and deleting a card fires only task.file.destroy for its attachments, as in Kanboard.
Every action is journaled as a HUMAN event by actor "human".
A drag posts the column and swimlane ids as strings (Kanboard's board script reads them from
HTML data attributes), so a human move's webhook carries "column_id": "3", as Kanboard's does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from harness.kanboard import links, metadata, php, projects, tags, tasks
from harness.kanboard.events import Context

if TYPE_CHECKING:
    from harness.kanboard.facade import FakeKanboard


class HumanRefused(ValueError):
    """The UI would not let the person do this (e.g. a required custom field is empty)."""


class HumanActions:
    def __init__(self, fake: FakeKanboard) -> None:
        self._fake = fake

    def move(self, task_id: int, column: int | str, position: int | None = None,
             swimlane: int | None = None) -> bool:
        """Drag a card to `column` (id or title) at `position` (default: the bottom)."""

        def act(ctx: Context) -> bool:
            task = self._task(ctx, task_id)
            column_id = self._fake.column_id(column) if isinstance(column, str) else column
            lane = swimlane if swimlane is not None else task["swimlane_id"]
            where = position
            if where is None:
                others = ctx.store["tasks"].where(project_id=task["project_id"], column_id=column_id,
                                                  swimlane_id=lane, is_active=1)
                where = len([t for t in others if t["id"] != task["id"]]) + 1
            # The board's drag & drop posts ids read from HTML data attributes: strings.
            return tasks.move_position(ctx, task["project_id"], str(task["id"]), php.to_str(column_id),
                                       int(where), php.to_str(lane))

        return self._fake._human("move", task_id, act, column=column, position=position,
                                 swimlane=swimlane)

    def rename_column(self, column: int | str, title: str) -> bool:
        """Rename a board column on the project's settings page (its id stays)."""
        column_id = self._fake.column_id(column) if isinstance(column, str) else column

        def act(ctx: Context) -> bool:
            current = ctx.store["columns"].get(column_id)
            if current is None:
                return False
            return bool(projects.update_column(ctx, column_id, title, current.get("task_limit", 0),
                                               current.get("description", "")))

        return self._fake._human("rename_column", None, act, column_id=column_id, title=title)

    def set_tags(self, task_id: int, names: Iterable[str]) -> bool:
        """Save the task form with exactly these tags."""
        wanted = list(names)
        return self._fake._human(
            "set_tags", task_id,
            lambda ctx: tasks.update(ctx, {"id": self._task(ctx, task_id)["id"], "tags": wanted}),
            tags=wanted,
        )

    def add_tags(self, task_id: int, *names: str) -> bool:
        def act(ctx: Context) -> bool:
            task = self._task(ctx, task_id)
            current = list(tags.task_tags(ctx.store, task["id"]).values())
            return tasks.update(ctx, {"id": task["id"], "tags": current + [n for n in names if n not in current]})

        return self._fake._human("add_tags", task_id, act, tags=list(names))

    def remove_tags(self, task_id: int, *names: str) -> bool:
        def act(ctx: Context) -> bool:
            task = self._task(ctx, task_id)
            kept = [n for n in tags.task_tags(ctx.store, task["id"]).values() if n not in names]
            return tasks.update(ctx, {"id": task["id"], "tags": kept})

        return self._fake._human("remove_tags", task_id, act, tags=list(names))

    def set_metadata(self, task_id: int, values: Mapping[str, Any]) -> bool:
        """Save values on MetaMagik's metadata page (stored as text)."""
        given = dict(values)
        return self._fake._human(
            "set_metadata", task_id,
            lambda ctx: metadata.save(ctx, self._task(ctx, task_id)["id"], given), values=given,
        )

    def delete_metadata(self, task_id: int, name: str) -> bool:
        return self._fake._human(
            "delete_metadata", task_id,
            lambda ctx: metadata.remove(ctx, self._task(ctx, task_id)["id"], name), name=name,
        )

    def delete_card(self, task_id: int) -> bool:
        return self._fake._human(
            "delete_card", task_id, lambda ctx: tasks.remove(ctx, self._task(ctx, task_id)["id"])
        )

    def delete_link(self, task_link_id: int) -> bool:
        """Remove an internal link (both directions) from a card's link list."""

        def act(ctx: Context) -> bool:
            if ctx.store["task_has_links"].get(task_link_id) is None:
                raise HumanRefused(f"there is no task link {task_link_id}")
            return links.remove(ctx, task_link_id)

        return self._fake._human("delete_link", None, act, task_link_id=task_link_id)

    def edit_title(self, task_id: int, title: str) -> bool:
        if not php.not_blank(title):
            raise HumanRefused("the task form requires a title")
        return self._fake._human(
            "edit_title", task_id,
            lambda ctx: tasks.update(ctx, {"id": self._task(ctx, task_id)["id"], "title": title}),
            title=title,
        )

    def edit_description(self, task_id: int, description: str) -> bool:
        return self._fake._human(
            "edit_description", task_id,
            lambda ctx: tasks.update(ctx, {"id": self._task(ctx, task_id)["id"], "description": description}),
            description=description,
        )

    def close_card(self, task_id: int) -> bool:
        return self._fake._human(
            "close_card", task_id, lambda ctx: tasks.change_status(ctx, self._task(ctx, task_id)["id"], 0)
        )

    def open_card(self, task_id: int) -> bool:
        return self._fake._human(
            "open_card", task_id, lambda ctx: tasks.change_status(ctx, self._task(ctx, task_id)["id"], 1)
        )

    def create_card(self, title: str, column: int | str | None = None, description: str = "",
                    metadata: Mapping[str, Any] | None = None, tags: Iterable[str] = (),
                    swimlane: int | None = None) -> int:
        """Submit the new-task form; custom fields and metadata go in as MetaMagik fields."""
        fields = dict(metadata or {})
        names = list(tags)

        def act(ctx: Context) -> int:
            project_id = self._fake.project_id
            if project_id is None:
                raise HumanRefused("the board has no project to create a card in")
            if fields and not ctx.metamagik:
                raise HumanRefused("metadata on a new card needs MetaMagik's custom fields")
            column_id = self._fake.column_id(column) if isinstance(column, str) else column
            values: dict[str, Any] = {
                "title": title, "description": description, "tags": names, "project_id": project_id,
                "column_id": column_id or projects.first_column_id(ctx.store, project_id),
                "swimlane_id": swimlane or projects.first_active_swimlane_id(ctx.store, project_id),
            } | {_field(name): value for name, value in fields.items()}
            if not tasks._valid_creation(ctx, values, from_api=False):
                raise HumanRefused("the new-task form was refused (missing title or required field)")
            return tasks.create(ctx, values)

        return self._fake._human("create_card", None, act, title=title, column=column,
                                 description=description, metadata=fields, tags=names)

    def _task(self, ctx: Context, task_id: int) -> dict[str, Any]:
        task = ctx.store["tasks"].get(task_id)
        if task is None:
            raise HumanRefused(f"there is no card {task_id}")
        return task


def _field(name: str) -> str:
    return f"{metadata.META_PREFIX}{name}"
