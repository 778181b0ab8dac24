"""Builders shared by the reports tests: journals, violations, traces and run results."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.journal import AGENT, CALL, FILE, STEP, Journal, acting_as
from harness.ledger import Finding
from harness.reports.findings import Row
from harness.reports.trace import Trace, make_trace
from harness.violation import Violation

ALL = ["G1", "G2", "G3", "G4", "I1", "I2", "I3", "I4", "R1", "R2", "K1"]

HOSTILE = 'card "..\\x" """ | <b>\n\x00 \ud800 раth -rf'  # quotes, pipe, HTML, NUL, surrogate, look-alikes


def step(text: str, rule: str = "move", **args: Any) -> dict[str, Any]:
    return {"rule": rule, "args": args, "text": text}


def g1_world() -> tuple[Journal, Violation, list[dict[str, Any]]]:
    """A ratchet run: DESIGN.md locked, deleted by a human, rewritten by the webhook runner."""
    journal = Journal()
    steps = [
        step("card #1 moved to 3. Design Approved", task_id=1, column="3. Design Approved"),
        step("file trick: delete DESIGN.md of card #1", rule="trick", trick="delete"),
        step("webhook task.move.column delivered for card #1", rule="deliver", task_id=1),
    ]
    for n, s in enumerate(steps, 1):
        journal.step = n
        journal.record(STEP, s)
    with acting_as("webhook"):
        journal.record(
            CALL, {"method": "getTask", "params": {"task_id": 1}, "outcome": "ok", "result": {}}
        )
        bad = journal.record(FILE, {"op": "write", "path": "/sandbox/home/projects/demo/DESIGN.md"})
    violation = Violation(
        "G1",
        "DESIGN.md of card #1 rewritten after it was locked",
        "targets/mutants/lock_if_exists.py:write",
        (bad,),
        {"mode": "lock-if-exists", "path": "DESIGN.md"},
        kind="overwrote (recreating it after a delete)",
        entrypoint="webhook",
    )
    return journal, violation, steps


def i1_violation(card: int = 3) -> Violation:
    journal = Journal()
    journal.step = 2
    with acting_as("webhook"):
        journal.record(AGENT, {"agent": "spawner", "task_id": card, "phase": "start"})
        dup = journal.record(AGENT, {"agent": "spawner", "task_id": card, "phase": "start"})
    return Violation(
        "I1",
        f"agent spawner ran twice on card #{card} in one epoch",
        "targets/mutants/no_dedupe.py:handle_event",
        (dup,),
        {"mode": "duplicate-delivery"},
        kind="an agent ran twice in one epoch",
        entrypoint="webhook",
    )


def i3_violation() -> Violation:
    return Violation(
        "I3", "epic #2 has 21 children (cap 20)", "targets/mutants/cap_per_run.py:spawn", (), {},
        kind="more children than the cap",
    )


def g1_trace(**overrides: Any) -> Trace:
    journal, violation, steps = g1_world()
    fields: dict[str, Any] = {
        "target": "mutant:lock-if-exists",
        "target_version": "reference+lock-if-exists",
        "machine": "RatchetMachine",
        "seed": 1234,
        "face": "inproc",
        "steps": steps,
        "violation": violation,
        "journal": journal,
        "hypothesis_program": "state = RatchetMachine()\nstate.move(task_id=1)\nstate.teardown()\n",
    }
    fields.update(overrides)
    return make_trace(**fields)


@dataclass
class Work:
    """What a machine did, as findings.md reads it (the campaign's MachineReport shape)."""

    cls_name: str = "RatchetMachine"
    checks: tuple[str, ...] = tuple(ALL)
    examples: int = 40
    test_calls: int = 40
    steps: int = 600
    seconds: float = 2.5
    budget_seconds: float | None = None
    stopped: str | None = None


def finding(
    violation: Violation,
    *,
    machine: str = "RatchetMachine",
    steps: list[dict[str, Any]] | None = None,
    hits: int = 3,
    seed: int | None = 1234,
    shrunk: bool = True,
    shrink_note: str = "",
) -> Finding:
    steps = list(steps if steps is not None else [step("card #1 moved to 2. Design Draft")])
    return Finding(signature=violation.signature, violation=violation,
                   trace={"steps": steps, "journal": list(violation.evidence), "face": "inproc"},
                   program="", machine=machine, seed=seed, shrunk=shrunk, shrink_note=shrink_note, hits=hits,
                   found_after_examples=12, found_after_seconds=4.0)


def row(violation: Violation, number: int = 1, **kwargs: Any) -> Row:
    return Row(number, finding(violation, **kwargs))
