"""The state machines: focused ones that reach one class of defect fast, and a combined one.

Each is a RuleBasedStateMachine over the same action language (harness/steps.py) and the
same checkers (harness/invariants); they differ only in where they start and which rule
families they mix in.
"""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import initialize, rule

from harness.machines import draws, scenes
from harness.machines.rules import (
    DeliveryRules,
    FaultRules,
    HumanRules,
    ModelRules,
    RaceRules,
    RunnerRules,
    TrickRules,
    cards,
)


class GovernanceMachine(HumanRules, RunnerRules, DeliveryRules, TrickRules, ModelRules):
    """Ratchet and path safety: locked artifacts, aliases, symlinks, manifests, card text."""

    checks = ("G1", "G3", "G4")

    @initialize(target=cards)
    def approved_design(self) -> int:
        return scenes.epic_through(self, "Design Approved")


class RalphMachine(RunnerRules, TrickRules, ModelRules):
    """Ralph against hostile code: tests must not change, commits must not touch tests/."""

    checks = ("G1", "G2", "G4")

    @initialize(target=cards)
    def child_in_ralph_loop(self) -> int:
        _, child = scenes.child_at_ralph(self)
        return child

    @rule(answer=draws.coder_answers(), card=cards, how=st.sampled_from(["orchestrate", "run_agent", "poll"]))
    def ralph_with_answer(self, answer: tuple[str, str, str], card: int, how: str) -> None:
        role, label, text = answer
        self.run_step("llm", role=role, answer=text, label=label)
        if how == "run_agent":
            self.run_step("run_agent", agent="ralph", card=card)
        elif how == "poll":
            self.run_step("poll", ticks=1)
        else:
            self.run_step("orchestrate")


class SpawnerMachine(HumanRules, RunnerRules, FaultRules, TrickRules):
    """Fan-out under reruns, partial failures, lost responses and floods."""

    checks = ("I2", "I3", "G4")

    @initialize(target=cards, prd=draws.prd_texts())
    def approved_plan(self, prd: str) -> int:
        return scenes.epic_through(self, "Planning Draft", prd_text=prd)

    @rule(card=cards, fault=draws.spawner_faults(), how=st.sampled_from(["orchestrate", "run_agent", "poll"]))
    def spawn_with_fault(self, card: int, fault, how: str) -> None:
        self.run_step("fault", method=fault.method, kind=fault.kind, occurrence=fault.occurrence)
        if how == "run_agent":
            self.run_step("run_agent", agent="spawner", card=card)
        elif how == "poll":
            self.run_step("poll", ticks=1)
        else:
            self.run_step("orchestrate")

    @rule(card=cards, data=st.data())
    def spawners_race(self, card: int, data: st.DataObject) -> None:
        runners = [{"entry": "run_agent", "agent": "spawner", "card": card}, {"entry": "orchestrate"}]

        def choose(names):
            return data.draw(st.integers(0, len(names) - 1), label="turn")

        self.run_step("race", runners=runners, choose=choose, label="two spawner runs")


class WebhookMachine(HumanRules, RunnerRules, DeliveryRules, RaceRules, FaultRules):
    """Webhook + orchestrator + poller: duplicates, reorderings, races and read failures."""

    checks = ("I1", "I4", "G3", "G4")

    @initialize(target=cards)
    def epic(self) -> int:
        return scenes.new_epic(self)


class CombinedMachine(
    HumanRules, RunnerRules, DeliveryRules, RaceRules, FaultRules, TrickRules, ModelRules
):
    """Every actor at once: the nightly machine."""

    @initialize(target=cards)
    def epic(self) -> int:
        return scenes.new_epic(self)


MACHINES = {
    "governance": GovernanceMachine,
    "ralph": RalphMachine,
    "spawner": SpawnerMachine,
    "webhook": WebhookMachine,
    "combined": CombinedMachine,
}
