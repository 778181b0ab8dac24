"""Rule families machines are assembled from: humans, runners, deliveries, faults, the
model, file tricks and races. Each family is a mixin of Hypothesis rules over the shared
`cards` and `deliveries` bundles, so a focused machine is just a choice of families.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, consumes, multiple, rule

from harness.machines import draws
from harness.machines.base import FuzzMachine
from harness.steps import pending_webhooks

cards = Bundle("cards")
deliveries = Bundle("deliveries")


class HumanRules(FuzzMachine):
    """Mis-clicks and edits a person makes on the board."""

    @rule(target=cards, spec=draws.card_specs())
    def create_card(self, spec: Any) -> int:
        """A card made in the web UI's form. Its install's required fields must be filled
        for the form to save: a person types the value the card declares (in its
        description) there too; a card that declares none is refused."""
        metadata = dict(spec.metadata)
        for name, required in self.world.target.custom_fields:
            declared = spec.declared_fields().get(name)
            if required and not metadata.get(name) and declared:
                metadata[name] = declared
        applied = self.run_step(
            "create_card",
            title=spec.title,
            description=spec.description,
            metadata=metadata,
            tags=list(spec.tags),
            column=self.columns[0],
        )
        return applied.card if applied.card is not None else multiple()  # refused: no card

    @rule(card=cards, index=st.integers(0, 30))
    def move(self, card: int, index: int) -> None:
        self.run_step("move", card=card, column=self.columns[index % len(self.columns)])

    @rule(card=cards)
    def advance(self, card: int) -> None:
        """Move a card one column forward: how work normally progresses."""
        task = self.world.kanboard.task(card)
        if not task:
            return
        titles = self.columns
        current = self.world.kanboard.column_title(task["column_id"])
        position = titles.index(current) if current in titles else 0
        self.run_step("move", card=card, column=titles[min(position + 1, len(titles) - 1)])

    @rule(card=cards, dirname=draws.dirnames())
    def change_dirname(self, card: int, dirname: str) -> None:
        self.run_step("set_metadata", card=card, name="dirname", value=dirname)

    @rule(card=cards, title=draws.card_titles())
    def edit_title(self, card: int, title: str) -> None:
        """A person retitles a card in the task form (it fires task.update, as the UI does)."""
        self.run_step("edit_title", card=card, title=title)

    @rule(card=cards, dirname=draws.dirnames(), words=draws.card_titles())
    def edit_description(self, card: int, dirname: str, words: str) -> None:
        """A person rewrites a card's description in the task form: its `dirname:` line (where
        a card declares its fields when it has no metadata) and a line of words."""
        task = self.world.kanboard.task(card)
        if not task:
            return
        kept = [line for line in str(task.get("description") or "").splitlines()
                if not line.strip().lower().startswith("dirname:")]
        self.run_step("edit_description", card=card, description="\n".join([f"dirname: {dirname}", *kept, words]))

    @rule(card=cards, name=draws.metadata_names())
    def delete_field(self, card: int, name: str) -> None:
        self.run_step("delete_metadata", card=card, name=name)

    @rule(card=cards, tags=draws.tag_lists())
    def set_tags(self, card: int, tags: list[str]) -> None:
        self.run_step("set_tags", card=card, tags=tags)

    @rule(card=cards, index=st.integers(0, 5))
    def delete_link(self, card: int, index: int) -> None:
        self.run_step("delete_link", card=card, index=index)

    @rule(card=consumes(cards))
    def delete_card(self, card: int) -> None:
        self.run_step("delete_card", card=card)


class RunnerRules(FuzzMachine):
    """The target's entrypoints run one at a time."""

    @rule()
    def orchestrate(self) -> None:
        self.run_step("orchestrate")

    @rule(ticks=st.integers(1, 2))
    def poll(self, ticks: int) -> None:
        self.run_step("poll", ticks=ticks)

    @rule(card=cards, agent=draws.agents())
    def run_agent(self, card: int, agent: str) -> None:
        self.run_step("run_agent", agent=agent, card=card)

    @rule(card=cards, data=st.data())
    def cli(self, card: int, data: st.DataObject) -> None:
        scripts = self.world.target.cli_scripts
        if not scripts:
            return
        script = data.draw(st.sampled_from(scripts), label="script")
        self.run_step("cli", script=script, args=self.world.target.cli_argv(script, card))


class DeliveryRules(FuzzMachine):
    """Kanboard's webhooks reaching the target: on time, twice, late, mangled."""

    @rule(target=deliveries, copies=st.integers(1, 3), token=draws.tokens())
    def deliver(self, copies: int, token: str) -> Any:
        if not pending_webhooks(self.world):
            return len(self.world.delivered) - 1
        self.run_step("deliver", copies=copies, token=token)
        return len(self.world.delivered) - 1

    @rule(delivery=deliveries)
    def redeliver(self, delivery: int) -> None:
        if delivery >= 0:
            self.run_step("redeliver", index=delivery)

    @rule(body=draws.malformed_bodies())
    def deliver_malformed(self, body: str) -> None:
        self.run_step("deliver_raw", body=body)


class FaultRules(FuzzMachine):
    """Kanboard failing: errors, falsy results, timeouts, lost responses."""

    @rule(fault=draws.faults())
    def fault(self, fault: Any) -> None:
        self.plan_fault(fault)


class ModelRules(FuzzMachine):
    """What the model answers next, for any role: good, junk or hostile."""

    @rule(answer=draws.llm_answers())
    def script_model(self, answer: Any) -> None:
        role, label, text = answer
        self.run_step("llm", role=role, answer=text, label=label)


class TrickRules(FuzzMachine):
    """Hand-made file tricks on a card's workspace."""

    @rule(card=cards, trick=draws.tricks())
    def trick(self, card: int, trick: dict[str, Any]) -> None:
        self.run_step("trick", card=card, **trick)


class RaceRules(FuzzMachine):
    """Two runners at once, their Kanboard calls interleaved by drawn turns."""

    @rule(data=st.data(), kinds=draws.race_kinds())
    def race(self, data: st.DataObject, kinds: tuple[str, str]) -> None:
        pending = pending_webhooks(self.world)
        label = "duplicate deliveries racing" if kinds == ("webhook", "webhook") else " + ".join(kinds)
        self.run_race(self.race_runners(kinds, pending[0] if pending else None), data, label)
