"""File tricks: what a careless human or a hostile process does to a card's workspace.

They are the harness's doing, not the system's, so invariants do not blame them; they set up
the situations (deleted artifact, alias, symlink, corrupt manifest) the system must survive.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

KINDS = (
    "delete",
    "rename_away",
    "rename_back",
    "symlink_over",
    "dir_alias",
    "corrupt_manifest",
    "delete_manifest",
    "edit",
    "write",
)


class TrickError(Exception):
    """A trick whose arguments make no sense (unknown kind, path outside the workspace)."""


def _inside(root: Path, rel: str) -> Path:
    path = Path(os.path.normpath(root / rel))
    if path != root and root not in path.parents:
        raise TrickError(f"trick path {rel!r} leaves the workspace")
    return path


def apply(world: Any, a: Mapping[str, Any]) -> str:
    """Perform one trick on the workspace of card `a["card"]`; return its board-language line."""
    kind = a["kind"]
    if kind not in KINDS:
        raise TrickError(f"unknown file trick {kind!r}; known: {', '.join(KINDS)}")
    card = a["card"]
    ws = world.workspace_of(card)
    try:
        usable = ws is not None and ws.is_dir()
    except OSError:  # a name the OS refuses (too long, ...): nothing there to trick
        usable = False
    if not usable:
        return f"card #{card} has no workspace yet ({kind} skipped)"
    manifest = world.target.lock_manifest
    if kind in ("corrupt_manifest", "delete_manifest"):
        if manifest is None:
            return f"target keeps no lock manifest ({kind} skipped)"
        path = _inside(ws, manifest)
        if kind == "delete_manifest":
            if path.exists():
                path.unlink()
            return f"lock manifest of card #{card} deleted"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(a.get("content", "{ this is not json"))
        return f"lock manifest of card #{card} corrupted"
    rel = a["path"]
    path = _inside(ws, rel)
    if kind == "delete":
        if path.is_symlink() or path.exists():
            path.unlink()
            return f"{rel} of card #{card} deleted by hand"
        return f"{rel} of card #{card} absent (delete skipped)"
    if kind == "rename_away":
        if path.exists():
            path.rename(path.with_name(path.name + ".bak"))
            return f"{rel} of card #{card} renamed to {rel}.bak"
        return f"{rel} of card #{card} absent (rename skipped)"
    if kind == "rename_back":
        backup = path.with_name(path.name + ".bak")
        if backup.exists():
            backup.replace(path)
            return f"{rel}.bak of card #{card} renamed back to {rel}"
        return f"no {rel}.bak for card #{card} (rename skipped)"
    if kind == "symlink_over":
        # the link may point anywhere in the sandbox (an escape is a situation to survive)
        target = _inside(Path(world.root), os.path.relpath(os.path.normpath(ws / a["to"]), world.root))
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_symlink() or path.exists():
            path.unlink()
        os.symlink(os.path.relpath(target, path.parent), path)
        return f"{rel} of card #{card} replaced by a symlink to {a['to']}"
    if kind == "dir_alias":
        # a directory symlink inside the workspace that points back at the workspace, so that
        # `<rel>/X` and `X` name the same file
        if path.is_symlink() or path.exists():
            return f"{rel} of card #{card} exists (alias skipped)"
        path.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(os.path.relpath(ws, path.parent), path, target_is_directory=True)
        return f"directory alias {rel} -> workspace root made in card #{card}'s workspace"
    if kind in ("edit", "write"):
        path.parent.mkdir(parents=True, exist_ok=True)
        if kind == "edit" and not path.exists():
            return f"{rel} of card #{card} absent (edit skipped)"
        path.write_text(a.get("content", "# edited by hand\n"))
        return f"{rel} of card #{card} {'edited' if kind == 'edit' else 'written'} by hand"
    raise TrickError(f"unhandled trick {kind!r}")
