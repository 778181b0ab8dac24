"""Cards as a human would create them: title, description, custom fields (metadata), tags.

A card carries its fields (`dirname`, `context_mode`, `acceptance_criteria`, `complexity`)
the two ways AgentLeeOps reads them: MetaMagik metadata, or `key: value` lines in the
description (with `acceptance_criteria: |` and an indented block). Invalid cards start from
a valid one and add named flaws, so a report can say what was wrong with the card.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from strategies.text import (
    DIRNAME_RE,
    benign_texts,
    card_texts,
    hostile_dirnames,
    hostile_texts,
    valid_dirnames,
)

CONTEXT_MODES = ("NEW", "FEATURE")
COMPLEXITIES = ("S", "M", "L", "XL")

# Where a card keeps its fields.
CARRIERS = ("description", "metadata", "both")

# What can be wrong with an invalid card, simplest first (shrinking lands on the first).
FLAWS = (
    "dirname_hostile",  # dirname breaks the rule (`..`, `/`, leading `-`, newline, ...)
    "dirname_missing",  # no dirname anywhere
    "context_mode_junk",  # context_mode neither NEW nor FEATURE
    "complexity_junk",  # complexity not S/M/L/XL
    "title_hostile",  # hostile title
    "criteria_hostile",  # a hostile acceptance criterion
    "field_smuggling",  # an extra `dirname:` line before the real fields
    "tags_hostile",  # hostile tag names
    "child_spoof",  # looks like a spawned child: atomic_id/parent_id metadata, "[id]" title
)

_TAG_WORDS = ("frontend", "backend", "v2", "urgent")


@dataclass(frozen=True)
class CardSpec:
    """A card to create on the board; `flaws` says why an invalid one is invalid."""

    title: str
    description: str = ""
    metadata: Mapping[str, str] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    flaws: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        """True when the card was built without flaws (AgentLeeOps would accept it)."""
        return not self.flaws

    @property
    def dirname(self) -> str | None:
        """The dirname this card declares (see `declared_fields`)."""
        return self.declared_fields()["dirname"]

    def declared_fields(self) -> dict[str, str | None]:
        """Fields as a careful reader takes them: metadata when it names a dirname, else the
        first `key:` line of the description. Unambiguous for valid cards."""
        if "dirname" in self.metadata:
            return {k: self.metadata.get(k) for k in ("dirname", "context_mode",
                                                     "acceptance_criteria", "complexity")}
        return parse_description_fields(self.description)

    def describe(self) -> str:
        """Board language: "card 'Epic' (dirname 'demo-app', NEW)" plus its flaws."""
        fields = self.declared_fields()
        text = f"card {_short(self.title)} (dirname {_short(fields['dirname'])}"
        text += f", {fields['context_mode'] or 'NEW'})"
        if self.tags:
            text += f" tagged {', '.join(_short(t) for t in self.tags)}"
        if self.flaws:
            text += f" [{', '.join(self.flaws)}]"
        return text


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit - 12]}...({len(str(value))} chars)"


_LINE = re.compile(r"^[ \t]*(dirname|context_mode|acceptance_criteria|complexity)[ \t]*:[ \t]*(.*)$")


def parse_description_fields(description: str) -> dict[str, str | None]:
    """Read `key: value` lines (first one wins) and an `acceptance_criteria: |` block."""
    fields: dict[str, str | None] = dict.fromkeys(("dirname", "context_mode",
                                                   "acceptance_criteria", "complexity"))
    lines = description.split("\n")
    for i, line in enumerate(lines):
        match = _LINE.match(line)
        if not match or fields[match.group(1)] is not None:
            continue
        key, value = match.group(1), match.group(2).strip()
        if key == "acceptance_criteria" and value in ("", "|"):
            block = []
            for follow in lines[i + 1:]:
                if not follow.startswith((" ", "\t")) or not follow.strip():
                    break
                block.append(follow.strip())
            value = "\n".join(block)
        fields[key] = value
    return fields


@dataclass
class _Draft:
    """A card under construction; rendered once all flaws are applied."""

    title: str
    lead: str
    dirname: str | None
    context_mode: str | None
    criteria: list[str]
    complexity: str | None
    carrier: str
    tags: list[str]
    smuggled: list[str] = field(default_factory=list)
    extra_metadata: dict[str, str] = field(default_factory=dict)

    def render(self, flaws: tuple[str, ...]) -> CardSpec:
        values: dict[str, str] = {}
        if self.dirname is not None:
            values["dirname"] = self.dirname
        if self.context_mode is not None:
            values["context_mode"] = self.context_mode
        if self.criteria:
            values["acceptance_criteria"] = "\n".join(f"- {c}" for c in self.criteria)
        if self.complexity is not None:
            values["complexity"] = self.complexity
        lines = [self.lead] if self.lead else []
        lines += self.smuggled
        if self.carrier in ("description", "both"):
            for key, value in values.items():
                if key == "acceptance_criteria":
                    lines.append("acceptance_criteria: |")
                    lines += [f"  - {c}" for c in self.criteria]
                else:
                    lines.append(f"{key}: {value}")
        metadata = dict(values) if self.carrier in ("metadata", "both") else {}
        metadata.update(self.extra_metadata)
        return CardSpec(self.title, "\n".join(lines), metadata, tuple(self.tags), flaws)


# A valid draft's parts, built once: a strategy built inside a draw is validated and labelled
# again at every draw (most of a card's cost before they were hoisted here).
_LEADS = st.one_of(st.just(""), benign_texts().map(lambda t: t + "."))
_CONTEXT_MODES = st.sampled_from((*CONTEXT_MODES, None))
_CRITERIA = st.lists(benign_texts(4), max_size=3)
_COMPLEXITIES = st.sampled_from((None, *COMPLEXITIES))
_CARRIERS = st.sampled_from(CARRIERS)
_TAGS = st.lists(st.sampled_from(_TAG_WORDS), max_size=2, unique=True)


@st.composite
def _valid_draft(draw: st.DrawFn) -> _Draft:
    return _Draft(
        title=draw(benign_texts()),
        lead=draw(_LEADS),
        dirname=draw(valid_dirnames()),
        context_mode=draw(_CONTEXT_MODES),
        criteria=draw(_CRITERIA),
        complexity=draw(_COMPLEXITIES),
        carrier=draw(_CARRIERS),
        tags=draw(_TAGS),
    )


# Field values other than dirname must not smuggle a `dirname:` line: that is the
# field_smuggling flaw's job, and keeping it there keeps every card's flaw list exact.
_DIRNAME_LINE = re.compile(r"(?:^|[\n\r])[ \t]*dirname[ \t]*:")


def _no_dirname_line(value: str) -> bool:
    return not _DIRNAME_LINE.search(value)


_JUNK_MODES = st.one_of(
    st.sampled_from(("OLD", "new feature", "NEWER", "FEATURE; rm -rf ~", "-FEATURE", "none")),
    hostile_texts(),
).filter(lambda m: m.strip() != "" and m.strip().upper() not in CONTEXT_MODES
         and _no_dirname_line(m))

_JUNK_COMPLEXITY = st.one_of(
    st.sampled_from(("XXL", "huge", "0", "S M")), hostile_texts(),
).filter(lambda c: c.strip() != "" and c.strip().upper() not in COMPLEXITIES
         and _no_dirname_line(c))
_HOSTILE_CRITERIA = card_texts(True).filter(_no_dirname_line)


_BAD_FIRST_LINE = hostile_dirnames().filter(lambda d: not is_valid_dirname(_first_line(d)))
_HOSTILE_TAGS = st.lists(hostile_texts(), min_size=1, max_size=2)
_VALID_DRAFTS = _valid_draft()
_SPOOF_IDS = st.sampled_from(("atomic-01", "1", "../x"))
_FLAW_SETS = st.lists(st.sampled_from(FLAWS), min_size=1, max_size=3, unique=True)


def _apply_flaw(draw: st.DrawFn, draft: _Draft, flaw: str) -> None:
    if flaw == "dirname_hostile":
        # In a description only the first line after `dirname:` counts; it must be bad.
        draft.dirname = draw(_BAD_FIRST_LINE if draft.carrier == "description" else hostile_dirnames())
    elif flaw == "dirname_missing":
        draft.dirname = None
    elif flaw == "context_mode_junk":
        draft.context_mode = draw(_JUNK_MODES)
    elif flaw == "complexity_junk":
        draft.complexity = draw(_JUNK_COMPLEXITY)
    elif flaw == "title_hostile":
        draft.title = draw(card_texts(hostile=True))
    elif flaw == "criteria_hostile":
        draft.criteria.insert(draw(st.integers(0, len(draft.criteria))), draw(_HOSTILE_CRITERIA))
    elif flaw == "field_smuggling":
        smuggled = draw(_BAD_FIRST_LINE)
        draft.smuggled.append(f"dirname: {smuggled}")
        if draft.carrier == "metadata":
            draft.carrier = "both"
    elif flaw == "tags_hostile":
        draft.tags += draw(_HOSTILE_TAGS)
    elif flaw == "child_spoof":
        atomic_id = draw(_SPOOF_IDS)
        draft.extra_metadata.update({"atomic_id": atomic_id, "parent_id": "1"})
        draft.title = f"[{atomic_id}] {draft.title}"
    else:  # pragma: no cover - FLAWS and this switch are kept together
        raise ValueError(f"unknown card flaw {flaw!r}")


@st.composite
def _invalid_card(draw: st.DrawFn) -> CardSpec:
    draft = draw(_VALID_DRAFTS)
    flaws = draw(_FLAW_SETS)
    if "dirname_hostile" in flaws and "dirname_missing" in flaws:
        flaws.remove("dirname_missing")  # one or the other
    ordered = tuple(f for f in FLAWS if f in flaws)
    for flaw in ordered:
        _apply_flaw(draw, draft, flaw)
    return draft.render(ordered)


@functools.cache
def cards(valid: bool | None = True) -> st.SearchStrategy[CardSpec]:
    """Cards to create: valid (accepted as is), invalid (hostile or broken fields), or both."""
    good = _VALID_DRAFTS.map(lambda d: d.render(()))
    if valid is True:
        return good
    if valid is False:
        return _invalid_card()
    return st.one_of(good, _invalid_card())


def _first_line(text: str) -> str:
    """What a line-based reader keeps of a value written after `dirname:`."""
    return text.split("\n", 1)[0].strip()


def is_valid_dirname(name: str | None) -> bool:
    """The dirname rule the whole pipeline relies on: `^[a-z0-9][a-z0-9-]*$`, whole string."""
    return name is not None and DIRNAME_RE.fullmatch(name) is not None
