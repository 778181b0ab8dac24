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
from strategies import prd as prd_strategies
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
    return fault_strategies.fault_specs()


SPAWNER_METHODS = (
    "duplicateTaskToProject", "saveTaskMetadata", "createTaskLink", "removeTask", "updateTask",
    "getAllTaskLinks", "getTaskMetadata", "getAllTasks", "createComment", "getTask",
)


def spawner_faults() -> st.SearchStrategy[Any]:
    """Faults on the calls a fan-out makes, lost responses included."""
    return fault_strategies.fault_specs(methods=SPAWNER_METHODS)


def prd_texts() -> st.SearchStrategy[str]:
    return prd_strategies.prd_texts()


def coder_answers() -> st.SearchStrategy[tuple[str, str, str]]:
    """(role, label, text) for Ralph's model: good, junk or hostile code."""
    return llm_strategies.answers("coder").map(lambda a: (a.role, f"{a.quality}:{a.kind}", a.text))


def llm_answers() -> st.SearchStrategy[tuple[str, str, str]]:
    """(role, label, text) for any role."""
    return llm_strategies.labelled_answers()


def tricks() -> st.SearchStrategy[dict[str, Any]]:
    return file_strategies.trick_args()


def race_kinds() -> st.SearchStrategy[tuple[str, str]]:
    return st.sampled_from(
        [("webhook", "poll"), ("poll", "poll"), ("webhook", "webhook"), ("orchestrate", "poll"), ("webhook", "orchestrate")]
    )


WRITER_STAGES = ("Design Draft", "Planning Draft", "Tests Draft", "Ralph Loop", "Design Approved", "Plan Approved", "Tests Approved")


def writer_stages() -> st.SearchStrategy[str]:
    """Columns whose agent writes or locks an artifact; writers first (they shrink first)."""
    return st.sampled_from(WRITER_STAGES)


def any_column() -> st.SearchStrategy[int]:
    """An index into the target's columns (taken modulo its length)."""
    return st.integers(0, 11)


def writer_answers() -> st.SearchStrategy[tuple[str, str, str]]:
    """(role, label, text) for the agents that write DESIGN.md, prd.json and tests."""
    return llm_strategies.labelled_answers(roles=("architect", "pm", "test"))


READ_METHODS = ("getTaskMetadata", "getTaskMetadataByName", "getTaskTags", "getTask", "getAllTasks", "getColumns")


def read_faults() -> st.SearchStrategy[Any]:
    """Faults on the reads runners decide with: an error must never look like "no state"."""
    return fault_strategies.fault_specs(methods=READ_METHODS, kinds=("error", "falsy", "timeout"))
