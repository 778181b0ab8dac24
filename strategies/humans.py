"""Human mis-clicks on the board, as data the machine carries out.

A `HumanAction` names a card by the machine's reference (an index into its cards, which the
machine may replace by the Kanboard id with `on_card`) and what the human does to it: move it
anywhere (approvals skipped too), back, twice; delete it or one of its links; edit or clear
its tags; change its `dirname` after locking; edit its prd.json between runs. `during_run`
asks the machine to make the action while an agent is running on the card.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from hypothesis import strategies as st

from strategies.prd import PrdDoc, prd_docs
from strategies.text import hostile_dirnames, hostile_texts, valid_dirnames

# Action kinds, simplest first.
KINDS = ("move", "move_back", "double_move", "delete_card", "delete_link", "edit_tags",
         "remove_tags", "change_dirname", "edit_prd")
MOVES = ("move", "move_back", "double_move")


@dataclass(frozen=True)
class HumanAction:
    """One thing a human does to card `card`; fields unused by a kind stay at their default."""

    kind: str
    card: int = 0
    column: str | None = None  # move, double_move: the destination
    during_run: bool = False  # make the action while an agent runs on the card
    tags: tuple[str, ...] = ()  # edit_tags: the new tag set; remove_tags: the ones to drop (all if empty)
    link: int = 0  # delete_link: which of the card's links (index, modulo their count)
    dirname: str | None = None  # change_dirname: the new value
    via: str = "metadata"  # change_dirname: "metadata" or "description"
    prd: PrdDoc | None = None  # edit_prd: the new prd.json

    def on_card(self, card: int) -> HumanAction:
        """The same action aimed at `card` (e.g. the Kanboard id the machine resolved)."""
        return dataclasses.replace(self, card=card)

    def describe(self) -> str:
        """E.g. "card #3 moved to 5. Plan Approved (while an agent runs)"."""
        who = f"card #{self.card}"
        text = {
            "move": f"{who} moved to {self.column}",
            "move_back": f"{who} moved back one column",
            "double_move": f"{who} moved to {self.column} twice",
            "delete_card": f"{who} deleted",
            "delete_link": f"link {self.link} of {who} deleted",
            "edit_tags": f"tags of {who} set to {list(self.tags)!r}",
            "remove_tags": (f"tags {list(self.tags)!r} removed from {who}" if self.tags
                            else f"all tags removed from {who}"),
            "change_dirname": f"dirname of {who} changed to {self.dirname!r} (in its {self.via})",
            "edit_prd": f"prd.json of {who} replaced by {self.prd.describe() if self.prd else '?'}",
        }.get(self.kind)
        if text is None:
            raise ValueError(f"unknown human action {self.kind!r}; known: {', '.join(KINDS)}")
        return text + (" (while an agent runs)" if self.during_run else "")


def human_actions(columns: Sequence[str], tag_names: Sequence[str] = (),
                  cards: st.SearchStrategy[int] | None = None,
                  kinds: Sequence[str] = KINDS, cap: int = 20) -> st.SearchStrategy[HumanAction]:
    """Human mis-clicks over the board's `columns`; shrinks to a move to the first column.

    `tag_names` are the target's own tags, so a human can forge or drop them.
    """
    columns = tuple(columns)
    if not columns:
        raise ValueError("human_actions needs the board's columns")
    unknown = [k for k in kinds if k not in KINDS]
    if unknown or not kinds:
        raise ValueError(f"unknown or no human action kinds {unknown!r}; known: {', '.join(KINDS)}")
    card = cards if cards is not None else st.integers(0, 3)
    col = st.sampled_from(columns)
    flag = st.booleans()
    tag = st.one_of(st.sampled_from(tuple(tag_names) or ("urgent",)), hostile_texts())
    tag_sets = st.lists(tag, max_size=3, unique=True).map(tuple)
    table = {
        "move": st.builds(lambda c, to, r: HumanAction("move", c, column=to, during_run=r),
                          card, col, flag),
        "move_back": st.builds(lambda c, r: HumanAction("move_back", c, during_run=r), card, flag),
        "double_move": st.builds(
            lambda c, to, r: HumanAction("double_move", c, column=to, during_run=r), card, col, flag),
        "delete_card": st.builds(lambda c, r: HumanAction("delete_card", c, during_run=r),
                                 card, flag),
        "delete_link": st.builds(lambda c, i, r: HumanAction("delete_link", c, link=i, during_run=r),
                                 card, st.integers(0, 3), flag),
        "edit_tags": st.builds(lambda c, t, r: HumanAction("edit_tags", c, tags=t, during_run=r),
                               card, tag_sets, flag),
        "remove_tags": st.builds(lambda c, t, r: HumanAction("remove_tags", c, tags=t, during_run=r),
                                 card, tag_sets, flag),
        "change_dirname": st.builds(
            lambda c, d, v, r: HumanAction("change_dirname", c, dirname=d, via=v, during_run=r),
            card, st.one_of(valid_dirnames(), hostile_dirnames()),
            st.sampled_from(("metadata", "description")), flag),
        "edit_prd": st.builds(lambda c, p, r: HumanAction("edit_prd", c, prd=p, during_run=r),
                              card, prd_docs(cap), flag),
    }
    # The simplest action first, on its own: failures shrink to exactly it.
    first = [card.map(lambda c: HumanAction("move", c, column=columns[0]))] if "move" in kinds else []
    return st.one_of(*first, *(table[k] for k in KINDS if k in kinds))
