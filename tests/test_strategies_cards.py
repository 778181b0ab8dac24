"""Cards carry their fields the ways AgentLeeOps reads them; invalid cards have the flaws
they claim."""

from __future__ import annotations

import re

import yaml
from hypothesis import given, settings

from strategies.cards import CONTEXT_MODES, FLAWS, CardSpec, cards, is_valid_dirname
from strategies.sampling import examples, simplest
from strategies.text import NAME_MAX, hostile_kinds_of

BENIGN_LINE = re.compile(r"- (?:[A-Za-z0-9]+ ?)+")


def _description_values(card: CardSpec, key: str) -> list[str]:
    """Every `key:` line value of the description, first line only, as a line reader sees it."""
    return [m.group(1).strip() for m in re.finditer(rf"^[ \t]*{key}[ \t]*:(.*)$", card.description, re.M)]


def _values(card: CardSpec, key: str) -> list[str]:
    found = _description_values(card, key)
    if key in card.metadata:
        found.append(card.metadata[key])
    return found


def _criteria_lines(card: CardSpec) -> list[str]:
    """Every line of every criteria block: a hostile dirname may smuggle a block of its own
    before the card's, and readers differ on which one wins (first match, YAML's last)."""
    text = card.metadata.get("acceptance_criteria")
    if text is not None:
        return text.split("\n")
    lines = card.description.split("\n")
    found: list[str] = []
    for i, line in enumerate(lines):
        if line.startswith("acceptance_criteria: |"):
            for follow in lines[i + 1:]:
                if re.match(r"^[a-z_]+: ", follow):
                    break
                found.append(follow[2:] if follow.startswith("  ") else follow)
    return found


@settings(max_examples=100, database=None)
@given(cards(valid=True))
def test_valid_cards_are_valid_however_they_carry_their_fields(card: CardSpec) -> None:
    assert card.valid and card.flaws == ()
    fields = card.declared_fields()
    assert is_valid_dirname(fields["dirname"])
    assert fields["context_mode"] in (None, *CONTEXT_MODES)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in card.metadata.items())
    assert hostile_kinds_of(card.title) == ()
    assert all(hostile_kinds_of(t) == () for t in card.tags)
    if "dirname" not in card.metadata:
        # The description alone carries the fields: the first `dirname:` anywhere (the
        # unanchored search a simple reader does) is the real one...
        first = re.search(r"dirname:\s*(.+)", card.description)
        assert first and first.group(1).strip() == fields["dirname"]
        # ...and the field block is YAML, read here by a real YAML parser.
        lines = card.description.split("\n")
        block = "\n".join(lines[1:] if not lines[0].startswith("dirname:") else lines)
        parsed = yaml.load(block, Loader=yaml.BaseLoader)
        assert parsed["dirname"] == fields["dirname"]
        assert parsed.get("context_mode") == fields["context_mode"]
        assert (parsed.get("acceptance_criteria") or "").rstrip("\n") == (fields["acceptance_criteria"] or "")
    else:
        assert card.metadata["dirname"] == fields["dirname"]


@settings(max_examples=120, database=None)
@given(cards(valid=False))
def test_invalid_cards_have_the_flaws_they_claim(card: CardSpec) -> None:
    assert card.flaws and not card.valid
    assert list(card.flaws) == [f for f in FLAWS if f in card.flaws]
    assert not {"dirname_hostile", "dirname_missing"} <= set(card.flaws)
    dirnames = _values(card, "dirname")
    for flaw in card.flaws:
        if flaw == "dirname_hostile":
            assert any(not is_valid_dirname(d) or len(d) > NAME_MAX for d in dirnames), card
        elif flaw == "dirname_missing" and "field_smuggling" not in card.flaws:
            assert dirnames == []
        elif flaw == "context_mode_junk":
            assert any(m.strip().upper() not in CONTEXT_MODES for m in _values(card, "context_mode"))
        elif flaw == "complexity_junk":
            assert any(c.strip().upper() not in ("S", "M", "L", "XL") for c in _values(card, "complexity"))
        elif flaw == "title_hostile":
            assert hostile_kinds_of(card.title)
        elif flaw == "criteria_hostile":
            lines = _criteria_lines(card)
            assert any(not BENIGN_LINE.fullmatch(line) or len(line) > 1000 for line in lines), lines
        elif flaw == "field_smuggling":
            assert not is_valid_dirname(_description_values(card, "dirname")[0])
        elif flaw == "tags_hostile":
            assert any(hostile_kinds_of(t) for t in card.tags)
        elif flaw == "child_spoof":
            assert "atomic_id" in card.metadata and card.metadata["parent_id"] == "1"
            assert card.title.startswith("[")


def test_every_flaw_and_carrier_is_generated() -> None:
    invalid = examples(cards(valid=False), 100)
    assert {f for c in invalid for f in c.flaws} == set(FLAWS)
    carriers = set()
    for c in examples(cards(valid=True), 60):
        in_text, in_meta = "dirname:" in c.description, "dirname" in c.metadata
        carriers.add("both" if in_text and in_meta else "metadata" if in_meta else "description")
    assert carriers == {"description", "metadata", "both"}


def test_shrinks_to_a_plain_valid_card() -> None:
    card = simplest(cards(valid=None))
    assert card.valid
    assert card.description == "dirname: demo-app\ncontext_mode: NEW"
    assert card.describe() == "card 'Epic' (dirname 'demo-app', NEW)"


def test_describe_names_the_card_and_its_flaws() -> None:
    for card in examples(cards(valid=None), 60):
        text = card.describe()
        assert text.startswith("card ") and len(text) < 400
        assert all(f in text for f in card.flaws)
