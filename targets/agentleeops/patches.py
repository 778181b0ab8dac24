"""Reversible changes to process state: attributes, mapping entries, environment variables.

Everything the adapter changes while bound goes through one `Patches`, so `unbind()` undoes
it all in reverse order, exactly once, whatever failed half-way.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from typing import Any

_MISSING = object()


class Patches:
    """An undo log: each change records how to revert it; `restore()` replays it backwards."""

    def __init__(self) -> None:
        self._undo: list[tuple[str, Any, Any, Any]] = []

    def setattr(self, obj: Any, name: str, value: Any) -> None:
        """Set an attribute; restoring puts back the object's *own* previous value (or none)."""
        own = vars(obj).get(name, _MISSING) if hasattr(obj, "__dict__") else getattr(obj, name, _MISSING)
        self._undo.append(("attr", obj, name, own))
        setattr(obj, name, value)

    def setitem(self, mapping: MutableMapping[Any, Any], key: Any, value: Any) -> None:
        self._undo.append(("item", mapping, key, mapping.get(key, _MISSING)))
        mapping[key] = value

    def delitem(self, mapping: MutableMapping[Any, Any], key: Any) -> None:
        if key in mapping:
            self._undo.append(("item", mapping, key, mapping[key]))
            del mapping[key]

    def setenv(self, name: str, value: str) -> None:
        self.setitem(os.environ, name, value)

    def delenv(self, name: str) -> None:
        self.delitem(os.environ, name)

    def restore(self) -> None:
        """Undo every change, newest first. Safe to call again (nothing left to undo)."""
        while self._undo:
            kind, target, key, old = self._undo.pop()
            if kind == "attr":
                if old is _MISSING:
                    if key in getattr(target, "__dict__", {}):
                        delattr(target, key)
                else:
                    setattr(target, key, old)
            elif old is _MISSING:
                target.pop(key, None)
            else:
                target[key] = old
