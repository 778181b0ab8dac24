"""Leases and run records: at most one run per (card, agent, epoch), whoever triggers it.

Kanboard has no compare-and-set, so the lease is a local atomic primitive: a file created
with O_CREAT|O_EXCL under the runner's state dir (threads and processes of one host see the
same files), with an expiry from the world's clock for a runner that died holding it. The
run record lives on the card (one metadata key per card and agent, never tags), so a human
sees it and can delete it to ask for a deliberate retry.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from targets.base import KanboardClient
from targets.reference import board
from targets.reference.cards import Card, run_key

_tokens = itertools.count(1)
RUNNING = "running"
RETRYABLE = ("failed", "refused")


@dataclass(frozen=True)
class Held:
    path: Path
    token: str


class Lease:
    ttl = 3600.0  # seconds of the world's clock; only matters for a runner that died

    def __init__(self, directory: Path, clock: Callable[[], float]) -> None:
        self.directory = Path(directory)
        self.clock = clock

    def acquire(self, name: str) -> Held | None:
        """The lease, or None when another runner holds a live one."""
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / name
        token = f"{os.getpid()}.{threading.get_ident()}.{next(_tokens)}"
        if self._create(path, token):
            return Held(path, token)
        steal = path.with_name(path.name + ".steal")
        if not self._expired(path) or not self._create(steal, token):
            return None
        try:  # we alone may break the stale lease
            if self._expired(path):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
            return Held(path, token) if self._create(path, token) else None
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(steal)

    def release(self, held: Held) -> None:
        """Remove the lease if it is still ours (an expired one may have been taken over)."""
        try:
            if json.loads(held.path.read_text()).get("token") == held.token:
                os.unlink(held.path)
        except (OSError, ValueError, AttributeError):
            pass

    def _create(self, path: Path, token: str) -> bool:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w") as f:
            json.dump({"token": token, "expires": float(self.clock()) + self.ttl}, f)
        return True

    def _expired(self, path: Path) -> bool:
        try:
            return float(json.loads(path.read_text())["expires"]) <= float(self.clock())
        except FileNotFoundError:
            return True
        except (OSError, ValueError, KeyError, TypeError):
            return False  # half-written by its creator right now: not ours to break


class RunLedger:
    """Which run each (card, agent, epoch) had: `ref.run.<task id>.<agent>` on the card
    (visible; deleting a failed one asks for a retry) and a local copy under the state dir.

    The local copy is what makes a falsy read harmless: Kanboard answers "" for a missing
    metadata name, and a planned quiet failure answers exactly that too.
    """

    def __init__(self, project_id: int, directory: Path) -> None:
        self.project_id = project_id
        self.directory = Path(directory)

    def read(self, kb: KanboardClient, task_id: int, agent: str) -> tuple[str, str] | None:
        """(epoch, status) the card records; None when it records none; fails closed."""
        value = board.read(kb, "getTaskMetadataByName", str, task_id=task_id,
                           name=run_key(task_id, agent))
        epoch, sep, status = value.rpartition(":")
        return (epoch, status) if sep else None

    def seen(self, kb: KanboardClient, card: Card, agent: str) -> str | None:
        """The status already recorded for the card's current epoch, or None."""
        remote = self.read(kb, card.id, agent)
        if remote and remote[0] == card.epoch:
            return remote[1]
        local = self._load(card.id, agent)
        if local is None or local[0] != card.epoch:
            return None
        # A failed or refused run whose record a human deleted is a deliberate retry; the
        # deletion must show in both reads (a quiet failure answers "" or {} only).
        deleted = remote is None and bool(card.metadata) and run_key(card.id, agent) not in card.metadata
        return None if deleted and local[1] in RETRYABLE else local[1]

    def write(self, kb: KanboardClient, task_id: int, agent: str, epoch: str, status: str) -> None:
        """Record on the card (raises when that fails) and locally. A final status is kept
        locally even when the card cannot take it; "running" only once the card has it."""
        if status != RUNNING:
            self._save(task_id, agent, epoch, status)
        board.write(kb, "saveTaskMetadata", task_id=task_id,
                    values={run_key(task_id, agent): f"{epoch}:{status}"})
        if status == RUNNING:
            self._save(task_id, agent, epoch, status)

    def _path(self, task_id: int, agent: str) -> Path:
        return self.directory / f"{int(task_id)}-{agent}.json"

    def _load(self, task_id: int, agent: str) -> tuple[str, str] | None:
        try:
            doc = json.loads(self._path(task_id, agent).read_text())
            return str(doc["epoch"]), str(doc["status"])
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            return ("?", "corrupt")  # matches no epoch: the card's record decides

    def _save(self, task_id: int, agent: str, epoch: str, status: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self._path(task_id, agent)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps({"epoch": epoch, "status": status}))
        os.replace(tmp, path)
