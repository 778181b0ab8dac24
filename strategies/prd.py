"""prd.json documents, the spawner's input: from one clean story to 1,000 hostile ones.

A `PrdDoc` holds the Python value, the file text and labels saying what it is (its shape,
story count, id style), so a failure report can print "prd.json with 21 stories (ids
colliding after sanitising)". Big documents are built from a rule, not drawn story by
story: a 1,000-story document costs one draw and shrinks like a small one.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from strategies.text import benign_texts, hostile_texts

DEFAULT_CAP = 20  # AgentLeeOps' MAX_CHILDREN_PER_EPIC

# Shapes of the document, simplest first.
SHAPES = ("stories", "non_object_stories", "stories_not_list", "not_object", "invalid_json")

ID_STYLES = (
    "clean",  # "atomic-01", "atomic-02", ...
    "numeric",  # 1, 2, ... as JSON numbers
    "numeric_strings",  # "1", "2", ...
    "mixed",  # strings and numbers alternating
    "duplicated",  # some ids repeated exactly
    "colliding",  # distinct ids equal after sanitising ("a-1", "a_1", "a.1"; "1" and 1)
    "hostile",  # some ids are hostile text
    "missing",  # some stories have no usable id (absent, "", null)
)
TITLE_STYLES = ("clean", "hostile", "missing")

_SEPARATORS = ("-", "_", ".", " ", "/", "+")


def sanitise_id(story_id: Any) -> str:
    """The file-name form of a story id: every non-alphanumeric character becomes `_`."""
    return re.sub(r"[^A-Za-z0-9]", "_", str(story_id))


@dataclass(frozen=True)
class PrdDoc:
    """One prd.json: `value` (None when `text` is not JSON), `text`, and what it is."""

    shape: str
    value: Any
    text: str
    count: int | None = None  # entries in a `stories` list; None when there is no list
    id_style: str = ""
    variant: str = ""  # title style, or which kind of non-list / non-object / broken text

    @property
    def story_ids(self) -> list[Any]:
        """Ids of the stories that are objects (missing ones as None)."""
        if self.shape not in ("stories", "non_object_stories"):
            return []
        return [s.get("id") for s in self.value["stories"] if isinstance(s, dict)]

    def describe(self) -> str:
        """E.g. "prd.json with 21 stories (ids colliding after sanitising)"."""
        if self.shape == "stories":
            style = {"clean": "", "colliding": " (ids colliding after sanitising)"}.get(
                self.id_style, f" ({self.id_style.replace('_', ' ')} ids)")
            noun = "story" if self.count == 1 else "stories"
            titles = f", {self.variant} titles" if self.variant not in ("", "clean") else ""
            return f"prd.json with {self.count} {noun}{style}{titles}"
        if self.shape == "non_object_stories":
            return f"prd.json with {self.count} stories, some not objects"
        if self.shape == "stories_not_list":
            return f"prd.json whose stories are not a list ({self.variant})"
        if self.shape == "not_object":
            return f"prd.json that is not an object ({self.variant})"
        return f"prd.json that is not valid JSON ({self.variant})"


def _dump(value: Any) -> str:
    return json.dumps(value, indent=2)


def make_ids(n: int, style: str, picks: tuple[int, ...] = (),
             hostile: tuple[str, ...] = ("../../x",)) -> list[Any]:
    """Ids for `n` stories in `style`; `picks` are positions a style spoils (taken mod n)."""
    if n == 0:
        return []
    clean = [f"atomic-{i + 1:02d}" for i in range(n)]
    spots = sorted({p % n for p in picks}) if n else []
    if style == "clean":
        return clean
    if style == "numeric":
        return [i + 1 for i in range(n)]
    if style == "numeric_strings":
        return [str(i + 1) for i in range(n)]
    if style == "mixed":
        return [i + 1 if i % 2 else str(i + 1) for i in range(n)]
    if style == "duplicated":
        ids = list(clean)
        for p in spots:
            if p > 0:
                ids[p] = ids[p - 1]
        if n > 1 and len(set(ids)) == n:
            ids[-1] = ids[0]
        return ids
    if style == "colliding":
        group = 2 + (spots[0] % 2 if spots else 0)
        ids: list[Any] = [f"atomic{_SEPARATORS[i % group]}{i // group + 1:02d}" for i in range(n)]
        if n > 3:  # a string and a number that print the same
            ids[-2:] = ["7", 7]
        return ids
    if style == "hostile":
        ids = list(clean)
        for k, p in enumerate(spots or [0]):
            ids[p] = hostile[k % len(hostile)]
        return ids
    if style == "missing":
        ids = list(clean)
        for k, p in enumerate(spots or [0]):
            ids[p] = ("", None, "<absent>")[k % 3]
        return ids
    raise ValueError(f"unknown id style {style!r}; known: {', '.join(ID_STYLES)}")


def make_stories(n: int, ids: list[Any], title_style: str = "clean", picks: tuple[int, ...] = (),
                 hostile: tuple[str, ...] = ("../../x",), words: str = "add numbers") -> list[dict]:
    """`n` story objects with the given ids; `title_style` spoils the titles at `picks`."""
    spots = {p % n for p in picks} if n else set()
    if title_style != "clean" and n and not spots:
        spots = {0}
    stories = []
    for i in range(n):
        title = f"Story {i + 1}: {words}"
        if title_style == "hostile" and i in spots:
            title = hostile[i % len(hostile)]
        story: dict[str, Any] = {
            "id": ids[i],
            "title": title,
            "description": f"Implement step {i + 1} ({words}).",
            "acceptance_criteria": [f"step {i + 1} returns the expected value"],
        }
        if ids[i] == "<absent>":
            del story["id"]
        if title_style == "missing" and i in spots:
            del story["title"]
        stories.append(story)
    return stories


@functools.cache
def story_counts(cap: int = DEFAULT_CAP) -> st.SearchStrategy[int]:
    """How many stories a document has: a few (shrinking to 1), or 0, cap, cap+1, 1,000."""
    edges = tuple(dict.fromkeys((0, cap, cap + 1, 1000)))
    return st.one_of(st.integers(1, min(3, cap)), st.sampled_from(edges))


_ID_STYLE = st.sampled_from(ID_STYLES)
_TITLE_STYLE = st.sampled_from(TITLE_STYLES)
_PICKS = st.lists(st.integers(0, 999), max_size=3)  # positions, taken modulo the count
_HOSTILE_LISTS = st.lists(hostile_texts(), min_size=1, max_size=3)


@st.composite
def _stories_doc(draw: st.DrawFn, cap: int, dirname: str, count: int | None = None) -> PrdDoc:
    n = draw(story_counts(cap)) if count is None else count
    id_style = draw(_ID_STYLE)
    title_style = draw(_TITLE_STYLE)
    picks = tuple(draw(_PICKS))
    hostile = tuple(draw(_HOSTILE_LISTS))
    words = draw(benign_texts(3))
    ids = make_ids(n, id_style, picks, hostile)
    value = {"project_name": dirname, "version": "1.0",
             "stories": make_stories(n, ids, title_style, picks, hostile, words)}
    return PrdDoc("stories", value, _dump(value), n, id_style, title_style)


_NON_OBJECTS = ("atomic-01", 1, None, [], ["atomic-01", "title"], True, 2.5)


@st.composite
def _non_object_doc(draw: st.DrawFn, cap: int, dirname: str) -> PrdDoc:
    base = draw(_stories_doc(cap, dirname, count=draw(st.integers(1, min(3, cap)))))
    stories = list(base.value["stories"])
    for pos, junk in draw(st.lists(st.tuples(st.integers(0, len(stories)),
                                             st.sampled_from(_NON_OBJECTS)), min_size=1, max_size=3)):
        if draw(st.booleans()) and pos < len(stories):
            stories[pos] = junk
        else:
            stories.insert(pos, junk)
    value = {**base.value, "stories": stories}
    return PrdDoc("non_object_stories", value, _dump(value), len(stories), base.id_style)


_NOT_LISTS: dict[str, Any] = {
    "one story object": {"id": "atomic-01", "title": "Story 1", "description": "",
                         "acceptance_criteria": []},
    "an object keyed by id": {"atomic-01": {"title": "Story 1"}},
    "a string": "atomic-01, atomic-02",
    "null": None,
    "a number": 1000,
    "true": True,
}


@st.composite
def _not_list_doc(draw: st.DrawFn, dirname: str) -> PrdDoc:
    variant = draw(st.sampled_from((*_NOT_LISTS, "missing", "misspelt key")))
    value: dict[str, Any] = {"project_name": dirname, "version": "1.0"}
    if variant == "missing":
        pass
    elif variant == "misspelt key":
        value["Stories"] = make_stories(1, ["atomic-01"])
    else:
        value["stories"] = _NOT_LISTS[variant]
    return PrdDoc("stories_not_list", value, _dump(value), None, "", variant)


def _not_object_doc() -> st.SearchStrategy[PrdDoc]:
    variants: dict[str, Any] = {
        "a list of stories": make_stories(2, make_ids(2, "clean")),
        "a string": "stories",
        "a number": 20,
        "null": None,
        "true": True,
        "an empty list": [],
    }
    return st.sampled_from(tuple(variants)).map(
        lambda v: PrdDoc("not_object", variants[v], _dump(variants[v]), None, "", v))


def _broken_texts(good: str) -> dict[str, str]:
    return {
        "truncated": good[: max(1, len(good) // 2)],
        "trailing comma": good.rstrip()[:-1].rstrip() + ",\n}" if good.rstrip().endswith("}")
        else good + ",",
        "single quotes": good.replace('"', "'"),
        "python literals": good.replace("true", "True").replace("null", "None")
        .replace('"', "'") + "\nNone",
        "fenced markdown": f"```json\n{good}\n```",
        "a comment": f"// prd.json\n{good}",
        "empty": "",
        "byte order mark": "\ufeff" + good,
        "prose": "Here is the PRD you asked for:\n" + good,
    }


@st.composite
def _invalid_json_doc(draw: st.DrawFn, cap: int, dirname: str) -> PrdDoc:
    base = draw(_stories_doc(cap, dirname, count=draw(st.integers(1, min(3, cap)))))
    texts = _broken_texts(base.text)
    variant = draw(st.sampled_from(tuple(texts)))
    return PrdDoc("invalid_json", None, texts[variant], None, "", variant)


def prd_docs(cap: int = DEFAULT_CAP, dirname: str = "demo-app",
             shapes: tuple[str, ...] = SHAPES) -> st.SearchStrategy[PrdDoc]:
    """prd.json documents the spawner must survive (I2, I3); shrinks to one clean story.

    Sizes 0, 1, cap, cap+1 and 1,000; ids clean, numeric, duplicated, colliding after
    sanitising, hostile or missing; stories that are not objects or not a list; a document
    that is not an object; text that is not JSON.
    """
    return _prd_docs(cap, dirname, tuple(shapes))


@functools.cache
def _prd_docs(cap: int, dirname: str, shapes: tuple[str, ...]) -> st.SearchStrategy[PrdDoc]:
    if cap < 1:
        raise ValueError(f"cap must be at least 1, got {cap}")
    unknown = [s for s in shapes if s not in SHAPES]
    if unknown or not shapes:
        raise ValueError(f"unknown or no prd shapes {unknown!r}; known: {', '.join(SHAPES)}")
    table = {
        # The simplest document first, on its own: failures shrink to exactly it.
        "stories": st.one_of(st.just(clean_doc(1, dirname)), _stories_doc(cap, dirname)),
        "non_object_stories": _non_object_doc(cap, dirname),
        "stories_not_list": _not_list_doc(dirname),
        "not_object": _not_object_doc(),
        "invalid_json": _invalid_json_doc(cap, dirname),
    }
    return st.one_of(*(table[s] for s in SHAPES if s in shapes))


def prd_docs_of_size(n: int, dirname: str = "demo-app") -> st.SearchStrategy[PrdDoc]:
    """Well-formed documents with exactly `n` stories (any id and title style)."""
    return _stories_doc(max(n, 1), dirname, count=n)


def clean_doc(n: int, dirname: str = "demo-app") -> PrdDoc:
    """A clean prd.json with `n` stories ("atomic-01", ...), as a good PM writes it."""
    value = {"project_name": dirname, "version": "1.0", "stories": make_stories(n, make_ids(n, "clean"))}
    return PrdDoc("stories", value, _dump(value), n, "clean", "clean")


def prd_document_text(n: int, dirname: str = "demo-app") -> str:
    """The text of `clean_doc(n, dirname)`."""
    return clean_doc(n, dirname).text


def prd_values(cap: int = DEFAULT_CAP, dirname: str = "demo-app") -> st.SearchStrategy[Any]:
    """The parsed value of a prd.json (every shape except broken JSON)."""
    return prd_docs(cap, dirname, shapes=SHAPES[:-1]).map(lambda d: d.value)


def prd_texts(cap: int = DEFAULT_CAP, dirname: str = "demo-app") -> st.SearchStrategy[str]:
    """The text of a prd.json file as written to disk, broken JSON included."""
    return prd_docs(cap, dirname).map(lambda d: d.text)
