"""Task attachments (Kanboard's TaskFileModel) with an in-memory object storage."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import Any

from harness.kanboard import errors, php
from harness.kanboard.binding import procedure
from harness.kanboard.events import Context, file_event, file_row
from harness.kanboard.store import IntegrityError, Store

_IMAGES = ("jpeg", "jpg", "png", "gif")


def files_of(store: Store, task_id: Any) -> list[dict[str, Any]]:
    """FileModel::getAll: by name (NOCASE), joined with the uploader."""
    rows = sorted(
        store["task_has_files"].where(task_id=task_id),
        key=lambda f: (php.to_str(f["name"]).translate(_ASCII_LOWER), f["id"]),
    )
    result = []
    for row in rows:
        user = store["users"].get(row["user_id"])
        entry = {k: row[k] for k in ("id", "name", "path", "is_image", "task_id", "date", "user_id", "size")}
        entry |= {
            "username": user["username"] if user else None,
            "user_name": user["name"] if user else None,
        }
        entry["etag"] = hashlib.md5(php.to_str(row["path"]).encode()).hexdigest()
        result.append(entry)
    return result


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _b64decode(blob: Any) -> bytes:
    """PHP base64_decode (non-strict): characters outside the alphabet are skipped."""
    text = re.sub(r"[^A-Za-z0-9+/]", "", php.to_str(blob))
    text = text[: len(text) - len(text) % 4] if len(text) % 4 == 1 else text
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return b""


def create(ctx: Context, task_id: Any, name: Any, path: str, size: int) -> int | bool:
    """FileModel::create: the row, then task.file.create."""
    name_bytes = php.to_str(name).encode()[:255]
    extension = _extension(name)
    try:
        file_id = ctx.store.insert(
            "task_has_files",
            {"task_id": task_id, "name": name_bytes.decode("utf-8", "ignore"), "path": path,
             "is_image": 1 if extension in _IMAGES else 0, "size": size, "user_id": ctx.user_id,
             "date": ctx.now},
        )
    except IntegrityError:
        return False
    file_event(ctx, file_id, "task.file.create")
    return file_id


def _extension(name: Any) -> str:
    text = php.to_str(name)
    return text.rsplit(".", 1)[-1].lower() if "." in text else ""


def _decodable_image(data: bytes) -> bool:
    """What GD's imagecreatefromstring takes, by signature: PNG, JPEG, GIF, BMP, WebP."""
    return data.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM")) \
        or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


def upload(ctx: Context, task_id: Any, filename: Any, blob: Any) -> int | bool:
    """FileModel::uploadContent: decode, store under tasks/<id>/<sha1>, create the row. An
    image name makes Kanboard build a thumbnail first: content GD cannot read is a fatal
    error (HTTP 500, empty body), before any row (measured: later file ids do not advance)."""
    data = _b64decode(blob)
    if not data:
        return False
    ident = php.to_int(task_id) if isinstance(task_id, str) else task_id
    if not isinstance(ident, int) or isinstance(ident, bool) or ident <= 0:
        raise errors.RpcError(0, "Invalid ID provided for file path generation")
    if _extension(filename) in _IMAGES and not _decodable_image(data):
        raise errors.fatal()
    digest = hashlib.sha1((php.to_str(filename) + str(ctx.now)).encode()).hexdigest()
    path = f"tasks/{ident}/{digest}"
    ctx.store.blobs[path] = data
    return create(ctx, task_id, filename, path, len(data))


def remove(ctx: Context, file_id: Any) -> bool:
    """FileModel::remove: task.file.destroy first, then the blob (if unshared) and the row."""
    store = ctx.store
    row = store["task_has_files"].get(file_id)
    if row is None:
        return False
    file_event(ctx, row["id"], "task.file.destroy")
    if len(store["task_has_files"].where(path=row["path"])) == 1:
        store.blobs.pop(row["path"], None)
    return store.delete("task_has_files", row["id"])


def remove_all(ctx: Context, task_id: Any) -> bool:
    rows = sorted(ctx.store["task_has_files"].where(task_id=task_id), key=lambda f: f["id"])
    return all([remove(ctx, row["id"]) for row in rows])


@procedure("createTaskFile", falsy=False)
def create_task_file(ctx: Context, project_id: Any, task_id: Any, filename: Any, blob: Any) -> Any:
    task = ctx.store["tasks"].get(task_id)
    if task is None or not php.loose_eq(task["project_id"], project_id):
        return False
    return upload(ctx, task_id, filename, blob)


@procedure("getAllTaskFiles", falsy=[])
def get_all_task_files(ctx: Context, task_id: Any) -> Any:
    return files_of(ctx.store, task_id)


@procedure("getTaskFile")
def get_task_file(ctx: Context, file_id: Any) -> Any:
    return file_row(ctx.store, file_id)


@procedure("downloadTaskFile", falsy="")
def download_task_file(ctx: Context, file_id: Any) -> Any:
    row = ctx.store["task_has_files"].get(file_id)
    if row is None or row["path"] not in ctx.store.blobs:
        return ""
    return base64.b64encode(ctx.store.blobs[row["path"]]).decode()


@procedure("removeTaskFile", falsy=False)
def remove_task_file(ctx: Context, file_id: Any) -> Any:
    return remove(ctx, file_id)


@procedure("removeAllTaskFiles", falsy=False)
def remove_all_task_files(ctx: Context, task_id: Any) -> Any:
    return remove_all(ctx, task_id)
