"""The in-memory database: Kanboard's SQLite tables with the constraints that shape answers.

Rows keep the column order and types SQLite returns, ids are SQLite rowids (`max + 1`, so a
deleted last id is reused, as real Kanboard does), and NOT NULL, UNIQUE and FOREIGN KEY
checks raise `IntegrityError`, which Kanboard's database layer turns into a `false` result.
Deleting a row cascades exactly where Kanboard's schema says ON DELETE CASCADE.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from harness.kanboard import boards, php
from harness.kanboard.php import INTEGER, NUMERIC, TEXT


class IntegrityError(Exception):
    """A constraint violation (SQLSTATE 23000): the statement did nothing."""


@dataclass(frozen=True)
class Col:
    affinity: str
    default: Any = None
    not_null: bool = False
    references: str | None = None  # table whose id this column must name (FOREIGN KEY)


class Rows(dict):
    """A table's rows by id, counting its changes so the column indexes know when to rebuild."""

    version = 0

    def __setitem__(self, key: Any, value: Any) -> None:
        self.version += 1
        super().__setitem__(key, value)

    def __delitem__(self, key: Any) -> None:
        self.version += 1
        super().__delitem__(key)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self.version += 1
        super().update(*args, **kwargs)

    def pop(self, *args: Any) -> Any:
        self.version += 1
        return super().pop(*args)

    def clear(self) -> None:
        self.version += 1
        super().clear()


@dataclass
class Table:
    name: str
    columns: dict[str, Col]
    unique: tuple[tuple[str, ...], ...] = ()
    cascade: tuple[tuple[str, str], ...] = ()  # (child table, child column) deleted with a row
    rows: Rows = field(default_factory=Rows)
    # rows are kept in rowid order (new ids are max + 1, so appending keeps it); an insert
    # with an explicit lower id marks it unsorted until the next scan sorts it once
    in_order: bool = field(default=True, compare=False)
    # column -> (rows.version it was built at, value -> rows in rowid order): reads far
    # outnumber writes (every agent step reads a card's tags and metadata)
    _indexes: dict[str, tuple[int, dict[Any, list[dict[str, Any]]]]] = field(
        default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.rows, Rows):
            self.rows = Rows(self.rows)

    def next_id(self) -> int:
        if not self.rows:
            return 1
        return (next(reversed(self.rows)) if self.in_order else max(self.rows)) + 1

    def get(self, row_id: Any) -> dict[str, Any] | None:
        """The row with this id (`id = ?` semantics: "1" finds 1), or None."""
        ident = php.key(row_id)
        return self.rows.get(ident) if ident is not None else None

    def scan(self) -> Iterator[dict[str, Any]]:
        """Rows in rowid order (what SQLite returns without ORDER BY); a snapshot, so the
        caller may change the table while it iterates."""
        if not self.in_order:
            rows = Rows(sorted(self.rows.items()))
            rows.version = self.rows.version + 1
            self.rows, self.in_order = rows, True
        return iter(list(self.rows.values()))

    def where(self, **conditions: Any) -> list[dict[str, Any]]:
        """Rows whose columns equal the given values under SQLite comparison rules."""
        wanted = {name: self._lookup(name, value) for name, value in conditions.items()}
        if any(value is _NO_MATCH for value in wanted.values()):
            return []
        if not wanted:
            return list(self.scan())
        first, *rest = wanted.items()
        return [row for row in self._index(first[0]).get(first[1], ())
                if all(row[name] == value for name, value in rest)]

    def _index(self, column: str) -> dict[Any, list[dict[str, Any]]]:
        built = self._indexes.get(column)
        if built is not None and built[0] == self.rows.version and self.in_order:
            return built[1]
        index: dict[Any, list[dict[str, Any]]] = {}
        for row in self.scan():
            index.setdefault(row[column], []).append(row)
        self._indexes[column] = (self.rows.version, index)
        return index

    def _lookup(self, column: str, value: Any) -> Any:
        if value is None:
            return _NO_MATCH
        if self.columns[column].affinity == TEXT:
            return php.to_str(value)
        stored = php.store(value, INTEGER)
        return stored if isinstance(stored, (int, float)) else _NO_MATCH


class _NoMatch:
    def __repr__(self) -> str:
        return "<no match>"


_NO_MATCH = _NoMatch()


def _c(affinity: str, default: Any = None, **kw: Any) -> Col:
    return Col(affinity, default, **kw)


def _schema() -> dict[str, Table]:
    """Kanboard's tables (schema version 128) limited to what the API exposes."""
    tables = [
        Table(
            "users",
            {
                "id": _c(INTEGER),
                "username": _c(TEXT, not_null=True),
                "name": _c(TEXT),
                "email": _c(TEXT),
                "avatar_path": _c(TEXT),
                "role": _c(TEXT, "app-user"),
                "is_active": _c(INTEGER, 1),
            },
            unique=(("username",),),
        ),
        Table(
            "projects",
            {
                "id": _c(INTEGER),
                "name": _c(TEXT, not_null=True),
                "is_active": _c(INTEGER, 1),
                "token": _c(TEXT),
                "last_modified": _c(INTEGER, 0),
                "is_public": _c(INTEGER, 0),
                "is_private": _c(INTEGER, 0),
                "is_everybody_allowed": _c(INTEGER, 0),
                "default_swimlane": _c(TEXT, boards.DEFAULT_SWIMLANE),
                "show_default_swimlane": _c(INTEGER, 1),
                "description": _c(TEXT),
                "identifier": _c(TEXT, ""),
                "start_date": _c(TEXT, ""),
                "end_date": _c(TEXT, ""),
                "owner_id": _c(INTEGER, 0),
                "priority_default": _c(INTEGER, 0),
                "priority_start": _c(INTEGER, 0),
                "priority_end": _c(INTEGER, 3),
                "email": _c(TEXT),
                "predefined_email_subjects": _c(TEXT),
                "per_swimlane_task_limits": _c(INTEGER, 0),
                "task_limit": _c(INTEGER, 0),
                "enable_global_tags": _c(INTEGER, 1),
            },
            cascade=(("columns", "project_id"), ("swimlanes", "project_id"), ("tasks", "project_id"),
                     ("project_has_users", "project_id")),
        ),
        Table(
            "columns",
            {
                "id": _c(INTEGER),
                "title": _c(TEXT, not_null=True),
                "position": _c(INTEGER),
                "project_id": _c(INTEGER, not_null=True, references="projects"),
                "task_limit": _c(INTEGER, 0),
                "description": _c(TEXT),
                "hide_in_dashboard": _c(INTEGER, 0, not_null=True),
            },
            unique=(("title", "project_id"),),
            cascade=(("tasks", "column_id"),),
        ),
        Table(
            "swimlanes",
            {
                "id": _c(INTEGER),
                "name": _c(TEXT, not_null=True),
                "position": _c(INTEGER, 1),
                "is_active": _c(INTEGER, 1),
                "project_id": _c(INTEGER, references="projects"),
                "description": _c(TEXT),
                "task_limit": _c(INTEGER, 0),
            },
            unique=(("name", "project_id"),),
            cascade=(("tasks", "swimlane_id"),),
        ),
        Table(
            "tasks",
            {
                "id": _c(INTEGER),
                "title": _c(TEXT, not_null=True),
                "description": _c(TEXT),
                "date_creation": _c(INTEGER),
                "color_id": _c(TEXT),
                "project_id": _c(INTEGER, references="projects"),
                "column_id": _c(INTEGER, references="columns"),
                "owner_id": _c(INTEGER, 0),
                "position": _c(INTEGER),
                "is_active": _c(INTEGER, 1),
                "date_completed": _c(INTEGER),
                "score": _c(INTEGER),
                "date_due": _c(INTEGER),
                "category_id": _c(INTEGER, 0),
                "creator_id": _c(INTEGER, 0),
                "date_modification": _c(INTEGER, 0),
                "reference": _c(TEXT, ""),
                "date_started": _c(INTEGER),
                "time_spent": _c(NUMERIC, 0),
                "time_estimated": _c(NUMERIC, 0),
                "swimlane_id": _c(INTEGER, references="swimlanes"),
                "date_moved": _c(INTEGER, 0),
                "recurrence_status": _c(INTEGER, 0, not_null=True),
                "recurrence_trigger": _c(INTEGER, 0, not_null=True),
                "recurrence_factor": _c(INTEGER, 0, not_null=True),
                "recurrence_timeframe": _c(INTEGER, 0, not_null=True),
                "recurrence_basedate": _c(INTEGER, 0, not_null=True),
                "recurrence_parent": _c(INTEGER),
                "recurrence_child": _c(INTEGER),
                "priority": _c(INTEGER, 0),
                "external_provider": _c(TEXT),
                "external_uri": _c(TEXT),
            },
            cascade=(
                ("task_has_links", "task_id"),
                ("task_has_links", "opposite_task_id"),
                ("task_has_tags", "task_id"),
                ("task_has_metadata", "task_id"),
                ("comments", "task_id"),
                ("task_has_files", "task_id"),
                ("subtasks", "task_id"),
            ),
        ),
        Table(
            "tags",
            {
                "id": _c(INTEGER),
                "name": _c(TEXT, not_null=True),
                "project_id": _c(INTEGER, not_null=True),
                "color_id": _c(TEXT),
            },
            unique=(("project_id", "name"),),
            cascade=(("task_has_tags", "tag_id"),),
        ),
        Table(
            "task_has_tags",
            {
                "id": _c(INTEGER),
                "task_id": _c(INTEGER, not_null=True, references="tasks"),
                "tag_id": _c(INTEGER, not_null=True, references="tags"),
            },
            unique=(("tag_id", "task_id"),),
        ),
        Table(
            "task_has_metadata",
            {
                "id": _c(INTEGER),
                "task_id": _c(INTEGER, not_null=True, references="tasks"),
                "name": _c(TEXT, not_null=True),
                "value": _c(TEXT, ""),
                "changed_by": _c(INTEGER, 0),
                "changed_on": _c(INTEGER, 0),
            },
            unique=(("task_id", "name"),),
        ),
        Table(
            "links",
            {"id": _c(INTEGER), "label": _c(TEXT, not_null=True), "opposite_id": _c(INTEGER, 0)},
            unique=(("label",),),
            cascade=(("task_has_links", "link_id"),),
        ),
        Table(
            "task_has_links",
            {
                "id": _c(INTEGER),
                "link_id": _c(INTEGER, not_null=True, references="links"),
                "task_id": _c(INTEGER, not_null=True, references="tasks"),
                "opposite_task_id": _c(INTEGER, not_null=True, references="tasks"),
            },
            unique=(("link_id", "task_id", "opposite_task_id"),),
        ),
        Table(
            "comments",
            {
                "id": _c(INTEGER),
                "task_id": _c(INTEGER, not_null=True, references="tasks"),
                "user_id": _c(INTEGER, 0),
                "date_creation": _c(INTEGER, not_null=True),
                "date_modification": _c(INTEGER),
                "comment": _c(TEXT, not_null=True),
                "reference": _c(TEXT, ""),
                "visibility": _c(TEXT, "app-user", not_null=True),
            },
        ),
        Table(
            "task_has_files",
            {
                "id": _c(INTEGER),
                "name": _c(TEXT, not_null=True),
                "path": _c(TEXT),
                "is_image": _c(INTEGER, 0),
                "task_id": _c(INTEGER, not_null=True, references="tasks"),
                "date": _c(INTEGER, 0, not_null=True),
                "user_id": _c(INTEGER, 0, not_null=True),
                "size": _c(INTEGER, 0, not_null=True),
            },
        ),
        Table(
            "subtasks",
            {
                "id": _c(INTEGER),
                "title": _c(TEXT, not_null=True),
                "status": _c(INTEGER, 0),
                "time_estimated": _c(NUMERIC, 0),
                "time_spent": _c(NUMERIC, 0),
                "task_id": _c(INTEGER, not_null=True, references="tasks"),
                "user_id": _c(INTEGER),
                "position": _c(INTEGER, 1),
            },
        ),
        Table(
            "project_has_users",
            {
                "id": _c(INTEGER),
                "project_id": _c(INTEGER, not_null=True, references="projects"),
                "user_id": _c(INTEGER, not_null=True, references="users"),
                "role": _c(TEXT, "project-viewer"),
            },
            unique=(("project_id", "user_id"),),
        ),
        Table(
            "metadata_types",  # MetaMagik custom fields
            {
                "id": _c(INTEGER),
                "human_name": _c(TEXT, not_null=True),
                "machine_name": _c(TEXT, not_null=True),
                "data_type": _c(TEXT, not_null=True),
                "is_required": _c(INTEGER, 0),
                "attached_to": _c(TEXT, not_null=True),
                "position": _c(INTEGER, 1),
            },
            unique=(("machine_name", "attached_to"),),
        ),
    ]
    return {table.name: table for table in tables}


def _copy_table(table: Table) -> Table:
    rows = Rows({row_id: dict(row) for row_id, row in table.rows.items()})
    rows.version = table.rows.version
    return Table(table.name, table.columns, table.unique, table.cascade, rows, table.in_order)


class Store:
    """All tables of one Kanboard install; the only place rows change."""

    def __init__(self) -> None:
        self.tables = _schema()
        self.insert("users", {"id": boards.ADMIN_USER_ID, "username": boards.ADMIN_USERNAME, "role": "app-admin"})
        for link_id, label, opposite in boards.LINK_TYPES:
            self.insert("links", {"id": link_id, "label": label, "opposite_id": opposite})
        self.blobs: dict[str, bytes] = {}  # object storage: file path -> content
        self.passwords: dict[int, str] = {boards.ADMIN_USER_ID: boards.ADMIN_PASSWORD}  # user id -> password

    def __getitem__(self, name: str) -> Table:
        return self.tables[name]

    def copy(self) -> Store:
        """An independent copy (rows are flat dicts of scalars): a world starts from a copy
        of a board built once instead of replaying its set-up calls."""
        twin = Store.__new__(Store)
        twin.tables = {name: _copy_table(table) for name, table in self.tables.items()}
        twin.blobs = dict(self.blobs)
        twin.passwords = dict(self.passwords)
        return twin

    def insert(self, name: str, values: dict[str, Any]) -> int:
        """INSERT: defaults, affinity, constraints; returns the new rowid."""
        table = self.tables[name]
        row: dict[str, Any] = {}
        for column, spec in table.columns.items():
            row[column] = php.store(values[column], spec.affinity) if column in values else spec.default
        for column in values:
            if column not in table.columns:
                raise KeyError(f"{name} has no column {column}")
        row_id = row["id"] if row.get("id") is not None else table.next_id()
        if not isinstance(row_id, int) or row_id in table.rows:
            raise IntegrityError(f"{name}.id")
        row["id"] = row_id
        self._check(table, row, row_id)
        if table.rows and table.in_order and row_id < next(reversed(table.rows)):
            table.in_order = False
        table.rows[row_id] = row
        return row_id

    def update(self, name: str, row_id: int, values: dict[str, Any]) -> None:
        """UPDATE one row; all or nothing."""
        table = self.tables[name]
        row = dict(table.rows[row_id])
        for column, value in values.items():
            row[column] = php.store(value, table.columns[column].affinity)
        self._check(table, row, row_id)
        table.rows[row_id] = row

    def delete(self, name: str, row_id: int) -> bool:
        """DELETE one row and, recursively, the rows that cascade from it."""
        table = self.tables[name]
        if row_id not in table.rows:
            return False
        del table.rows[row_id]
        for child, column in table.cascade:
            for row in list(self.tables[child].scan()):
                if row[column] == row_id:
                    self.delete(child, row["id"])
        return True

    def delete_where(self, name: str, rows: Iterable[dict[str, Any]]) -> int:
        count = 0
        for row in list(rows):
            count += self.delete(name, row["id"])
        return count

    def _check(self, table: Table, row: dict[str, Any], row_id: int) -> None:
        for column, spec in table.columns.items():
            value = row[column]
            if spec.not_null and value is None:
                raise IntegrityError(f"NOT NULL {table.name}.{column}")
            if spec.references and value is not None and value not in self.tables[spec.references].rows:
                raise IntegrityError(f"FOREIGN KEY {table.name}.{column}")
        for columns in table.unique:
            values = tuple(row[c] for c in columns)
            if any(v is None for v in values):
                continue
            for other in table.rows.values():
                if other["id"] != row_id and tuple(other[c] for c in columns) == values:
                    raise IntegrityError(f"UNIQUE {table.name}{columns}")
