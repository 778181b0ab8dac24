"""The state machines: focused ones that reach one class of defect fast, and a combined one.

Each is a RuleBasedStateMachine over the same action language (harness/steps.py) and the
same checkers (harness/invariants). Focused machines start from a scene (a card already
part-way through the pipeline) and use composite rules — a mis-click or trick followed by a
runner — so a defect is one or two rule draws away, which is what lets the bounded `ci`
profile find it.
"""

from __future__ import annotations

import re
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import initialize, precondition, rule

from harness.llm import AGENT_ROLES
from harness.machines import draws, scenes
from harness.machines.base import FuzzMachine
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
from harness.steps import pending_webhooks
from strategies.llm import junk_answer

VIA = ("deliver", "orchestrate", "poll", "cli", "run_agent")


class Focused(FuzzMachine):
    """Helpers shared by the focused machines: move a card, then let one runner act."""

    def process(self, card: int, via: str) -> None:
        """Let the runner `via` act on the board as it now stands."""
        if via == "deliver":
            self.deliver_all()
        elif via == "orchestrate":
            self.run_step("orchestrate")
        elif via == "poll":
            self.run_step("poll", ticks=1)
        elif via == "cli" and self.world.target.cli_scripts:
            script = self.world.target.cli_scripts[0]
            self.run_step("cli", script=script, args=self.world.target.cli_argv(script, card))
        else:
            agent = self.agent_for(card)
            if agent:
                self.run_step("run_agent", agent=agent, card=card)

    def deliver_all(self, copies: int = 1, token: str = "ok") -> None:
        """Hand over every webhook Kanboard emitted so far, in order, as Kanboard would have."""
        while pending_webhooks(self.world):
            self.run_step("deliver", copies=copies, token=token)

    def agent_for(self, card: int) -> str | None:
        task = self.world.kanboard.task(card)
        if not task:
            return None
        return self.world.target.triggers.get(self.world.kanboard.column_title(task["column_id"]) or "")

    def move_then(self, card: int, column: str, via: str) -> None:
        self.run_step("move", card=card, column=column)
        self.process(card, via)

    def stage(self, name: str) -> str:
        return self.column(name)

    def rename_then_process(self, card: int, column: str, how: str, via: str) -> None:
        """A trigger column renamed (case, number prefix, spaces), then the card moved into
        it and a runner acting: every entrypoint must still route and gate it the same way."""
        self.run_step("rename_column", column=column, to=draws.renamed(column, how))
        self.move_then(card, column, via)

    def model_keeps_failing(self, card: int, column: int, kind: str, times: int, via: str) -> None:
        """The card enters a column whose agent asks the model, the model answers junk run
        after run, and the runner keeps coming back (polls, redeliveries, passes): a failing
        agent must not be re-run without bound, and each failure must show on its card (R1)."""
        asking = [c for c in self.columns if AGENT_ROLES.get(self.world.target.triggers.get(c, ""))]
        if not asking:
            return
        target = asking[column % len(asking)]
        role = AGENT_ROLES[self.world.target.triggers[target]]
        for _ in range(times + 1):
            self.run_step("llm", role=role, answer=junk_answer(role, kind), label=f"junk:{kind}")
        self.run_step("move", card=card, column=target)
        for _ in range(times + 1):
            if via == "deliver" and not pending_webhooks(self.world) and self.world.delivered:
                self.run_step("redeliver", index=len(self.world.delivered) - 1)
            else:
                self.process(card, via)


class GovernanceMachine(Focused):
    """Ratchet and path safety: locked artifacts vs deletes, aliases, symlinks, manifests,
    hostile dirnames and model answers, through every entrypoint."""

    checks = ("G1", "G3", "G4", "R1", "K1")

    @initialize(target=cards)
    def approved_design(self) -> int:
        return scenes.epic_through(self, "Design Approved")

    @rule(card=cards, stage=draws.writer_stages(), via=st.sampled_from(VIA))
    def retrigger(self, card: int, stage: str, via: str) -> None:
        """A mis-click back into a column whose agent writes an artifact."""
        self.move_then(card, self.stage(stage), via)

    @rule(card=cards, stage=draws.writer_stages(), to=draws.symlink_targets(), via=st.sampled_from(VIA))
    def plant_then_retrigger(self, card: int, stage: str, to: str, via: str) -> None:
        """A symlink planted where the stage's agent writes, pointing at an approved artifact
        or outside the workspace; then the card re-enters that stage."""
        path = draws.OUTPUT_OF.get(stage)
        if path is not None and path != to:
            self.run_step("trick", card=card, kind="symlink_over", path=path, to=to)
        self.move_then(card, self.stage(stage), via)

    @rule(card=cards, trick=draws.tricks(), via=st.sampled_from(VIA))
    def tamper_then_retrigger(self, card: int, trick: dict[str, Any], via: str) -> None:
        """A file trick on the workspace, then the card re-enters the column whose agent
        writes the tricked artifact (Design Draft for the manifest and anything else)."""
        self.run_step("trick", card=card, **trick)
        stage = draws.WRITER_OF.get(str(trick.get("path", "")), "Design Draft")
        self.move_then(card, self.stage(stage), via)

    @rule(card=cards, how=draws.manifest_troubles(), via=st.sampled_from(VIA))
    def manifest_trouble(self, card: int, how: dict[str, Any], via: str) -> None:
        """The lock manifest is corrupted or deleted, then an agent that writes runs again."""
        self.run_step("trick", card=card, **how)
        self.move_then(card, self.stage("Design Draft"), via)

    @rule(target=cards, dirname=draws.dirnames(), via=st.sampled_from(VIA))
    def new_card(self, dirname: str, via: str) -> int:
        """Someone files a card whose `dirname` may be hostile; it goes to Design Draft."""
        card = self.run_step(
            "create_card", title="Story", description=f"dirname: {dirname}",
            metadata={"dirname": dirname, "context_mode": "NEW"}, tags=[], column=self.columns[0],
        ).card
        self.move_then(card, self.stage("Design Draft"), via)
        return card

    @rule(card=cards, answer=draws.hostile_designs(), via=st.sampled_from(VIA))
    def hostile_design(self, card: int, answer: tuple[str, str, str], via: str) -> None:
        """The architect model answers with hostile text (paths, aliases, field lines) and the
        card goes back to Design Draft."""
        role, label, text = answer
        self.run_step("llm", role=role, answer=text, label=label)
        self.move_then(card, self.stage("Design Draft"), via)

    @rule(card=cards, answer=draws.writer_answers(), stage=draws.writer_stages(), via=st.sampled_from(VIA))
    def model_then_retrigger(self, card: int, answer: tuple[str, str, str], stage: str, via: str) -> None:
        """The model answers badly (junk or hostile paths), then its agent runs."""
        role, label, text = answer
        self.run_step("llm", role=role, answer=text, label=label)
        self.move_then(card, self.stage(stage), via)

    @rule(card=cards, column=draws.any_column(), via=st.sampled_from(VIA))
    def misclick(self, card: int, column: int, via: str) -> None:
        """Any column at all, approvals skipped included, then a runner."""
        self.move_then(card, self.columns[column % len(self.columns)], via)

    @rule(card=cards, artifact=st.sampled_from(("DESIGN.md", "prd.json")), clear=st.booleans(),
          via=st.sampled_from(VIA))
    def edit_then_reapprove(self, card: int, artifact: str, clear: bool, via: str) -> None:
        """A person edits an approved (locked) artifact by hand, maybe clears the card's tags
        to retry, and the approval runs again: the re-lock must keep the first hash (G1)."""
        draft, approved = APPROVAL[artifact]
        self.run_step("trick", card=card, kind="edit", path=artifact,
                      content=f"# {artifact} edited by hand after approval\n")
        if clear:
            self.run_step("set_tags", card=card, tags=[])
        self.move_then(card, self.stage(draft), via)
        self.move_then(card, self.stage(approved), via)

    @rule(card=cards, column=draws.trigger_column(), how=draws.column_renames(), via=st.sampled_from(VIA))
    def renamed_column(self, card: int, column: int, how: str, via: str) -> None:
        triggers = [c for c in self.columns if c in self.world.target.triggers]
        self.rename_then_process(card, triggers[column % len(triggers)], how, via)


# Where each artifact is drafted and approved.
APPROVAL = {"DESIGN.md": ("Design Draft", "Design Approved"), "prd.json": ("Planning Draft", "Plan Approved")}


class RalphMachine(Focused):
    """Ralph against hostile code: tests must not change, commits must not touch tests/."""

    checks = ("G1", "G2", "G3", "G4", "R1", "K1")
    budget = 0.2

    @initialize(target=cards)
    def child_in_ralph_loop(self) -> int:
        _, child = scenes.child_at_ralph(self)
        return child

    @rule(card=cards, answer=draws.coder_answers(), via=st.sampled_from(VIA))
    def ralph_runs(self, card: int, answer: tuple[str, str, str], via: str) -> None:
        """The coder model's next answer is drawn, then Ralph runs (a new epoch if needed)."""
        role, label, text = answer
        self.run_step("llm", role=role, answer=text, label=label)
        self.run_step("move", card=card, column=self.stage("Tests Approved"))
        self.move_then(card, self.stage("Ralph Loop"), via)

    @rule(card=cards, answer=draws.coder_answers(), trick=draws.mid_run_test_tricks(), via=st.sampled_from(VIA))
    def tests_changed_mid_run(self, card: int, answer: tuple[str, str, str], trick: dict[str, Any],
                              via: str) -> None:
        """A person changes tests/ while Ralph waits for the model: no such change may
        survive the run (the guard must see unstaged edits and new files, not only staged)."""
        role, label, text = answer
        self.run_step("llm", role=role, answer=text, label=label, meanwhile={"card": card, **trick})
        self.run_step("move", card=card, column=self.stage("Tests Approved"))
        self.move_then(card, self.stage("Ralph Loop"), via)

    @rule(card=cards, trick=draws.tricks())
    def tamper(self, card: int, trick: dict[str, Any]) -> None:
        self.run_step("trick", card=card, **trick)


class SpawnerMachine(Focused):
    """Fan-out under reruns, partial failures, lost responses, human deletions and floods."""

    checks = ("I2", "I3", "I4", "G3", "G4", "R1", "K1")
    # its examples are cheap, and its defects need two draws to line up (a fan-out, then a
    # reopened and grown plan, or a race whose one preemption lands inside a tag update)
    budget = 2.0

    @initialize(target=cards, prd=draws.spawner_prds(), faults=draws.spawner_fault_plans(),
                via=st.sampled_from((*VIA, "race")), data=st.data())
    def first_fan_out(self, prd: str, faults: list[Any], via: str, data: st.DataObject) -> int:
        """An epic planned with a drawn prd.json, then its first fan-out under drawn faults
        (the run where partial failures hurt most: nothing exists yet), by one runner or by
        two at once (the first epoch is the one whose status tags are all new)."""
        card = scenes.epic_through(self, "Planning Draft", prd_text=prd)
        for fault in faults:
            self.plan_fault(fault)
        if via == "race":
            self.run_step("move", card=card, column=self.stage("Plan Approved"))
            self._race_on(card, data)
        else:
            self.move_then(card, self.stage("Plan Approved"), via)
        return card

    def _race_on(self, card: int, data: st.DataObject) -> None:
        """The orchestrator and a second runner (a poller, or the spawner run by hand) at once."""
        second = data.draw(st.sampled_from(["poll", "run_agent"]), label="second runner")
        other = {"entry": "poll"} if second == "poll" else {"entry": "run_agent", "agent": "spawner", "card": card}
        self.run_race([{"entry": "orchestrate"}, other], data, "two spawner runs")

    def _respawn(self, card: int, via: str) -> None:
        task = self.world.kanboard.task(card)
        if task and self.world.kanboard.column_title(task["column_id"]) == self.stage("Plan Approved"):
            self.run_step("move", card=card, column=self.stage("Planning Draft"))
        self.move_then(card, self.stage("Plan Approved"), via)

    @rule(card=cards, via=st.sampled_from(VIA))
    def spawn(self, card: int, via: str) -> None:
        """The epic (re-)enters Plan Approved and a runner fans it out."""
        self._respawn(card, via)

    @rule(card=cards, fault=draws.spawner_faults(), via=st.sampled_from(VIA))
    def spawn_with_fault(self, card: int, fault: Any, via: str) -> None:
        """One of the fan-out's calls fails (a lost response first), during a (re-)spawn."""
        self.plan_fault(fault)
        self._respawn(card, via)

    @rule(card=cards, prd=draws.grown_prds(), via=st.sampled_from(VIA))
    def edit_plan_then_respawn(self, card: int, prd: str, via: str) -> None:
        """prd.json edited behind the ratchet's back while locked (grown past the cap, or
        shrunk), then the epic re-enters Plan Approved."""
        self.run_step("trick", card=card, kind="write", path="prd.json", content=prd)
        self._respawn(card, via)

    @rule(card=cards, prd=draws.grown_prds(), via=st.sampled_from(VIA))
    def replan_then_respawn(self, card: int, prd: str, via: str) -> None:
        """The plan reopened with the explicit unlock and edited (grown past the cap, or
        shrunk), the model writing the same plan should the PM run again; the epic re-enters
        Plan Approved, whose approval locks the new plan: the cap counts across runs."""
        self.run_step("unlock", card=card, path="prd.json", reason="the plan changed")
        self.run_step("llm", role="pm", answer=prd, label="the edited plan")
        self.run_step("trick", card=card, kind="write", path="prd.json", content=prd)
        self._respawn(card, via)

    @rule(card=cards, index=st.integers(0, 5))
    def delete_link(self, card: int, index: int) -> None:
        self.run_step("delete_link", card=card, index=index)

    @precondition(lambda self: len(self.world.kanboard.tasks()) > len(self.cards))
    @rule(index=st.integers(0, 30))
    def delete_child(self, index: int) -> None:
        """A person deletes a spawned card (never an epic: the rules keep acting on those)."""
        tasks = sorted(int(t["id"]) for t in self.world.kanboard.tasks() if int(t["id"]) not in self.cards)
        if tasks:
            self.run_step("delete_card", card=tasks[index % len(tasks)])

    @precondition(lambda self: len(self.world.kanboard.tasks()) > len(self.cards))
    @rule(index=st.integers(0, 30), retitle=draws.child_retitles())
    def retitle_child(self, index: int, retitle: tuple[str, str]) -> None:
        """A person retitles a spawned card: drops its `[id]`, keeps it, takes another
        child's, or types a new title (maybe hostile); reruns must still know the card by its
        other marks."""
        how, words = retitle
        children = {int(t["id"]): str(t.get("title") or "") for t in self.world.kanboard.tasks()
                    if int(t["id"]) not in self.cards}
        if not children:
            return
        card = sorted(children)[index % len(children)]
        ids = {c: m.group(1) for c, t in children.items() if (m := re.match(r"\[([^\]]+)\]", t))}
        if how == "keep the story id" and card in ids:
            words = f"[{ids[card]}] {words}"
        elif how == "take another child's story id":
            others = sorted(i for c, i in ids.items() if c != card)
            if others:
                words = f"[{others[index % len(others)]}] {words}"
        elif how == "drop the story id":
            words = re.sub(r"^\s*\[[^\]]*\]\s*", "", children[card]) or words
        self.run_step("edit_title", card=card, title=words)

    @rule(target=cards, prd=draws.spawner_prds(), data=st.data())
    def another_epic_raced(self, prd: str, data: st.DataObject) -> int:
        """Another epic (its own workspace) is planned, and its first fan-out is raced: the
        epoch in which every status tag is new, so a stale tag write erases one for good."""
        epics = sum(1 for step in self.steps if step["rule"] == "create_card")
        card = scenes.epic_through(self, "Planning Draft", prd_text=prd,
                                   dirname=f"{scenes.DIRNAME}-{epics + 1}")
        self.run_step("move", card=card, column=self.stage("Plan Approved"))
        self._race_on(card, data)
        return card

    @rule(card=cards, data=st.data())
    def spawners_race(self, card: int, data: st.DataObject) -> None:
        """The epic re-enters Plan Approved and two runners act on it at once."""
        self.run_step("move", card=card, column=self.stage("Planning Draft"))
        self.run_step("move", card=card, column=self.stage("Plan Approved"))
        self._race_on(card, data)


class WebhookMachine(Focused):
    """Webhook + orchestrator + poller: duplicates, reorderings, races and read failures."""

    checks = ("I1", "I4", "G3", "G4", "R1", "R2", "K1")

    @initialize(target=cards)
    def epic_in_design(self) -> int:
        """An epic whose move to Design Draft was delivered: its architect has run once."""
        card = scenes.new_epic(self)
        self.run_step("move", card=card, column=self.stage("Design Draft"))
        self.deliver_all()
        return card

    @rule(card=cards, column=draws.trigger_column(), copies=st.integers(1, 3), token=draws.tokens())
    def move_and_deliver(self, card: int, column: int, copies: int, token: str) -> None:
        """A move into a trigger column, then Kanboard's webhooks delivered, maybe repeatedly."""
        triggers = [c for c in self.columns if c in self.world.target.triggers]
        self.run_step("move", card=card, column=triggers[column % len(triggers)])
        self.deliver_all(copies, token)

    @rule(card=cards, column=draws.any_column(), via=st.sampled_from(VIA))
    def move_and_process(self, card: int, column: int, via: str) -> None:
        self.move_then(card, self.columns[column % len(self.columns)], via)

    @rule(index=st.integers(0, 20))
    def redeliver(self, index: int) -> None:
        if self.world.delivered:
            self.run_step("redeliver", index=index)

    @rule(body=draws.malformed_bodies())
    def deliver_malformed(self, body: str) -> None:
        self.run_step("deliver_raw", body=body)

    @rule(fault=draws.read_faults(), via=st.sampled_from(VIA), card=cards)
    def outage_then_process(self, fault: Any, via: str, card: int) -> None:
        """A Kanboard read keeps failing (error, false, timeout) while the card is processed
        again; an error must never read as "nothing recorded"."""
        self.run_step("fault", method=fault.method, kind=fault.kind, every=True)
        if via == "deliver" and self.world.delivered:
            self.run_step("redeliver", index=len(self.world.delivered) - 1)
        else:
            self.process(card, via)
        self.run_step("clear_faults")
        self.process(card, "orchestrate")

    @rule(card=cards, column=draws.trigger_column(), kind=draws.junk_answers(), times=st.integers(3, 5),
          via=st.sampled_from(("poll", "deliver", "orchestrate")))
    def failing_model(self, card: int, column: int, kind: str, times: int, via: str) -> None:
        self.model_keeps_failing(card, column, kind, times, via)

    @rule(card=cards, column=draws.trigger_column(), how=draws.column_renames(), via=st.sampled_from(VIA))
    def renamed_column(self, card: int, column: int, how: str, via: str) -> None:
        triggers = [c for c in self.columns if c in self.world.target.triggers]
        self.rename_then_process(card, triggers[column % len(triggers)], how, via)

    @rule()
    def start_server(self) -> None:
        """The target's own webhook server started as it is in production (where it listens)."""
        self.run_step("start_server")

    @rule(card=cards, column=draws.trigger_column(), kinds=draws.race_kinds(), data=st.data())
    def move_then_race(self, card: int, column: int, kinds: tuple[str, str], data: st.DataObject) -> None:
        """A move into a trigger column, then two runners react at once, calls interleaved."""
        triggers = [c for c in self.columns if c in self.world.target.triggers]
        self.run_step("move", card=card, column=triggers[column % len(triggers)])
        moves = [p for p in pending_webhooks(self.world) if p.get("event_name") == "task.move.column"]
        self.run_race(self.race_runners(kinds, moves[-1] if moves else None), data, " + ".join(kinds))


class CombinedMachine(
    HumanRules, RunnerRules, DeliveryRules, RaceRules, FaultRules, TrickRules, ModelRules
):
    """Every actor at once, one action per rule: the nightly machine."""

    @initialize(target=cards)
    def epic(self) -> int:
        return scenes.new_epic(self)


MACHINES: dict[str, type[FuzzMachine]] = {
    "governance": GovernanceMachine,
    "ralph": RalphMachine,
    "spawner": SpawnerMachine,
    "webhook": WebhookMachine,
    "combined": CombinedMachine,
}
