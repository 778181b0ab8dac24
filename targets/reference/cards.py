"""A card as the reference runner sees it, and every name derived from card text.

Card text reaches a path only through `dirname` (validated by the target against
DIRNAME_RE) and `story_test_file` (a story id with every non-alphanumeric character replaced);
nothing else a card or the model says ever names a file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from targets.reference.spawn_prd import file_stem

DIRNAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
FIELD_KEYS = ("dirname", "context_mode", "acceptance_criteria", "complexity")
RUN_PREFIX = "ref.run."  # ref.run.<task id>.<agent> = "<column id>:<date_moved>:<status>"
LOCK_PREFIX = "ref.lock."  # ref.lock.<rel> = "<dirname>:<sha256>"

DESIGN = "DESIGN.md"
PRD = "prd.json"

# One `key: value` line per field, as the harness's own reader finds it (first match wins),
# so the reference and the oracle always agree on which workspace a card names.
_FIELD_LINES = {key: re.compile(rf"^[ \t]*{key}:[ \t]*(.+?)[ \t]*$", re.MULTILINE) for key in FIELD_KEYS}


def parse_description(description: str) -> dict[str, str]:
    """Fields from `key: value` lines of a description (`acceptance_criteria: |` blocks too)."""
    fields: dict[str, str] = {}
    for key, line in _FIELD_LINES.items():
        match = line.search(description)
        if not match:
            continue
        value = match.group(1)
        if key == "acceptance_criteria" and value == "|":
            block = []
            for follow in description[match.end():].split("\n")[1:]:
                if not follow.startswith((" ", "\t")) or not follow.strip():
                    break
                block.append(follow.strip())
            value = "\n".join(block)
        fields[key] = value
    return fields


def card_fields(task: Mapping[str, Any], metadata: Mapping[str, str]) -> dict[str, str]:
    """Fields from MetaMagik metadata when it names a dirname, else from the description."""
    if metadata.get("dirname"):
        return {k: str(metadata[k]) for k in FIELD_KEYS if k in metadata}
    return parse_description(str(task.get("description") or ""))


def story_test_file(atomic_id: str) -> str:
    """Where a child card's test lives: the spawner's file stem of its story id."""
    return f"tests/test_{file_stem(atomic_id)}.py"


def module_name(dirname: str) -> str:
    """The epic's source module (`src/<module>.py`): the dirname with `-` as `_`."""
    return dirname.replace("-", "_")


def run_key(task_id: int, agent: str) -> str:
    """Namespaced by the card's own id: MetaMagik copies metadata onto spawned children."""
    return f"{RUN_PREFIX}{task_id}.{agent}"


def lock_key(rel: str) -> str:
    return f"{LOCK_PREFIX}{rel}"


@dataclass(frozen=True)
class Card:
    id: int
    column_id: int
    column: str  # the column's title
    date_moved: int
    task: dict[str, Any]
    metadata: dict[str, str]
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def epoch(self) -> str:
        """Which stay in this column: a new move (or return) is a new epoch."""
        return f"{self.column_id}:{self.date_moved}"

    @property
    def atomic_id(self) -> str:
        return str(self.metadata.get("atomic_id") or "").strip()

    @property
    def is_child(self) -> bool:
        """A spawned child: the spawner records both its story and its epic."""
        return bool(self.atomic_id and str(self.metadata.get("parent_id") or "").strip())

    def lock_records(self) -> dict[str, tuple[str, str]]:
        """rel -> (dirname at lock time, sha256), as governance recorded them on the card."""
        records = {}
        for key, value in self.metadata.items():
            if key.startswith(LOCK_PREFIX):
                dirname, _, sha = str(value).rpartition(":")
                records[key[len(LOCK_PREFIX):]] = (dirname, sha)
        return records
