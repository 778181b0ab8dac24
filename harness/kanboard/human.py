"""What a person does in Kanboard's web UI, logged in as `admin`, outside JSON-RPC.

Each action goes through the same model code as Kanboard's UI controllers, so it emits the
webhooks the UI would (with event_author "admin"): a board drag fires task.move.*, deleting
a link task_internal_link.delete, creating a card task.create, a task-form save
task.update. Editing metadata on MetaMagik's page fires nothing, and deleting a card fires
only task.file.destroy for its attachments, as in Kanboard.
Every action is journaled as a HUMAN event by actor "human".

Forms post what the page renders (measured, kanboard-facts.md "What a person does in the web
UI"): a drag posts the column and swimlane ids as strings (read from HTML data attributes);
the task form (title, description, tags) posts every custom field too, so a save is refused
while a required one is empty, writes each into metadata (empty as ""), and fires
task.update with `metamagikkey_<field>` changes even when only tags changed; it also posts
the time fields, so the first save of an API-made card turns their nulls into 0. The
new-task form posts its values as strings.
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
            "set_tags", task_id, lambda ctx: self._save_form(ctx, task_id, tags=wanted), tags=wanted,
        )

    def add_tags(self, task_id: int, *names: str) -> bool:
        def act(ctx: Context) -> bool:
            current = self._tags(ctx, task_id)
            return self._save_form(ctx, task_id, tags=current + [n for n in names if n not in current])

        return self._fake._human("add_tags", task_id, act, tags=list(names))

    def remove_tags(self, task_id: int, *names: str) -> bool:
        def act(ctx: Context) -> bool:
            return self._save_form(ctx, task_id, tags=[n for n in self._tags(ctx, task_id) if n not in names])

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
        return self._fake._human(
            "edit_title", task_id, lambda ctx: self._save_form(ctx, task_id, title=title), title=title,
        )

    def edit_description(self, task_id: int, description: str) -> bool:
        return self._fake._human(
            "edit_description", task_id,
            lambda ctx: self._save_form(ctx, task_id, description=description), description=description,
        )

    def _save_form(self, ctx: Context, task_id: int, **edits: Any) -> bool:
        """TaskModificationController::update with the task form as rendered, `edits` typed
        in: every custom field posted, and refused (nothing changes) while a required one is
        empty; MetaMagik writes every field; the time fields go in as shown ("" for null)."""
        task = self._task(ctx, task_id)
        posted: dict[str, Any] = {
            "id": task["id"], "title": task["title"], "description": task["description"],
            "tags": self._tags(ctx, task_id),
            "time_estimated": _shown(task.get("time_estimated")), "time_spent": _shown(task.get("time_spent")),
        } | edits
        if not php.not_blank(posted["title"]):
            raise HumanRefused("the task form requires a title")
        fields: dict[str, Any] = {}
        if ctx.metamagik:
            stored = metadata.all_metadata(ctx.store, task["id"])
            for name in _fields_of(ctx, task["project_id"]):
                fields[_field(name)] = "" if stored.get(name) is None else php.to_str(stored[name])
            for name in metadata.required_fields(ctx.store, task["project_id"]):
                if not php.not_blank(fields.get(_field(name))):
                    raise HumanRefused(f"the task form requires the field {name}")
            metadata.save(ctx, task["id"], {n.removeprefix(metadata.META_PREFIX): v for n, v in fields.items()})
        return tasks.update(ctx, posted, posted=fields)

    def _tags(self, ctx: Context, task_id: int) -> list[str]:
        return list(tags.task_tags(ctx.store, self._task(ctx, task_id)["id"]).values())

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
            # the form's values as posted: text, an empty tag list as [""], empty dates and
            # score (stored as 0), and every custom field the page shows
            shown = dict.fromkeys(map(_field, _fields_of(ctx, project_id)), "")
            values: dict[str, Any] = {
                "title": title, "description": description, "tags": names or [""],
                "project_id": php.to_str(project_id),
                "column_id": php.to_str(column_id or projects.first_column_id(ctx.store, project_id)),
                "swimlane_id": php.to_str(swimlane or projects.first_active_swimlane_id(ctx.store, project_id)),
                "owner_id": "0", "score": "", "date_due": "", "date_started": "",
            } | shown | {_field(name): php.to_str(value) for name, value in fields.items()}
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


def _fields_of(ctx: Context, project_id: Any) -> list[str]:
    """The custom fields a project's forms show (MetaMagik's, for all projects or this one)."""
    if not ctx.metamagik:
        return []
    return [f["human_name"] for f in metadata.custom_fields(ctx.store)
            if f["attached_to"] in ("0", php.to_str(project_id))]


def _shown(value: Any) -> str:
    """A number as a form input shows it: null as empty."""
    return "" if value is None else php.to_str(value)
