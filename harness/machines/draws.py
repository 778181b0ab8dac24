"""The strategies machines draw from, gathered in one place from `strategies/`.

Machines stay readable (rule signatures name what is drawn) and `strategies/` stays pure data.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from strategies import cards as card_strategies
from strategies import faults as fault_strategies
from strategies import files as file_strategies
from strategies import llm as llm_strategies
from strategies import text as text_strategies
from targets.base import AGENTS

ARTIFACTS = ("DESIGN.md", "prd.json", "tests/test_s1.py", "src/s1.py")


def card_specs() -> st.SearchStrategy[Any]:
    return card_strategies.cards(valid=None)


def dirnames() -> st.SearchStrategy[str]:
    return st.one_of(text_strategies.valid_dirnames(), text_strategies.hostile_dirnames())


def metadata_names() -> st.SearchStrategy[str]:
    return st.sampled_from(["dirname", "context_mode", "atomic_id", "parent_id"])


def tag_lists() -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(["locked", "design-generated", "spawned", "failed", "x"]), max_size=3, unique=True)


def agents() -> st.SearchStrategy[str]:
    return st.sampled_from(AGENTS)


def tokens() -> st.SearchStrategy[str]:
    return st.sampled_from(["ok", "ok", "ok", "wrong", "missing"])


def malformed_bodies() -> st.SearchStrategy[str]:
    return st.sampled_from(
        ["{not json", "[]", "{}", '{"event_name": "task.move.column"}', '{"event_name": "task.move.column", "event_data": {"task_id": "x"}}', "null"]
    )


def faults() -> st.SearchStrategy[Any]:
    return fault_strategies.fault_plans()


def llm_answers() -> st.SearchStrategy[tuple[str, str, str]]:
    """(role, label, text) for any role."""
    return llm_strategies.labelled_answers()


def tricks() -> st.SearchStrategy[dict[str, Any]]:
    return file_strategies.trick_args()


def race_kinds() -> st.SearchStrategy[tuple[str, str]]:
    return st.sampled_from(
        [("webhook", "poll"), ("poll", "poll"), ("webhook", "webhook"), ("orchestrate", "poll"), ("webhook", "orchestrate")]
    )
