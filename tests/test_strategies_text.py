"""Hostile texts keep the promise of their kind; benign text and valid dirnames stay clean."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given, settings

from strategies import text
from strategies.sampling import examples, simplest
from strategies.text import (
    HOSTILE_KINDS,
    LONG_MIN,
    NAME_MAX,
    card_texts,
    hostile_dirnames,
    hostile_kinds_of,
    hostile_texts,
    promises,
    tagged_hostile_texts,
    valid_dirnames,
)

RULE = re.compile(r"[a-z0-9][a-z0-9-]*")


@pytest.mark.parametrize("kind", HOSTILE_KINDS)
def test_each_kind_keeps_its_promise(kind: str) -> None:
    @settings(max_examples=15, database=None)
    @given(tagged_hostile_texts([kind]))
    def check(pair: tuple[str, str]) -> None:
        got_kind, value = pair
        assert got_kind == kind
        assert promises(kind, value), (kind, value)
        assert "\x00" not in value

    check()


@settings(max_examples=100, database=None)
@given(hostile_texts())
def test_every_hostile_text_is_hostile_and_nul_free(value: str) -> None:
    assert hostile_kinds_of(value), repr(value)
    assert "\x00" not in value


def test_promises_are_real_checks_not_labels() -> None:
    assert promises("dotdot", "a/../b") and not promises("dotdot", "a..b")
    assert promises("option", "-rf") and not promises("option", "a-rf")
    assert promises("absolute", "/etc") and promises("absolute", "C:\\x")
    assert not promises("absolute", "etc/x")
    assert promises("control", "a\x1bb") and not promises("control", "a\nb")
    assert promises("lookalike", "a\u2215b") and not promises("lookalike", "a/b")
    assert promises("field", "x\ndirname: y") and not promises("field", "my dirname is y")
    assert promises("child_spoof", "[atomic-01] x") and not promises("child_spoof", "x [y]")
    with pytest.raises(ValueError, match="unknown hostile kind"):
        promises("nope", "x")
    with pytest.raises(ValueError, match="unknown or no hostile kinds"):
        tagged_hostile_texts(["nope"])


def test_long_texts_are_longer_than_any_file_name() -> None:
    value = simplest(hostile_texts(["long"]))
    assert len(value) >= LONG_MIN > NAME_MAX


def test_a_lookalike_normalises_to_a_real_parent_reference() -> None:
    # The danger of look-alikes: NFKC normalisation (done by some tools) turns them into `..`.
    value = simplest(hostile_texts(["lookalike"]),
                 lambda t: ".." in re.split(r"/", unicodedata.normalize("NFKC", t)))
    assert ".." not in re.split(r"[/\\]", value)


@settings(max_examples=100, database=None)
@given(card_texts(hostile=False))
def test_benign_card_text_meets_no_hostile_promise(value: str) -> None:
    assert hostile_kinds_of(value) == ()
    assert value.strip()


@settings(max_examples=100, database=None)
@given(card_texts(hostile=True))
def test_hostile_card_text_is_hostile(value: str) -> None:
    assert hostile_kinds_of(value)


@settings(max_examples=100, database=None)
@given(valid_dirnames())
def test_valid_dirnames_match_the_rule(name: str) -> None:
    assert RULE.fullmatch(name)
    assert len(name) <= 40


@settings(max_examples=100, database=None)
@given(hostile_dirnames())
def test_hostile_dirnames_break_the_rule_or_the_name_limit(name: str) -> None:
    assert not RULE.fullmatch(name) or len(name) > NAME_MAX


def test_near_misses_slip_past_a_dollar_anchored_match() -> None:
    # `$` matches before a final newline: a check written with re.match('^...$') lets it in.
    name = simplest(hostile_dirnames(), lambda n: re.match(r"^[a-z0-9][a-z0-9-]*$", n) is not None)
    assert name.endswith("\n") and not RULE.fullmatch(name)


def test_shrinks_to_the_simplest_case() -> None:
    assert simplest(hostile_texts()) == ".."
    assert simplest(valid_dirnames()) == "demo-app"
    assert simplest(card_texts(hostile=False)) == text.WORDS[0]


def test_the_mixed_strategy_reaches_every_kind() -> None:
    pairs = examples(tagged_hostile_texts(), 200)
    assert {k for k, _ in pairs} == set(HOSTILE_KINDS)
    assert all(promises(k, t) for k, t in pairs)
