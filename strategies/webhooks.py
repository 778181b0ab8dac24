"""Kanboard webhook payloads and the ways their delivery goes wrong.

`payload()` builds the body Kanboard POSTs for an event, key for key as recorded in
`shared/kanboard/webhooks.jsonl`, from the task dict the caller passes (the card as Kanboard
holds it after the event). `encode_body()` serialises it the way PHP's `json_encode` does,
byte for byte. `delivery_plans()` turns a list of such payloads into deliveries with exact
duplicates, reordering, malformed bodies and bad tokens; a plan is plain data that shrinks
to "each event delivered once, in order, with the right token".
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

MOVE = "task.move.column"
CREATE = "task.create"
UPDATE = "task.update"
COMMENT = "comment.create"
LINK_CREATE = "task_internal_link.create_update"
LINK_DELETE = "task_internal_link.delete"
FILE_CREATE = "task.file.create"
FILE_DESTROY = "task.file.destroy"
EVENTS = (MOVE, CREATE, UPDATE, COMMENT, LINK_CREATE, LINK_DELETE, FILE_CREATE, FILE_DESTROY)

# Every key of a task dict in a webhook, in Kanboard's order, with the value of a fresh task.
TASK_DEFAULTS: dict[str, Any] = {
    "id": 0, "title": "", "description": "", "date_creation": 0, "color_id": "yellow",
    "project_id": 1, "column_id": 1, "owner_id": 0, "position": 1, "is_active": 1,
    "date_completed": None, "score": 0, "date_due": 0, "category_id": 0, "creator_id": 0,
    "date_modification": 0, "reference": "", "date_started": 0, "time_spent": None,
    "time_estimated": None, "swimlane_id": 1, "date_moved": 0, "recurrence_status": 0,
    "recurrence_trigger": 0, "recurrence_factor": 0, "recurrence_timeframe": 0,
    "recurrence_basedate": 0, "recurrence_parent": None, "recurrence_child": None,
    "priority": 0, "external_provider": None, "external_uri": None, "category_name": None,
    "swimlane_name": "Default swimlane", "project_name": "AgentLeeOps", "column_title": "",
    "assignee_username": None, "assignee_name": None, "creator_username": None,
    "creator_name": None, "category_description": None, "column_position": 1,
}

# Link types as `getAllLinks` returns them: id -> (label, opposite id).
LINK_TYPES: dict[int, tuple[str, int]] = {
    1: ("relates to", 0), 2: ("blocks", 3), 3: ("is blocked by", 2), 4: ("duplicates", 5),
    5: ("is duplicated by", 4), 6: ("is a child of", 7), 7: ("is a parent of", 6),
    8: ("targets milestone", 9), 9: ("is a milestone of", 8), 10: ("fixes", 11),
    11: ("is fixed by", 10),
}

# What `updateTask` can change (it has no column_id: moves are separate events).
UPDATABLE = ("title", "color_id", "owner_id", "date_due", "description", "category_id", "score",
             "priority", "recurrence_status", "recurrence_trigger", "recurrence_factor",
             "recurrence_timeframe", "recurrence_basedate", "reference", "tags", "date_started",
             "time_spent", "time_estimated")

_RECURRENCE = ("recurrence_status", "recurrence_trigger", "recurrence_factor",
               "recurrence_timeframe", "recurrence_basedate")
_IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp")


class PayloadError(ValueError):
    """A payload was asked for with arguments Kanboard could never have sent."""


def full_task(task: Mapping[str, Any]) -> dict[str, Any]:
    """The task dict with every webhook key present (caller's values win, order Kanboard's)."""
    if "id" not in task:
        raise PayloadError("the task dict needs an 'id'")
    out = {k: task.get(k, v) for k, v in TASK_DEFAULTS.items()}
    out.update({k: v for k, v in task.items() if k not in out})
    return out


def _take(changes: dict[str, Any], event: str, allowed: Sequence[str]) -> None:
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        raise PayloadError(f"{event}: unknown argument(s) {', '.join(unknown)}; "
                           f"accepted: {', '.join(allowed) or 'none'}")


def payload(event_name: str, task: Mapping[str, Any], *, author: str | None = None,
            **changes: Any) -> dict[str, Any]:
    """The JSON body Kanboard POSTs for `event_name` on `task` (pure; the input is not changed).

    Per event, `changes` accepts:
    - task.move.column: src_column_id (required), dst_column_id (default: task's column),
      position, swimlane_id, date_moved, column_title (of the destination);
    - task.create: created_by ("createTask" default, or "duplicateTaskToProject": the two
      recorded shapes), plus any creation value to override (color_id, tags, ...);
    - task.update: the changed fields with their new values (applied to the task too);
    - comment.create: comment (text), comment_id, user_id, username, date;
    - task_internal_link.create_update/.delete: opposite_task_id (required), link_id
      (default 1), task_link_id;
    - task.file.create/.destroy: filename (required), file_id, content, size, path, etag,
      user_id, date.
    """
    t = full_task(task)
    tid = t["id"]
    if event_name == MOVE:
        _take(changes, event_name, ("src_column_id", "dst_column_id", "position", "swimlane_id",
                                    "date_moved", "column_title"))
        if "src_column_id" not in changes:
            raise PayloadError("task.move.column needs src_column_id")
        dst = changes.get("dst_column_id", t["column_id"])
        t["column_id"] = dst
        for key in ("position", "swimlane_id", "date_moved", "column_title"):
            if key in changes:
                t[key] = changes[key]
        data: dict[str, Any] = {
            "task_id": tid, "task": t,
            "changes": {"src_column_id": changes["src_column_id"], "dst_column_id": dst},
            "project_id": t["project_id"], "position": t["position"], "column_id": dst,
            "swimlane_id": t["swimlane_id"], "src_column_id": changes["src_column_id"],
            "dst_column_id": dst, "date_moved": t["date_moved"],
            "recurrence_status": t["recurrence_status"],
            "recurrence_trigger": t["recurrence_trigger"],
        }
    elif event_name == CREATE:
        data = _create_data(t, dict(changes))
    elif event_name == UPDATE:
        if not changes:
            raise PayloadError("task.update needs at least one changed field")
        _take(changes, event_name, UPDATABLE)
        t.update(changes)
        data = {"task_id": tid, "task": t, "changes": dict(changes)}
    elif event_name == COMMENT:
        _take(changes, event_name, ("comment", "comment_id", "user_id", "username", "date"))
        when = changes.get("date", t["date_modification"])
        data = {"comment": {
            "id": changes.get("comment_id", 1), "task_id": tid,
            "user_id": changes.get("user_id", 1), "date_creation": when,
            "date_modification": when, "comment": changes.get("comment", ""),
            "reference": "", "visibility": "app-user",
            "username": changes.get("username", "admin"), "name": None, "email": None,
            "avatar_path": None,
        }, "task": t}
    elif event_name in (LINK_CREATE, LINK_DELETE):
        _take(changes, event_name, ("opposite_task_id", "link_id", "task_link_id"))
        if "opposite_task_id" not in changes:
            raise PayloadError(f"{event_name} needs opposite_task_id")
        link_id = changes.get("link_id", 1)
        if link_id not in LINK_TYPES:
            raise PayloadError(f"unknown link_id {link_id!r}; known: {sorted(LINK_TYPES)}")
        label, opposite = LINK_TYPES[link_id]
        data = {"task_link": {
            "id": changes.get("task_link_id", 1), "opposite_task_id": changes["opposite_task_id"],
            "task_id": tid, "link_id": link_id, "label": label, "opposite_link_id": opposite,
        }, "task": t}
    elif event_name in (FILE_CREATE, FILE_DESTROY):
        _take(changes, event_name, ("filename", "file_id", "content", "size", "path", "etag",
                                    "user_id", "date"))
        if "filename" not in changes:
            raise PayloadError(f"{event_name} needs filename")
        name = changes["filename"]
        content = changes.get("content", b"")
        raw = content.encode() if isinstance(content, str) else bytes(content)
        file_id = changes.get("file_id", 1)
        digest = hashlib.sha1(f"{tid}/{file_id}/{name}".encode()).hexdigest()
        data = {"file": {
            "id": file_id, "name": name, "path": changes.get("path", f"tasks/{tid}/{digest}"),
            "is_image": int(name.lower().endswith(_IMAGE_EXTS)), "task_id": tid,
            "date": changes.get("date", t["date_modification"]),
            "user_id": changes.get("user_id", 0), "size": changes.get("size", len(raw)),
            "etag": changes.get("etag", hashlib.md5(raw).hexdigest()),
        }, "task": t}
    else:
        raise PayloadError(f"unknown event {event_name!r}; known: {', '.join(EVENTS)}")
    return {"event_name": event_name, "event_data": data, "event_author": author}


def _create_data(t: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    created_by = changes.pop("created_by", "createTask")
    if created_by == "createTask":
        # createTask echoes the values it was called with; these are its defaults.
        values: dict[str, Any] = {
            "title": t["title"], "project_id": t["project_id"], "color_id": "",
            "column_id": t["column_id"], "owner_id": 0, "creator_id": 0, "date_due": "",
            "description": t["description"], "category_id": 0, "score": 0, "swimlane_id": None,
            **dict.fromkeys(_RECURRENCE, 0), "reference": "", "priority": 0, "tags": [],
            "date_started": "", "time_spent": None, "time_estimated": None,
        }
    elif created_by == "duplicateTaskToProject":
        # A duplicate echoes the copied task's values.
        keys = ("title", "description", "date_due", "color_id", "project_id", "column_id",
                "owner_id", "score", "priority", "category_id", "time_estimated", "swimlane_id",
                *_RECURRENCE, "external_provider", "external_uri", "reference")
        values = {k: t[k] for k in keys}
    else:
        raise PayloadError(f"task.create: created_by must be 'createTask' or "
                           f"'duplicateTaskToProject', not {created_by!r}")
    _take({k: v for k, v in changes.items() if k not in values}, CREATE, ())
    values.update(changes)
    return {"task_id": t["id"], "task": t, **values}


def encode_body(body: Any) -> bytes:
    """Serialise like PHP's json_encode: compact, `\\uXXXX` for non-ASCII, `/` escaped."""
    return json.dumps(body, separators=(",", ":")).replace("/", "\\/").encode("ascii")


def kanboard_headers(body: bytes) -> dict[str, str]:
    """The headers Kanboard sends with a webhook (minus Host)."""
    return {"User-Agent": "Kanboard", "Accept": "*/*", "Content-type": "application/json",
            "Content-Length": str(len(body))}


# ---------------------------------------------------------------------------------------
# Deliveries

CORRECT, WRONG, MISSING = "correct", "wrong", "missing"
TOKENS = (CORRECT, WRONG, MISSING)

# Ways a body goes wrong in transit or in a buggy sender, simplest first.
MANGLES = (
    "truncated", "not_json", "empty_body", "json_array", "json_string", "trailing_garbage",
    "missing:event_name", "missing:event_data", "missing:event_data.task_id",
    "missing:event_data.task", "null:event_data.task_id",
)


def mangle_body(body: Mapping[str, Any], how: str) -> bytes:
    """The bytes of `body` spoilt the way `how` (one of MANGLES) says."""
    good = encode_body(body)
    if how == "truncated":
        return good[: max(1, len(good) // 2)]
    if how == "not_json":
        return b"event_name=task.move.column&task_id=1"
    if how == "empty_body":
        return b""
    if how == "json_array":
        return encode_body([body])
    if how == "json_string":
        return encode_body(good.decode())
    if how == "trailing_garbage":
        return good + b"}garbage"
    op, _, where = how.partition(":")
    if op in ("missing", "null") and where:
        spoilt = copy.deepcopy(dict(body))
        *parents, leaf = where.split(".")
        node: Any = spoilt
        for key in parents:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict):
            if op == "missing":
                node.pop(leaf, None)
            else:
                node[leaf] = None
        return encode_body(spoilt)
    raise ValueError(f"unknown mangle {how!r}; known: {', '.join(MANGLES)}")


def _event_label(body: Mapping[str, Any]) -> str:
    data = body.get("event_data") or {}
    name = body.get("event_name", "?")
    task_id = data.get("task_id") or (data.get("task") or {}).get("id")
    where = f" for card #{task_id}" if task_id is not None else ""
    if name == MOVE and "dst_column_id" in data:
        where += f" to column {data['dst_column_id']}"
    return f"{name}{where}"


@dataclass(frozen=True)
class Delivery:
    """One HTTP POST of a webhook: its exact body, which token it carries, where it goes.

    `event_index` is the source event's position in the list the plan was made from,
    `copy` counts deliveries of that event before this one (0 = first), `mangle` names how
    the body was spoilt ("" when it is the exact payload).
    """

    body: bytes
    token: str = CORRECT
    path: str = "/hook"
    event_index: int = -1
    label: str = ""
    copy: int = 0
    mangle: str = ""

    def request_path(self, secret: str) -> str:
        """The path with the query Kanboard appends: the secret, another one, or none."""
        if self.token == CORRECT:
            return f"{self.path}?token={secret}"
        if self.token == WRONG:
            return f"{self.path}?token=not-{secret}"
        return self.path

    def headers(self) -> dict[str, str]:
        """Kanboard's headers for this body."""
        return kanboard_headers(self.body)

    def describe(self) -> str:
        """E.g. "webhook task.move.column for card #3 to column 5 delivered again"."""
        text = f"webhook {self.label or 'event'}"
        text += " delivered" if self.copy == 0 else " delivered again"
        if self.mangle:
            text += f" with a {self.mangle.replace(':', ' ').replace('_', ' ')} body"
        if self.token != CORRECT:
            text += f" with a {self.token} token"
        return text


@dataclass(frozen=True)
class DeliveryPlan:
    """The deliveries to make, in order; shrinks to each event once, in order."""

    deliveries: tuple[Delivery, ...]

    def describe(self) -> str:
        """E.g. "webhook task.move.column for card #1 to column 5 delivered twice"."""
        firsts = [d.event_index for d in self.deliveries if d.copy == 0]
        parts = ["webhooks delivered out of order"] if firsts != sorted(firsts) else []
        for index in firsts:
            same = [d for d in self.deliveries if d.event_index == index]
            if len(same) > 1:
                times = {2: "twice", 3: "three times"}.get(len(same), f"{len(same)} times")
                parts.append(f"webhook {same[0].label} delivered {times}")
        parts += [d.describe() for d in self.deliveries if d.mangle or d.token != CORRECT]
        return "; ".join(parts) or f"{len(self.deliveries)} webhook(s) delivered once, in order"


def plan_deliveries(events: Sequence[Mapping[str, Any]], order: Sequence[int] = (),
                    extras: Sequence[tuple[int, int]] = (),
                    mangles: Sequence[tuple[int, str]] = (),
                    tokens: Sequence[tuple[int, str]] = (), path: str = "/hook") -> DeliveryPlan:
    """Build a plan deterministically: permute, insert duplicates, then spoil some deliveries.

    `order` is a permutation of the event indices (empty: as given); `extras` are
    (event index, gap) duplicates; `mangles`/`tokens` are (delivery position, kind) pairs,
    positions taken modulo the number of deliveries.
    """
    n = len(events)
    seq = list(order) if order else list(range(n))
    if sorted(seq) != list(range(n)):
        raise ValueError(f"order must be a permutation of 0..{n - 1}, got {list(order)}")
    for index, gap in extras:
        if not 0 <= index < n:
            raise ValueError(f"duplicate of event {index}, but there are {n} events")
        last = max(i for i, e in enumerate(seq) if e == index)
        seq.insert(min(max(last + 1 + gap, 0), len(seq)), index)
    bodies = [encode_body(e) for e in events]
    labels = [_event_label(e) for e in events]
    spoil = {pos % len(seq): how for pos, how in mangles} if seq else {}
    token_at = {pos % len(seq): tok for pos, tok in tokens} if seq else {}
    seen: dict[int, int] = {}
    out = []
    for pos, index in enumerate(seq):
        how = spoil.get(pos, "")
        token = token_at.get(pos, CORRECT)
        if token not in TOKENS:
            raise ValueError(f"unknown token kind {token!r}; known: {', '.join(TOKENS)}")
        body = mangle_body(events[index], how) if how else bodies[index]
        out.append(Delivery(body, token, path, index, labels[index], seen.get(index, 0), how))
        seen[index] = seen.get(index, 0) + 1
    return DeliveryPlan(tuple(out))


def delivery_plans(events: Sequence[Mapping[str, Any]], *, max_duplicates: int = 3,
                   max_spoilt: int = 2, reorder: bool = True,
                   path: str = "/hook") -> st.SearchStrategy[DeliveryPlan]:
    """Deliveries of `events` with duplicates, reordering, spoilt bodies and bad tokens (I1).

    Duplicates are exact and land right after, later or earlier; the plan shrinks to each
    event delivered once, in order, with the right token.
    """
    events = [copy.deepcopy(dict(e)) for e in events]
    n = len(events)
    if n == 0:
        return st.just(DeliveryPlan(()))
    size = n + max_duplicates
    return st.builds(
        lambda order, extras, mangles, tokens: plan_deliveries(
            events, order, extras, mangles, tokens, path),
        st.permutations(range(n)) if reorder else st.just(list(range(n))),
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(-2, 6)), max_size=max_duplicates),
        st.lists(st.tuples(st.integers(0, size - 1), st.sampled_from(MANGLES)),
                 max_size=max_spoilt),
        st.lists(st.tuples(st.integers(0, size - 1), st.sampled_from((WRONG, MISSING))),
                 max_size=max_spoilt),
    )


# ---------------------------------------------------------------------------------------
# Payload strategies


def _task_ids() -> st.SearchStrategy[int]:
    return st.integers(1, 50)


def payloads(task: Mapping[str, Any], events: Sequence[str] = EVENTS,
             columns: Sequence[int] = tuple(range(1, 10))) -> st.SearchStrategy[dict[str, Any]]:
    """Payloads of the given events for `task`, with plausible arguments drawn per event."""
    col = st.sampled_from(tuple(columns))
    other = _task_ids()
    per_event: dict[str, st.SearchStrategy[dict[str, Any]]] = {
        MOVE: st.builds(lambda s: payload(MOVE, task, src_column_id=s), col),
        CREATE: st.sampled_from(("createTask", "duplicateTaskToProject")).map(
            lambda how: payload(CREATE, task, created_by=how)),
        UPDATE: st.sampled_from(("title", "description")).map(
            lambda key: payload(UPDATE, task, **{key: f"{full_task(task)[key]} (edited)"})),
        COMMENT: st.sampled_from(("**RATCHET**: Locked", "LGTM", "")).map(
            lambda text: payload(COMMENT, task, comment=text)),
        LINK_CREATE: st.builds(lambda o, lid: payload(LINK_CREATE, task, opposite_task_id=o,
                                                      link_id=lid),
                               other, st.sampled_from(sorted(LINK_TYPES))),
        LINK_DELETE: st.builds(lambda o: payload(LINK_DELETE, task, opposite_task_id=o), other),
        FILE_CREATE: st.sampled_from(("DESIGN.md", "prd.json")).map(
            lambda f: payload(FILE_CREATE, task, filename=f)),
        FILE_DESTROY: st.sampled_from(("DESIGN.md", "prd.json")).map(
            lambda f: payload(FILE_DESTROY, task, filename=f)),
    }
    unknown = [e for e in events if e not in per_event]
    if unknown or not events:
        raise PayloadError(f"unknown or no events {unknown!r}; known: {', '.join(EVENTS)}")
    return st.one_of(*(per_event[e] for e in events))
