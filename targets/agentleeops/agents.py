"""Its agents: journaled wherever they are called from, and runnable directly on a card.

Invariants count agent runs per (card, agent, epoch), so every real call of one of its
`run_*_agent` functions is bracketed by `journal.agent_run`, whichever module holds the name
(its runners import them lazily from `agents.*`, its scripts at module level).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from harness.journal import Journal
from targets import base
from targets.agentleeops.llm import agent_context
from targets.agentleeops.modules import Loaded
from targets.agentleeops.patches import Patches

# Our agent name -> (its module, its function).
FUNCTIONS = {
    base.ARCHITECT: ("agents.architect", "run_architect_agent"),
    base.GOVERNANCE: ("agents.governance", "run_governance_agent"),
    base.PM: ("agents.pm", "run_pm_agent"),
    base.SPAWNER: ("agents.spawner", "run_spawner_agent"),
    base.TEST: ("agents.test_agent", "run_test_agent"),
    base.TEST_CODE: ("agents.test_code_agent", "run_test_code_agent"),
    base.RALPH: ("agents.ralph", "run_ralph_agent"),
    base.CODE_REVIEW: ("agents.code_review", "run_code_review_agent"),
}


def available(loaded: Loaded) -> tuple[str, ...]:
    """Our names of the agents this checkout has."""
    return tuple(
        agent for agent, (module, fn) in FUNCTIONS.items()
        if loaded.has(module) and callable(getattr(loaded.module(module), fn, None))
    )


def wrap_all(loaded: Loaded, patches: Patches, journal: Journal) -> None:
    """Replace every reference to one of its agent functions by a journaled wrapper."""
    wrappers: dict[int, Callable[..., Any]] = {}
    for agent in available(loaded):
        module, fn = FUNCTIONS[agent]
        original = getattr(loaded.module(module), fn)
        wrappers[id(original)] = _journaled(agent, original, journal)
    for module in loaded.every_module():
        for name, value in sorted(vars(module).items()):
            wrapper = wrappers.get(id(value))
            if wrapper is not None and callable(value):
                patches.setattr(module, name, wrapper)


def _journaled(agent: str, original: Callable[..., Any], journal: Journal) -> Callable[..., Any]:
    @functools.wraps(original)
    def run(*args: Any, **kwargs: Any) -> Any:
        task_id = kwargs["task_id"] if "task_id" in kwargs else (args[0] if args else 0)
        with journal.agent_run(agent, _as_int(task_id)) as outcome, agent_context(agent):
            result = original(*args, **kwargs)
            if isinstance(result, dict) and "success" in result:
                outcome["ok"] = bool(result["success"])
            return result

    return run


def _as_int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def call_args(loaded: Loaded, agent: str, kb: Any, task_id: int, project_id: int) -> dict[str, Any] | None:
    """The keyword arguments its runners pass this agent for this card; None when its runners
    would not run it (card missing, or its fields invalid)."""
    fields_mod = loaded.module("lib.task_fields")
    task = kb.get_task(task_id=task_id)
    if not task:
        return None
    try:
        fields = fields_mod.get_task_fields(kb, task_id)
    except fields_mod.TaskFieldError:
        return None
    args: dict[str, Any] = {
        "task_id": str(task_id),
        "title": task["title"],
        "dirname": fields["dirname"],
    }
    if agent in (base.ARCHITECT, base.PM):
        args["context_mode"] = fields.get("context_mode", "NEW")
        args["acceptance_criteria"] = fields.get("acceptance_criteria", "")
    if agent == base.GOVERNANCE:
        columns = kb.get_columns(project_id=project_id) or []
        args["column_title"] = next(
            (c["title"] for c in columns if str(c.get("id")) == str(task.get("column_id"))), ""
        )
    args["kb_client"] = kb
    args["project_id"] = project_id
    return args
