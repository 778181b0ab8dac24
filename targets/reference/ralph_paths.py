"""Where a story's test and source live, by the naming rule the other reference agents use.

The atomic id and the dirname come from card metadata (card text), so both are checked
against the alphabets the spawner and the target write; only their file-name forms ever
reach a path or an argument (`targets/reference/cards.py` holds the shared rule).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from targets.reference.cards import DIRNAME_RE, module_name, story_test_file
from targets.reference.spawn_prd import MAX_ID

_ATOMIC_ID = re.compile(rf"[A-Za-z0-9_][A-Za-z0-9_-]{{0,{MAX_ID - 1}}}")


def valid_atomic_id(value: object) -> str | None:
    """The id if it is one the spawner could have written, else None."""
    text = str(value or "").strip()
    return text if _ATOMIC_ID.fullmatch(text) else None


def valid_dirname(value: object) -> str | None:
    text = str(value or "").strip()
    return text if DIRNAME_RE.fullmatch(text) else None


@dataclass(frozen=True)
class StoryPaths:
    """A story's files, workspace-relative: tests/test_<stem>.py and src/<module>.py."""

    atomic_id: str
    dirname: str

    @property
    def test(self) -> str:
        return story_test_file(self.atomic_id)

    @property
    def module(self) -> str:
        return module_name(self.dirname)

    @property
    def source(self) -> str:
        return f"src/{self.module}.py"
