"""The strategies machines draw from, gathered in one place from `strategies/`.

Machines stay readable (rule signatures name what is drawn) and `strategies/` stays pure data.
Each strategy here goes by the name of the function that makes it (`named`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from hypothesis import strategies as st

try:
    from hypothesis.strategies._internal.lazy import LazyStrategy as _Lazy
except ImportError:  # pragma: no cover - a Hypothesis without it: long reprs, same draws
    _Lazy = None

from strategies import cards as card_strategies
from strategies import faults as fault_strategies
from strategies import files as file_strategies
from strategies import llm as llm_strategies
from strategies import prd as prd_strategies
from strategies import text as text_strategies
from targets.base import AGENTS

P = ParamSpec("P")
T = TypeVar("T")


def named(make: Callable[P, st.SearchStrategy[T]]) -> Callable[P, st.SearchStrategy[T]]:
    """`make`'s strategy, shown as `make`'s call (`dirnames()`), drawing exactly as before.

    Hypothesis spells a rule's strategies out whenever it retries a rule draw (once per
    example), and some of ours list hundreds of values: 200 KB of text per example on the
    combined machine (0.5 ms, most of a rule draw's cost), and unreadable in an error's notes.
    A composite would rename it too, but its inner draw adds a span, and spans steer
    Hypothesis's mutations: the same seed would explore differently. Hypothesis's own lazy
    wrapper takes a name and is looked through when drawn (no span, the same label); were it
    to go, the strategy is returned as it is (tests/test_draws.py would say so)."""
    @functools.wraps(make)
    def build(*args: P.args, **kwargs: P.kwargs) -> st.SearchStrategy[T]:
        strategy = make(*args, **kwargs)
        if _Lazy is None:
            return strategy
        shown = ", ".join([*map(repr, args), *(f"{k}={v!r}" for k, v in kwargs.items())])
        return _Lazy(lambda: strategy, (), {}, force_repr=f"{make.__name__}({shown})")
    return build


@named
def card_specs() -> st.SearchStrategy[Any]:
    return card_strategies.cards(valid=None)


ESCAPING_DIRNAMES = ("../escape", "../../escaped", "demo-app/../../escape", "demo-app/nested")


@named
def dirnames() -> st.SearchStrategy[str]:
    """Valid dirnames, dirnames that climb out of ~/projects (still inside the sandbox), and
    every other hostile kind."""
    return st.one_of(
        text_strategies.valid_dirnames(),
        st.sampled_from(ESCAPING_DIRNAMES),
        text_strategies.hostile_dirnames(),
    )


@named
def card_titles() -> st.SearchStrategy[str]:
    """A title a person types into the task form: plain words or hostile text."""
    return st.one_of(text_strategies.benign_texts(), text_strategies.card_texts(hostile=True))


RETITLES = ("drop the story id", "keep the story id", "take another child's story id", "type a new title")


@named
def child_retitles() -> st.SearchStrategy[tuple[str, str]]:
    """How a person retitles a spawned card (`RETITLES`), and the words typed."""
    return st.tuples(st.sampled_from(RETITLES), card_titles())


@named
def metadata_names() -> st.SearchStrategy[str]:
    return st.sampled_from(["dirname", "context_mode", "atomic_id", "parent_id"])


@named
def tag_lists() -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(["locked", "design-generated", "spawned", "failed", "x"]), max_size=3, unique=True)


@named
def agents() -> st.SearchStrategy[str]:
    return st.sampled_from(AGENTS)


@named
def tokens() -> st.SearchStrategy[str]:
    return st.sampled_from(["ok", "ok", "ok", "wrong", "missing"])


@named
def malformed_bodies() -> st.SearchStrategy[str]:
    return st.sampled_from(
        ["{not json", "[]", "{}", '{"event_name": "task.move.column"}', '{"event_name": "task.move.column", "event_data": {"task_id": "x"}}', "null"]
    )


@named
def faults() -> st.SearchStrategy[Any]:
    return fault_strategies.fault_specs()


SPAWNER_WRITES = ("duplicateTaskToProject", "saveTaskMetadata", "createTaskLink", "removeTask", "updateTask")
SPAWNER_READS = ("getAllTaskLinks", "getTaskMetadata", "getAllTasks", "createComment", "getTask")


# The faults that break fan-outs in practice (invariants.md, I2): lost responses of the
# creating calls, and a rollback that does not happen.
CRITICAL_SPAWNER_FAULTS = (
    ("duplicateTaskToProject", "lost"),
    ("removeTask", "falsy"),
    ("saveTaskMetadata", "lost"),
    ("createTaskLink", "lost"),
    ("updateTask", "lost"),
    ("removeTask", "lost"),
    ("createTaskLink", "falsy"),
    ("duplicateTaskToProject", "timeout"),
)


@named
def spawner_faults() -> st.SearchStrategy[Any]:
    """Faults on the calls a fan-out makes: the critical ones first, then any at all."""
    critical = st.tuples(st.sampled_from(CRITICAL_SPAWNER_FAULTS), st.integers(1, 2)).map(
        lambda pair: fault_strategies.FaultSpec(pair[0][0], pair[0][1], pair[1])
    )
    return st.one_of(critical, critical, fault_strategies.fault_specs(methods=SPAWNER_WRITES + SPAWNER_READS))


@named
def spawner_prds() -> st.SearchStrategy[str]:
    """prd.json texts for a fan-out: small clean plans, sizes around the cap, then anything."""
    sizes = st.sampled_from([2, 15, 1, 21, 3, 20])
    clean = sizes.map(prd_strategies.prd_document_text)
    return st.one_of(clean, clean, clean, prd_strategies.prd_texts())


@named
def grown_prds(cap: int = prd_strategies.DEFAULT_CAP) -> st.SearchStrategy[str]:
    """A plan edited between runs (same ids first): grown to one past the cap (the boundary:
    too many whatever number of children a first run made) half the time, else further past
    it or shrunk; then the same sizes with ids as a model writes them (numbers, duplicates,
    odd strings, missing ones), and plans whose stories are not a list at all."""
    sizes = st.one_of(st.just(cap + 1), st.sampled_from([cap + 5, 2]))
    clean = sizes.map(prd_strategies.prd_document_text)
    styled = sizes.flatmap(prd_strategies.prd_docs_of_size).map(lambda doc: doc.text)
    odd = prd_strategies.prd_docs(cap, shapes=("stories_not_list", "non_object_stories")).map(
        lambda doc: doc.text)
    return st.one_of(clean, styled, odd)


@named
def prd_texts() -> st.SearchStrategy[str]:
    return prd_strategies.prd_texts()


@named
def coder_answers() -> st.SearchStrategy[tuple[str, str, str]]:
    """(role, label, text) for Ralph's model: good, junk or hostile code."""
    return llm_strategies.answers("coder").map(lambda a: (a.role, f"{a.quality}:{a.kind}", a.text))


@named
def llm_answers() -> st.SearchStrategy[tuple[str, str, str]]:
    """(role, label, text) for any role."""
    return llm_strategies.labelled_answers()


# Paths agents write (so a symlink planted there is written through) and what they may
# point at: approved artifacts, or a file outside the workspace.
WRITTEN = ("prd.json", "tests/test_atomic_01.py", "src/demo_app.py", "DESIGN.md", "docs/notes.md")
POINTED = ("DESIGN.md", "prd.json", "tests/test_atomic_01.py", "../outside.txt")


@named
def planted_symlinks() -> st.SearchStrategy[dict[str, Any]]:
    """A symlink where an agent will write, pointing at an approved artifact or outside."""
    return st.tuples(st.sampled_from(WRITTEN), st.sampled_from(POINTED)).filter(
        lambda pair: pair[0] != pair[1]
    ).map(lambda pair: {"kind": "symlink_over", "path": pair[0], "to": pair[1]})


# What each writer stage's agent writes (where a planted symlink is written through).
OUTPUT_OF = {
    "Design Draft": "DESIGN.md",
    "Planning Draft": "prd.json",
    "Tests Draft": "tests/test_atomic_01.py",
    "Ralph Loop": "src/demo_app.py",
}


# Which column's agent (re)writes an artifact a trick touched.
WRITER_OF = {"DESIGN.md": "Design Draft", "prd.json": "Planning Draft", "tests/test_atomic_01.py": "Tests Draft", "src/demo_app.py": "Ralph Loop"}


@named
def symlink_targets() -> st.SearchStrategy[str]:
    return st.sampled_from(POINTED)


@named
def tricks() -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(file_strategies.trick_args(), planted_symlinks())


MID_RUN_TEST_TRICKS = (
    {"kind": "edit", "path": "tests/test_atomic_01.py", "content": "def test_anything():\n    assert True\n"},
    {"kind": "write", "path": "tests/test_extra.py", "content": "def test_extra():\n    assert True\n"},
    {"kind": "delete", "path": "tests/test_atomic_01.py"},
)


@named
def mid_run_test_tricks() -> st.SearchStrategy[dict[str, Any]]:
    """What a person does to tests/ while Ralph runs: weaken the story's test, add a test file,
    delete the test."""
    return st.sampled_from(MID_RUN_TEST_TRICKS).map(dict)


@named
def race_kinds() -> st.SearchStrategy[tuple[str, str]]:
    """Two runners at once: a webhook delivery beside a poller or an orchestrator pass, two
    pollers, two orchestrators (two hosts, or a cron beside a loop)."""
    return st.sampled_from(
        [("webhook", "poll"), ("poll", "poll"), ("webhook", "webhook"), ("orchestrate", "poll"),
         ("webhook", "orchestrate"), ("orchestrate", "orchestrate")]
    )


RENAMES = ("lower", "no-number", "upper", "spaces", "zero-padded")


@named
def column_renames() -> st.SearchStrategy[str]:
    """How a person renames a column: case, the number prefix, spaces."""
    return st.sampled_from(RENAMES)


def renamed(title: str, how: str) -> str:
    """`title` renamed the way `how` says ("5. Plan Approved" -> "5. plan approved", ...)."""
    number, dot, name = title.partition(". ")
    if how == "lower":
        return title.lower()
    if how == "upper":
        return title.upper()
    if how == "no-number":
        return name if dot else title
    if how == "zero-padded":
        return f"{int(number):02d}. {name}" if dot and number.isdigit() else title
    if how == "spaces":
        return f" {number}.  {name} " if dot else f" {title} "
    raise ValueError(f"unknown rename {how!r}; known: {', '.join(RENAMES)}")


@named
def junk_answers() -> st.SearchStrategy[str]:
    """Kinds of junk a model keeps failing with, whatever the role: nothing, prose, junk."""
    return st.sampled_from(("empty", "prose", "broken_json", "syntax_error", "whitespace"))


WRITER_STAGES = ("Planning Draft", "Design Draft", "Tests Draft", "Ralph Loop", "Design Approved", "Plan Approved", "Tests Approved")


@named
def writer_stages() -> st.SearchStrategy[str]:
    """Columns whose agent writes or locks an artifact; writers first (they shrink first)."""
    return st.sampled_from(WRITER_STAGES)


@named
def trigger_column() -> st.SearchStrategy[int]:
    """An index into the target's trigger columns (taken modulo their number)."""
    return st.integers(0, 8)


@named
def any_column() -> st.SearchStrategy[int]:
    """An index into the target's columns (taken modulo its length)."""
    return st.integers(0, 11)


@named
def writer_answers() -> st.SearchStrategy[tuple[str, str, str]]:
    """(role, label, text) for the agents that write DESIGN.md, prd.json and tests."""
    return llm_strategies.labelled_answers(roles=("architect", "pm", "test"))


READ_METHODS = ("getTaskMetadata", "getTaskMetadataByName", "getTaskTags", "getTask", "getAllTasks", "getColumns")


@named
def read_faults() -> st.SearchStrategy[Any]:
    """Faults on the reads runners decide with: an error must never look like "no state"."""
    return fault_strategies.fault_specs(methods=READ_METHODS, kinds=("error", "falsy", "timeout"))


@named
def hostile_designs() -> st.SearchStrategy[tuple[str, str, str]]:
    """(role, label, text): hostile architect answers only."""
    return llm_strategies.answers("architect", "hostile").map(lambda a: (a.role, f"{a.quality}:{a.kind}", a.text))


# Partial failure, then a rollback that fails too: the first write on a spawned child (its
# metadata) fails, and the removal of that half-made child fails as well (nothing removed).
@named
def failed_rollbacks() -> st.SearchStrategy[list[Any]]:
    return st.tuples(st.sampled_from(["falsy", "error"]), st.sampled_from(["falsy", "error"])).map(
        lambda kinds: [
            fault_strategies.FaultSpec("saveTaskMetadata", kinds[0], 1, new_card=True),
            fault_strategies.FaultSpec("removeTask", kinds[1], 1),
        ]
    )


@named
def spawner_fault_plans() -> st.SearchStrategy[list[Any]]:
    """Faults for a first fan-out: the lost copy (the classic), a failed rollback, or a few
    drawn ones (none included)."""
    rollbacks = failed_rollbacks()
    lost_copy = st.just([fault_strategies.FaultSpec("duplicateTaskToProject", "lost", 1)])
    return st.one_of(st.lists(spawner_faults(), max_size=3), lost_copy, rollbacks)


@named
def manifest_troubles() -> st.SearchStrategy[dict[str, Any]]:
    """The lock manifest deleted, or corrupted in one of several ways."""
    corrupt = st.sampled_from(["{ this is not json", "", "null", "[]", '{"locks": 7}']).map(
        lambda text: {"kind": "corrupt_manifest", "content": text}
    )
    return st.one_of(corrupt, st.just({"kind": "delete_manifest"}))
