"""Scenes: the steps that bring a card to where a focused machine starts exploring.

A scene is ordinary steps (human moves and orchestrator passes), so it shows in the repro
steps like anything else; it only saves the fuzzer from rediscovering the pipeline's happy
path before it can reach Ralph or the spawner.
"""

from __future__ import annotations

from typing import Any

from harness.machines.base import FuzzMachine

DIRNAME = "demo-app"
EPIC_FIELDS = {"dirname": DIRNAME, "context_mode": "NEW"}
STAGES = ("Design Draft", "Design Approved", "Planning Draft", "Plan Approved")


def new_epic(machine: FuzzMachine, title: str = "Epic: calculator", dirname: str = DIRNAME) -> int:
    applied = machine.run_step(
        "create_card",
        title=title,
        description=f"dirname: {dirname}\ncontext_mode: NEW",
        metadata={**EPIC_FIELDS, "dirname": dirname},
        tags=[],
        column=machine.columns[0],
    )
    assert applied.card is not None
    return applied.card


def drive(machine: FuzzMachine, card: int, stage: str) -> None:
    """Move the card into the column named like `stage` and let one orchestrator pass act."""
    machine.run_step("move", card=card, column=machine.column(stage))
    machine.run_step("orchestrate")


def epic_through(machine: FuzzMachine, last_stage: str, prd_text: str | None = None,
                 dirname: str = DIRNAME) -> int:
    """A new epic driven column by column up to and including `last_stage`."""
    card = new_epic(machine, dirname=dirname)
    for stage in STAGES:
        if stage == "Planning Draft" and prd_text is not None:
            machine.run_step("llm", role="pm", answer=prd_text, label="drawn prd.json")
        drive(machine, card, stage)
        if stage == last_stage:
            break
    return card


def children_of(machine: FuzzMachine, epic: int) -> list[int]:
    """Active cards that name the epic as parent (metadata or link), oldest first."""
    kb = machine.world.kanboard
    found = []
    for task in kb.tasks():
        tid = int(task["id"])
        if tid == epic:
            continue
        meta = kb.metadata(tid)
        linked = any(int(link["task_id"]) == epic for link in kb.links(tid))
        if meta.get("parent_id") == str(epic) or linked:
            found.append(tid)
    return sorted(found)


CHILD_STAGES = ("Tests Draft", "Tests Approved")


def child_at_ralph(machine: FuzzMachine) -> tuple[int, int]:
    """An epic with one story fanned out, then its child walked as the real board walks it:
    wherever the spawner left it, a person moves it to each next column and the target's own
    agents act (test agent, test code, governance); then it is moved to Ralph Loop."""
    from strategies.prd import prd_document_text

    epic = epic_through(machine, "Plan Approved", prd_text=prd_document_text(1))
    kids = children_of(machine, epic)
    if not kids:
        return epic, epic
    child = kids[0]
    for stage in CHILD_STAGES:
        drive(machine, child, stage)
    machine.run_step("move", card=child, column=machine.column("Ralph Loop"))
    return epic, child


def describe(machine: FuzzMachine, card: int) -> dict[str, Any]:
    kb = machine.world.kanboard
    task = kb.task(card) or {}
    return {"id": card, "column": kb.column_title(task.get("column_id", 0)) if task else None}
