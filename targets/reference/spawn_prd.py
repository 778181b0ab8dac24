"""prd.json, validated before the spawner creates anything: model text never reaches a path.

A document either yields a clean list of stories or a `PrdError` naming what is wrong, so
one bad story refuses the whole request (nothing half-created from a bad plan).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

MAX_ID = 64  # characters of a sanitised story id
MAX_TITLE = 200
MAX_TEXT = 20_000  # description and criteria together

_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
_FILE_UNSAFE = re.compile(r"[^A-Za-z0-9]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
# "#12" in story text would read as a card reference ("Parent: #12" names a parent).
_CARD_REF = re.compile(r"#(?=\s*\d)")


class PrdError(ValueError):
    """The document cannot be spawned as is; the message is shown on the epic."""


@dataclass(frozen=True)
class Story:
    id: str  # sanitised: [A-Za-z0-9_-], never starting with "-"
    title: str
    description: str
    criteria: tuple[str, ...]


def story_id(raw: Any) -> str:
    """The card form of a story id (atomic_id metadata, `[id]` title prefix)."""
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        raise PrdError(f"story id {raw!r} is not a string or an integer")
    text = str(raw).strip()
    if not text:
        raise PrdError("a story has an empty id")
    safe = _ID_UNSAFE.sub("_", text)
    if safe.startswith("-"):
        safe = "_" + safe[1:]
    if len(safe) > MAX_ID:
        raise PrdError(f"story id {safe[:20]}... is longer than {MAX_ID} characters")
    return safe


def file_stem(atomic_id: str) -> str:
    """The file-name form of a story id (tests/test_<stem>.py); coarser than `story_id`."""
    return _FILE_UNSAFE.sub("_", atomic_id)


def card_text(value: Any, what: str, limit: int, *, one_line: bool = False) -> str:
    """Model text made safe to put on a card: a string, bounded, no card references."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise PrdError(f"{what} is not a string")
    text = _CARD_REF.sub("no. ", value)
    text = _CONTROL.sub(" ", text).strip() if one_line else text.replace("\x00", "")
    return text[:limit]


def parse_story(raw: Any, position: int) -> Story:
    if not isinstance(raw, dict):
        raise PrdError(f"story {position + 1} is not an object")
    sid = story_id(raw.get("id"))
    title = card_text(raw.get("title"), f"title of story {sid}", MAX_TITLE, one_line=True)
    description = card_text(raw.get("description"), f"description of story {sid}", MAX_TEXT)
    criteria_raw = raw.get("acceptance_criteria", [])
    if criteria_raw is None:
        criteria_raw = []
    if not isinstance(criteria_raw, list):
        raise PrdError(f"acceptance_criteria of story {sid} is not a list")
    criteria = tuple(
        card_text(c, f"a criterion of story {sid}", MAX_TEXT, one_line=True) for c in criteria_raw
    )
    if len(description) + sum(len(c) for c in criteria) > MAX_TEXT:
        raise PrdError(f"story {sid} has more than {MAX_TEXT} characters of text")
    return Story(sid, title or sid, description, criteria)


def parse_prd(text: str) -> list[Story]:
    """Every story of the document, or PrdError; ids unique even in their file-name form."""
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise PrdError(f"prd.json is not valid JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise PrdError("prd.json is not a JSON object")
    stories = doc.get("stories")
    if not isinstance(stories, list):
        raise PrdError("prd.json has no list of stories under \"stories\"")
    parsed = [parse_story(raw, i) for i, raw in enumerate(stories)]
    seen: dict[str, str] = {}
    for story in parsed:
        stem = file_stem(story.id).lower()  # case-insensitive file systems collide too
        if stem in seen:
            other = seen[stem]
            how = "repeats" if other == story.id else "collides after sanitising with"
            raise PrdError(f"story id {story.id} {how} {other}; nothing was spawned")
        seen[stem] = story.id
    return parsed
