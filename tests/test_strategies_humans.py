"""Human actions stay on the given board and say what they do in board language."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strategies.cards import is_valid_dirname
from strategies.humans import KINDS, MOVES, HumanAction, human_actions
from strategies.prd import PrdDoc
from strategies.sampling import examples, simplest

COLUMNS = ("1. Inbox", "2. Design Draft", "3. Design Approved", "4. Planning Draft",
           "5. Plan Approved", "6. Tests Draft", "7. Tests Approved", "8. Ralph Loop")
TAGS = ("design-generated", "locked", "spawned")


@settings(max_examples=120, database=None)
@given(human_actions(COLUMNS, TAGS, cards=st.integers(0, 5)))
def test_actions_are_well_formed(action: HumanAction) -> None:
    assert action.kind in KINDS and 0 <= action.card <= 5
    text = action.describe()
    assert f"#{action.card}" in text
    assert text.endswith("(while an agent runs)") == action.during_run
    if action.kind in ("move", "double_move"):
        assert action.column in COLUMNS and action.column in text
    else:
        assert action.column is None
    if action.kind == "change_dirname":
        assert action.dirname is not None and action.via in ("metadata", "description")
    if action.kind == "edit_prd":
        assert isinstance(action.prd, PrdDoc) and "prd.json" in text


def test_every_kind_column_and_flag_is_generated() -> None:
    actions = examples(human_actions(COLUMNS, TAGS), 200)
    assert {a.kind for a in actions} == set(KINDS)
    moves = examples(human_actions(COLUMNS, kinds=["move"]), 100)
    assert {a.column for a in moves} == set(COLUMNS)  # approvals skipped too
    assert {a.during_run for a in actions if a.kind in MOVES} == {True, False}
    dirnames = [a.dirname for a in actions if a.kind == "change_dirname"]
    assert any(is_valid_dirname(d) for d in dirnames) and any(not is_valid_dirname(d) for d in dirnames)
    tags = {t for a in examples(human_actions(COLUMNS, TAGS, kinds=["edit_tags"]), 60) for t in a.tags}
    assert set(TAGS) & tags and tags - set(TAGS)  # the target's own tags, forged, and hostile ones


def test_shrinks_to_moving_the_first_card_to_the_first_column() -> None:
    action = simplest(human_actions(COLUMNS))
    assert action == HumanAction("move", 0, column="1. Inbox")
    assert action.describe() == "card #0 moved to 1. Inbox"
    assert action.on_card(3).describe() == "card #3 moved to 1. Inbox"


def test_describe_reads_like_the_board() -> None:
    assert HumanAction("move", 3, column="5. Plan Approved", during_run=True).describe() == (
        "card #3 moved to 5. Plan Approved (while an agent runs)")
    assert HumanAction("double_move", 1, column="2. Design Draft").describe() == (
        "card #1 moved to 2. Design Draft twice")
    assert HumanAction("remove_tags", 2).describe() == "all tags removed from card #2"
    assert HumanAction("change_dirname", 2, dirname="../x").describe() == (
        "dirname of card #2 changed to '../x' (in its metadata)")
    with pytest.raises(ValueError, match="unknown human action"):
        HumanAction("dance").describe()
    with pytest.raises(ValueError, match="columns"):
        human_actions([])
