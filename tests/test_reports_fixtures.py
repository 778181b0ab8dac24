"""Builders shared by the reports tests: journals, violations, traces and run results."""

from __future__ import annotations

from typing import Any

from harness.journal import AGENT, CALL, FILE, STEP, Journal, acting_as
from harness.reports.findings import RunResult
from harness.reports.trace import Trace, make_trace
from harness.violation import Violation

ALL = ["G1", "G2", "G3", "G4", "I1", "I2", "I3", "I4"]

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
    )


def i3_violation() -> Violation:
    return Violation(
        "I3", "epic #2 has 21 children (cap 20)", "targets/mutants/cap_per_run.py:spawn", (), {}
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


def result(
    violation: Violation | None = None,
    *,
    machine: str = "RatchetMachine",
    target: str = "mutant:lock-if-exists",
    examples: int = 40,
    steps_run: int = 600,
    seed: int | None = 1234,
    checked: list[str] | None = None,
    steps: list[dict[str, Any]] | None = None,
    seconds: float = 2.5,
) -> RunResult:
    return RunResult(
        machine=machine,
        target=target,
        examples_run=examples,
        steps_run=steps_run,
        seconds=seconds,
        seed=seed,
        violation=violation,
        invariants_checked=list(ALL if checked is None else checked),
        steps=list(
            steps
            if steps is not None
            else ([step("card #1 moved to 2. Design Draft")] if violation else [])
        ),
    )
