"""Ratchet mutants: each weakens one check of the reference Workspace (G1)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from targets.mutants import mutant
from targets.reference import ReferenceTarget
from targets.reference.context import GuardError
from targets.reference.workspace import Workspace, manifest_locks


class ExistingOnlyWorkspace(Workspace):
    def _check_lock(self, key: str, path: str, locks: Mapping[str, str]) -> None:
        """The lock is checked only when the file is there (AgentLeeOps' `exists()` guard)."""
        if os.path.exists(path) and key in locks:
            raise GuardError(f"{key} is locked (approved); refusing to overwrite it")


class LiteralKeyWorkspace(Workspace):
    def _key(self, rel: str, resolved: str) -> str:
        """The lock key is the path string as given, so `./X` and `a/../X` are other keys."""
        return rel


class LexicalWorkspace(Workspace):
    def _resolve(self, path: str) -> str:
        """Paths are normalised by their text only: a symlink is not followed by the guard,
        while the write lands on whatever the link points to."""
        return os.path.normpath(path)


class RelockingWorkspace(Workspace):
    def kept_lock(self, key: str, locks: Mapping[str, str]) -> str | None:
        """Every approval records the file's bytes as they are now, over an earlier lock."""
        return None


class TrustingWorkspace(Workspace):
    def _locks(self) -> dict[str, str]:
        """The manifest alone decides; corrupt or missing reads as "no locks" (fail open)."""
        return manifest_locks(self.root)


@mutant("lock-if-exists")
class LockIfExists(ReferenceTarget):
    """Lock checked only if the file exists: delete then re-trigger rewrites an approved artifact (G1)."""

    workspace_class = ExistingOnlyWorkspace


@mutant("lock-literal-path")
class LockLiteralPath(ReferenceTarget):
    """Locks keyed by the literal path string: `./X` or `a/../X` overwrites locked X (G1)."""

    workspace_class = LiteralKeyWorkspace


@mutant("write-through-symlink")
class WriteThroughSymlink(ReferenceTarget):
    """Guard resolves paths lexically: a write through a symlink hits a locked file or leaves the workspace (G1, G4)."""

    workspace_class = LexicalWorkspace


@mutant("corrupt-manifest-open")
class CorruptManifestOpen(ReferenceTarget):
    """Corrupt or deleted lock manifest read as "no locks": locked artifacts rewritten (G1)."""

    workspace_class = TrustingWorkspace


@mutant("relock-current-bytes")
class RelockCurrentBytes(ReferenceTarget):
    """A second approval re-locks with the file's current bytes: an edit to a locked file is laundered (G1)."""

    workspace_class = RelockingWorkspace
