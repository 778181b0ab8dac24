"""Which cards are an epic's children, and which stories they claim, by EVERY marker.

A child can be recognised by a link of any label (including the "is duplicated by" link
MetaMagik adds), by `parent_id`/`atomic_id` metadata, by a "Parent: #N" line, by an `[id]`
title prefix, or by the spawner's own pending marker (copied from the epic by duplication,
so a copy whose creation answer was lost still says which story it was made for). A story
counts as taken when ANY related card claims it in ANY way, so a lost response or a deleted
link never yields a second child.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from targets.reference.spawn_prd import file_stem

PENDING_KEY = "spawn_pending"  # "<epic id>:<story id>", on the epic before each duplication
STATE_KEY = "spawn_state"  # "complete" once title, metadata and link are all in place
ERROR_KEY = "spawn_error"  # the last refusal or failure, on the epic
COMPLETE = "complete"
RELATES_TO = 1  # Kanboard's link id for "relates to"
RELATES_LABEL = "relates to"
COPY_LABEL = "is duplicated by"  # how the epic sees a copy of itself

_TITLE_PREFIX = re.compile(r"^\s*\[([^\]\n]*)\]")


def story_key(story_id: str) -> str:
    """Ids that would share a test file are one story for recognition purposes."""
    return file_stem(story_id.strip()).lower()


def parent_pattern(epic_id: int) -> re.Pattern[str]:
    return re.compile(rf"parent\W{{0,8}}#\s*{epic_id}(?!\d)", re.IGNORECASE)


def pending_value(epic_id: int, story_id: str) -> str:
    return f"{epic_id}:{story_id}"


def pending_story(metadata: Mapping[str, Any], epic_id: int) -> str | None:
    """The story our pending marker names for this epic, if the card carries one."""
    value = str(metadata.get(PENDING_KEY) or "")
    epic, sep, story = value.partition(":")
    if sep and epic.strip() == str(epic_id) and story.strip():
        return story.strip()
    return None


def child_title(story_id: str, title: str) -> str:
    return f"[{story_id}] {title}"


def child_description(epic_id: int, story_id: str, description: str, criteria: Iterable[str]) -> str:
    lines = [f"Parent: #{epic_id}", f"Story: {story_id}", ""]
    if description:
        lines += [description, ""]
    lines.append("Acceptance criteria:")
    lines += [f"- {c}" for c in criteria] or ["- (none given)"]
    return "\n".join(lines)


@dataclass
class Card:
    """One active card related to the epic, with everything recognition looked at."""

    id: int
    title: str
    description: str
    metadata: dict[str, str]
    labels: frozenset[str]  # link labels from the epic's side ("relates to", ...)
    claims: frozenset[str]  # story keys claimed by any marker
    pending: str | None  # story id of our pending marker (a card a spawner run created)

    def claims_story(self, story_id: str) -> bool:
        return story_key(story_id) in self.claims

    def has_text(self, epic_id: int, story_id: str) -> bool:
        """Title prefix `[id]` and the "Parent: #N" line."""
        return (self.title.startswith(f"[{story_id}]")
                and parent_pattern(epic_id).search(self.description) is not None)

    def has_metadata(self, epic_id: int, story_id: str) -> bool:
        return (self.metadata.get("atomic_id") == story_id
                and self.metadata.get("parent_id") == str(epic_id))

    def is_linked(self) -> bool:
        return RELATES_LABEL in self.labels

    def is_ready(self, epic_id: int, story_id: str) -> bool:
        """Everything but our completion mark is in place."""
        return (self.is_linked() and self.has_metadata(epic_id, story_id)
                and self.has_text(epic_id, story_id))

    def is_complete(self, epic_id: int, story_id: str) -> bool:
        """Linked + metadata + title (+ parent line), and marked complete for later agents."""
        return self.is_ready(epic_id, story_id) and self.metadata.get(STATE_KEY) == COMPLETE


@dataclass
class Scan:
    """The epic's related cards, read in one pass; `unidentified` cards block creation."""

    epic_id: int
    cards: list[Card] = field(default_factory=list)
    unidentified: list[int] = field(default_factory=list)  # copies of the epic claiming nothing

    @property
    def count(self) -> int:
        return len(self.cards)

    def claimants(self, story_id: str) -> list[Card]:
        return [c for c in self.cards if c.claims_story(story_id)]

    def card(self, card_id: int) -> Card | None:
        return next((c for c in self.cards if c.id == card_id), None)


def recognise(
    epic_id: int, task: Mapping[str, Any], metadata: Mapping[str, str], labels: frozenset[str]
) -> tuple[bool, frozenset[str]]:
    """(related to the epic?, story keys claimed) by every marker a child can carry."""
    description = str(task.get("description") or "")
    title = str(task.get("title") or "")
    pending = pending_story(metadata, epic_id)
    related = (
        bool(labels)
        or str(metadata.get("parent_id") or "").strip() == str(epic_id)
        or parent_pattern(epic_id).search(description) is not None
        or pending is not None
    )
    claims: set[str] = set()
    if related:
        atomic = str(metadata.get("atomic_id") or "").strip()
        if atomic:
            claims.add(story_key(atomic))
        match = _TITLE_PREFIX.match(title)
        if match and match.group(1).strip():
            claims.add(story_key(match.group(1)))
        if pending:
            claims.add(story_key(pending))
    return related, frozenset(claims)
