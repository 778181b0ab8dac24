"""The reference ratchet: a card's workspace, where every write is checked against the locks.

Locks are keyed by the *resolved* path (so `./X`, `a/../X` and symlink aliases are one key),
checked whether or not the file exists (delete + recreate is still an overwrite), and the
manifest fails closed: a corrupt manifest, or one missing or disagreeing with the locks
recorded elsewhere (a shadow copy in the runner's state dir, the card's metadata), refuses
every write. The manifest itself, `.ratchet/` and `.git/` cannot be written through this API.
Each check is one method, so a mutant can weaken exactly one of them.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

from targets.reference.context import GuardError

MANIFEST = ".ratchet/locks.json"
PROTECTED = (".ratchet", ".git")  # top-level entries no agent write may touch
_SHA = re.compile(r"^[0-9a-f]{64}$")


def sha256_file(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(65536), b""):
            digest.update(block)
    return digest.hexdigest()


def parse_locks(text: str) -> dict[str, str]:
    """The `locks` map of a manifest or shadow; ValueError when it is not one."""
    doc = json.loads(text)
    locks = doc.get("locks") if isinstance(doc, dict) else None
    if not isinstance(locks, dict) or not all(
        isinstance(k, str) and k and isinstance(v, str) and _SHA.match(v) for k, v in locks.items()
    ):
        raise ValueError("not a lock manifest")
    return dict(locks)


def manifest_locks(root: Path) -> dict[str, str]:
    """What the manifest under `root` says is locked; {} when missing or unreadable."""
    try:
        return parse_locks((Path(root) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return {}


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


class Workspace:
    """One workspace root; implements the `Workspace` protocol of context.py."""

    manifest = MANIFEST

    def __init__(self, root: Path, state_dir: Path, recorded: Mapping[str, str] | None = None):
        self.root = Path(root)
        self.state_dir = Path(state_dir)
        self.recorded = dict(recorded or {})  # rel -> sha256 the card's metadata records

    # -- paths -----------------------------------------------------------------------------
    def _resolve(self, path: str) -> str:
        """Where `path` really leads (symlinks, `..`, `.` and doubled separators resolved)."""
        return os.path.realpath(path)

    def _key(self, rel: str, resolved: str) -> str:
        """The lock key of a path: its resolved location relative to the root."""
        return Path(os.path.relpath(resolved, self._real_root())).as_posix()

    def _real_root(self) -> str:
        if os.path.islink(self.root):
            raise GuardError(f"workspace {self.root.name} is a symlink; refusing to use it")
        return os.path.realpath(self.root)

    def _locate(self, rel: str) -> tuple[str, str]:
        """(real path, lock key) for `rel`, or GuardError when it escapes or crosses a symlink."""
        if not isinstance(rel, str) or not rel.strip() or "\x00" in rel or os.path.isabs(rel):
            raise GuardError(f"refusing path {rel!r}: not a relative path")
        root = self._real_root()
        lexical = os.path.normpath(os.path.join(root, rel))
        resolved = self._resolve(os.path.join(root, rel))
        if not _inside(lexical, root) or not _inside(resolved, root) or resolved == root:
            raise GuardError(f"refusing path {rel!r}: it leaves the workspace")
        if resolved != lexical:  # a symlink anywhere on the way (or at the end)
            raise GuardError(f"refusing path {rel!r}: it goes through a symlink")
        return resolved, self._key(rel, resolved)

    def _refuse_protected(self, key: str) -> None:
        if key.split("/", 1)[0] in PROTECTED:
            raise GuardError(f"refusing to write {key}: the ratchet's own files are protected")

    # -- the locks -------------------------------------------------------------------------
    def _read_manifest(self) -> dict[str, str] | None:
        """The manifest's locks; None when there is none; GuardError when it is unreadable."""
        path = os.path.join(self._real_root(), self.manifest)
        if os.path.islink(os.path.dirname(path)) or os.path.islink(path):
            raise GuardError("the lock manifest is a symlink; refusing writes (fail closed)")
        if not os.path.lexists(path):
            return None
        try:
            with open(path, encoding="utf-8") as f:
                return parse_locks(f.read())
        except (OSError, ValueError, UnicodeDecodeError):
            raise GuardError("the lock manifest is corrupt; refusing writes (fail closed)") from None

    def _shadow_path(self) -> Path:
        return self.state_dir / "locks" / f"{self.root.name}.json"

    def _expected(self) -> dict[str, str]:
        """Locks recorded outside the workspace: the runner's shadow copy and the card."""
        expected = dict(self.recorded)
        shadow = self._shadow_path()
        if shadow.exists():
            try:
                recorded = parse_locks(shadow.read_text(encoding="utf-8"))
            except (OSError, ValueError, UnicodeDecodeError):
                raise GuardError("the runner's lock record is corrupt; refusing writes") from None
            for key, sha in recorded.items():
                if expected.setdefault(key, sha) != sha:
                    raise GuardError(f"conflicting lock records for {key}; refusing writes")
        return expected

    def _locks(self) -> dict[str, str]:
        """Effective locks, failing closed when the manifest cannot be trusted."""
        manifest = self._read_manifest()
        expected = self._expected()
        if manifest is None:
            if expected:
                raise GuardError(
                    f"the lock manifest is missing but {len(expected)} lock(s) are recorded "
                    "(" + ", ".join(sorted(expected)) + "); refusing writes until it is restored"
                )
            return {}
        drift = sorted(k for k, sha in expected.items() if manifest.get(k) != sha)
        if drift:
            raise GuardError(
                "the lock manifest disagrees with the recorded locks for "
                + ", ".join(drift) + "; refusing writes (fail closed)"
            )
        return manifest

    def _check_lock(self, key: str, path: str, locks: Mapping[str, str]) -> None:
        """A locked key refuses the write whether or not the file is there now."""
        if key in locks:
            raise GuardError(f"{key} is locked (approved); refusing to overwrite it")

    @contextlib.contextmanager
    def _mutex(self) -> Iterator[None]:
        """Serialise manifest updates across threads and processes of one host."""
        path = self._shadow_path().with_suffix(".lock")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    # -- the protocol ----------------------------------------------------------------------
    def path(self, rel: str) -> Path:
        return Path(self._locate(rel)[0])

    def exists(self, rel: str) -> bool:
        return os.path.exists(self._locate(rel)[0])

    def read(self, rel: str) -> str:
        with open(self._locate(rel)[0], encoding="utf-8") as f:
            return f.read()

    def locks(self) -> dict[str, str]:
        """Effective locks (rel -> sha256); GuardError when they cannot be trusted."""
        return dict(self._locks())

    def is_locked(self, rel: str) -> bool:
        return self._locate(rel)[1] in self._locks()

    def write(self, rel: str, content: str) -> Path:
        path, key = self._locate(rel)
        self._refuse_protected(key)
        self._check_lock(key, path, self._locks())
        if os.path.isdir(path):
            raise GuardError(f"refusing to write {key}: it is a directory")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        self._write_file(path, content.encode("utf-8"))
        return Path(path)

    def lock(self, rel: str) -> str:
        path, key = self._locate(rel)
        self._refuse_protected(key)
        if not os.path.isfile(path):
            raise GuardError(f"{key} does not exist; nothing to lock")
        with self._mutex():
            locks = self._locks()
            kept = self.kept_lock(key, locks)
            if kept is not None:
                return kept
            sha = sha256_file(path)
            self._save(os.path.join(self._real_root(), self.manifest), {**locks, key: sha})
            shadow = self._shadow_path()
            recorded = parse_locks(shadow.read_text(encoding="utf-8")) if shadow.exists() else {}
            self._save(str(shadow), {**recorded, key: sha})
        return sha

    def kept_lock(self, key: str, locks: Mapping[str, str]) -> str | None:
        """What a re-lock of a locked key records: the first hash (the ratchet only
        tightens); None would record the file's bytes anew."""
        return locks.get(key)

    def lock_of(self, rel: str) -> tuple[str, str] | None:
        """(key, sha256) of the lock on `rel`, or None; GuardError when locks are untrustworthy."""
        key = self._locate(rel)[1]
        sha = self._locks().get(key)
        return None if sha is None else (key, sha)

    def unlock(self, rel: str) -> tuple[str, str] | None:
        """Drop `rel`'s lock from the manifest and the runner's record (a person's explicit
        unlock, never an agent's); (key, the hash it had), or None when it was not locked."""
        _, key = self._locate(rel)
        with self._mutex():
            locks = self._locks()  # fails closed: no unlocking through a corrupt manifest
            if key not in locks:
                return None
            self._save(os.path.join(self._real_root(), self.manifest),
                       {k: v for k, v in locks.items() if k != key})
            shadow = self._shadow_path()
            if shadow.exists():
                recorded = parse_locks(shadow.read_text(encoding="utf-8"))
                self._save(str(shadow), {k: v for k, v in recorded.items() if k != key})
        return key, locks[key]

    # -- writing ---------------------------------------------------------------------------
    def _save(self, path: str, locks: Mapping[str, str]) -> None:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        text = json.dumps({"version": 1, "locks": dict(sorted(locks.items()))}, indent=2)
        self._write_file(path, (text + "\n").encode("utf-8"))

    def _write_file(self, path: str, data: bytes) -> None:
        """Atomic: a temp file in the same directory, then os.replace onto the real file."""
        target = os.path.realpath(path)
        directory, name = os.path.split(target)
        for n in range(100):
            tmp = os.path.join(directory, f".{name}.tmp{n or ''}")
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
                break
            except FileExistsError:
                continue
        else:
            raise GuardError(f"no free temp name next to {name}")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
