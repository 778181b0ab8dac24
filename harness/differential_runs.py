"""Differential runs: one board scenario, several ways of processing it, outcomes compared.

G3 processes the same human moves through the webhook, the poller and a manual CLI run; I1
delivers the same webhooks with and without exact duplicates. Each variant gets a fresh
world, so the only difference between them is the entrypoint (or the duplicates).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from harness.config import make_target
from harness.differential import compare, outcome
from harness.machines.scenes import DIRNAME, EPIC_FIELDS
from harness.steps import Step, apply, pending_webhooks
from harness.violation import Violation
from harness.world import World

Process = Callable[[World, int], None]


@dataclass(frozen=True)
class Scenario:
    """A card created in the first column, then moved to each column index in turn."""

    moves: tuple[int, ...]
    face: str = "inproc"

    def describe(self, columns: Sequence[str]) -> list[str]:
        return [f"card moved to {columns[i % len(columns)]}" for i in self.moves]


def _deliver_all(world: World, card: int, duplicates: Sequence[int] = ()) -> None:
    while pending_webhooks(world):
        apply(world, Step("deliver", {"copies": 2 if world.delivery_cursor in duplicates else 1}))


def _poll(world: World, card: int) -> None:
    apply(world, Step("poll", {"ticks": 1}))


def _cli(world: World, card: int) -> None:
    scripts = world.target.cli_scripts
    if scripts:
        apply(world, Step("cli", {"script": scripts[0], "args": world.target.cli_argv(scripts[0], card)}))


ENTRYPOINTS: dict[str, Process] = {"webhook": _deliver_all, "poller": _poll, "cli": _cli}


def run_variant(scenario: Scenario, process: Process) -> dict:
    world = World(make_target(), face=scenario.face)
    try:
        card = apply(
            world,
            Step("create_card", {"title": "Epic", "description": f"dirname: {DIRNAME}",
                                 "metadata": dict(EPIC_FIELDS), "column": world.target.columns[0]}),
        ).card
        process(world, card)
        for index in scenario.moves:
            apply(world, Step("move", {"card": card, "column": world.target.columns[index % len(world.target.columns)]}))
            process(world, card)
        return outcome(world)
    finally:
        world.close()


def check_entrypoints_agree(scenario: Scenario) -> list[Violation]:
    """G3, differential form: every entrypoint reaches the same gate decisions and locks."""
    outcomes = {name: run_variant(scenario, process) for name, process in ENTRYPOINTS.items()}
    return compare(outcomes, invariant="G3")


def check_duplicates_change_nothing(scenario: Scenario, duplicates: Sequence[int]) -> list[Violation]:
    """I1, differential form: the same deliveries with exact duplicates give the same outcome."""
    once = run_variant(scenario, _deliver_all)
    twice = run_variant(scenario, lambda world, card: _deliver_all(world, card, duplicates))
    return compare({"once": once, "with duplicates": twice}, invariant="I1")
