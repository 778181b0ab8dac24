"""prd.json documents have the size, ids and shape their labels claim; texts round-trip or
really are broken."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings

from strategies.prd import (
    ID_STYLES,
    SHAPES,
    PrdDoc,
    make_ids,
    prd_docs,
    prd_docs_of_size,
    prd_document_text,
    prd_texts,
    prd_values,
    sanitise_id,
    story_counts,
)
from strategies.sampling import examples, simplest
from strategies.text import hostile_kinds_of

CAP = 20


@pytest.mark.parametrize("n", [0, 1, CAP, CAP + 1, 1000])
def test_documents_of_a_size_have_that_many_stories(n: int) -> None:
    for doc in examples(prd_docs_of_size(n), 5):
        value = json.loads(doc.text)
        assert len(value["stories"]) == n == doc.count
        assert value == doc.value
        assert all(isinstance(s, dict) for s in value["stories"])


@pytest.mark.parametrize("cap", [CAP, 5, 1])
def test_sizes_cover_zero_one_cap_cap_plus_one_and_a_thousand(cap: int) -> None:
    for n in (0, 1, cap, cap + 1, 1000):
        assert simplest(story_counts(cap), lambda c, n=n: c == n) == n
    assert simplest(story_counts(cap)) == 1
    allowed = {0, 1, 2, 3, cap, cap + 1, 1000}
    assert {d.count for d in examples(prd_docs(cap, shapes=("stories",)), 60)} <= allowed


def _check_ids(doc: PrdDoc) -> None:
    ids, n = doc.story_ids, doc.count
    assert len(ids) == n
    style = doc.id_style
    if style == "clean":
        assert len(set(ids)) == n and all(isinstance(i, str) for i in ids)
    elif style == "numeric":
        assert all(isinstance(i, int) for i in ids)
    elif style == "numeric_strings":
        assert all(isinstance(i, str) and i.isdigit() for i in ids)
    elif style == "mixed" and n >= 2:
        assert {type(i) for i in ids} == {int, str}
    elif style == "duplicated" and n >= 2:
        assert len(set(ids)) < n
    elif style == "colliding" and n >= 2:
        assert len(set(map(repr, ids))) == n  # all distinct as written...
        assert len({sanitise_id(i) for i in ids}) < n  # ...not once sanitised
    elif style == "hostile" and n >= 1:
        assert any(isinstance(i, str) and hostile_kinds_of(i) for i in ids)
    elif style == "missing" and n >= 1:
        assert any(i in (None, "") for i in ids)


@settings(max_examples=80, database=None)
@given(prd_docs(CAP))
def test_documents_are_what_their_labels_say(doc: PrdDoc) -> None:
    assert doc.describe().startswith("prd.json ")
    if doc.shape == "invalid_json":
        assert doc.value is None
        with pytest.raises(ValueError):
            json.loads(doc.text)
        return
    assert json.loads(doc.text) == doc.value
    if doc.shape == "stories":
        _check_ids(doc)
    elif doc.shape == "non_object_stories":
        assert isinstance(doc.value["stories"], list)
        assert any(not isinstance(s, dict) for s in doc.value["stories"])
        assert len(doc.value["stories"]) == doc.count
    elif doc.shape == "stories_not_list":
        assert isinstance(doc.value, dict)
        assert not isinstance(doc.value.get("stories"), list)
    else:
        assert doc.shape == "not_object" and not isinstance(doc.value, dict)


def test_every_shape_id_style_and_variant_is_generated() -> None:
    assert {d.shape for d in examples(prd_docs(CAP), 120)} == set(SHAPES)
    docs = examples(prd_docs(CAP, shapes=("stories",)), 120)
    assert {d.id_style for d in docs} == set(ID_STYLES)
    assert {"clean", "hostile", "missing"} == {d.variant for d in docs}


@pytest.mark.parametrize("style", ID_STYLES)
@pytest.mark.parametrize("n", [2, 5, 21])
def test_id_styles_hold_for_every_size(style: str, n: int) -> None:
    ids = make_ids(n, style, picks=(1,), hostile=("$(id)",))
    doc = PrdDoc("stories", {"stories": [{"id": i} for i in ids]}, "", n, style)
    _check_ids(doc)


def test_values_and_texts() -> None:
    for value in examples(prd_values(CAP), 40):
        json.dumps(value)  # always serialisable, never the broken-text case
    texts = examples(prd_texts(CAP), 80)
    assert all(isinstance(t, str) for t in texts)
    broken = 0
    for t in texts:
        try:
            json.loads(t)
        except ValueError:
            broken += 1
    assert 0 < broken < len(texts)


def test_shrinks_to_one_clean_story() -> None:
    doc = simplest(prd_docs(CAP))
    assert doc.shape == "stories" and doc.count == 1 and doc.id_style == "clean"
    assert doc.story_ids == ["atomic-01"]
    assert doc.describe() == "prd.json with 1 story"


def test_document_text_is_the_clean_document() -> None:
    value = json.loads(prd_document_text(3, "calc"))
    assert value["project_name"] == "calc"
    assert [s["id"] for s in value["stories"]] == ["atomic-01", "atomic-02", "atomic-03"]
    assert all(set(s) == {"id", "title", "description", "acceptance_criteria"} for s in value["stories"])


def test_bad_arguments_say_so() -> None:
    with pytest.raises(ValueError, match="cap must be at least 1"):
        prd_docs(0)
    with pytest.raises(ValueError, match="unknown or no prd shapes"):
        prd_docs(shapes=("round",))
    with pytest.raises(ValueError, match="unknown id style"):
        make_ids(2, "fancy")
