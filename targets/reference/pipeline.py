"""The one trigger map and the one gate every entrypoint goes through, and one step:
check the run record, take the lease, re-read, gate, record, run, record.

A refused run leaves a comment and its record and does nothing else; a card that is not
(yet) the kind of card an agent works on is left alone; any Kanboard failure stops the card
for this pass without being taken as "nothing there".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness.journal import NOTE
from targets.base import ARCHITECT, GOVERNANCE, PM, RALPH, SPAWNER, TEST, Binding, KanboardClient
from targets.reference import board
from targets.reference.agents import LOCKED_IN
from targets.reference.cards import DESIGN, DIRNAME_RE, PRD, Card, story_test_file
from targets.reference.context import AgentContext, AgentResult, GuardError
from targets.reference.leases import RUNNING, Lease, RunLedger
from targets.reference.workspace import Workspace

# Column title -> the agents it triggers, in order (Plan Approved locks, then spawns).
CHAINS: dict[str, tuple[str, ...]] = {
    "2. Design Draft": (ARCHITECT,),
    "3. Design Approved": (GOVERNANCE,),
    "4. Planning Draft": (PM,),
    "5. Plan Approved": (GOVERNANCE, SPAWNER),
    "6. Tests Draft": (TEST,),
    "7. Tests Approved": (GOVERNANCE,),
    "8. Ralph Loop": (RALPH,),
}

# Step outcomes. Only DONE and ALREADY_DONE let a chain go on to its next agent.
DONE, FAILED, REFUSED = "done", "failed", "refused"
ALREADY_DONE, ALREADY = "already-done", "already-handled"  # recorded for this epoch
BUSY, SKIPPED, STALE, GONE, ERROR = "busy", "skipped", "stale", "gone", "error"
WRONG_COLUMN, NO_TRIGGER = "wrong-column", "no-trigger"

GO, REFUSE, SKIP = "go", "refuse", "skip"


@dataclass(frozen=True)
class Verdict:
    decision: str  # GO, REFUSE or SKIP
    reason: str = ""
    workspace: Workspace | None = None


Gate = Callable[[Card, str], Verdict]


class Pipeline:
    """Mixed into ReferenceTarget: dispatch, gate and the guarded step."""

    binding: Binding
    lease_class: type[Lease] = Lease
    ledger_class: type[RunLedger] = RunLedger
    workspace_class: type[Workspace] = Workspace
    fanout_cap: int

    # -- which workspace -----------------------------------------------------------------
    def validate_dirname(self, dirname: str) -> str | None:
        """Why `dirname` cannot name a workspace, or None when it can (G4)."""
        if not dirname:
            return "the card has no dirname"
        if not DIRNAME_RE.match(dirname):
            return (f"dirname {dirname[:80]!r} is not allowed (lowercase letters, digits and "
                    "dashes, starting with a letter or digit, at most 64)")
        return None

    def workspace_for(self, card: Card) -> Workspace:
        """The card's workspace, or GuardError (bad dirname, dirname changed after locking)."""
        dirname = card.fields.get("dirname", "")
        problem = self.validate_dirname(dirname)
        if problem:
            raise GuardError(problem)
        recorded = {}
        for rel, (locked_in, sha) in sorted(card.lock_records().items()):
            if locked_in != dirname:
                raise GuardError(f"dirname changed from {locked_in!r} to {dirname!r} after "
                                 f"{rel} was locked; refusing (restore the dirname)")
            recorded[rel] = sha
        return self.workspace_class(self.binding.home / "projects" / dirname,
                                    self.state_dir, recorded)

    # -- the gate ------------------------------------------------------------------------
    def needed_lock(self, card: Card, agent: str) -> str | None:
        """The artifact that must be locked before `agent` may run on `card`."""
        if agent == GOVERNANCE:
            locks = LOCKED_IN.get(card.column)
            return {DESIGN: None, PRD: DESIGN, "test": PRD}.get(locks or "")
        if agent == PM:
            return DESIGN
        if agent in (SPAWNER, TEST):
            return PRD
        if agent == RALPH:
            return story_test_file(card.atomic_id)
        return None

    def gate(self, card: Card, agent: str) -> Verdict:
        """The one gate: same decision whichever entrypoint asks (G3)."""
        needs_story = agent in (TEST, RALPH) or (agent == GOVERNANCE and card.column == "7. Tests Approved")
        if needs_story and not card.is_child:
            return Verdict(SKIP, "not a (complete) story card")
        try:
            ws = self.workspace_for(card)
            if agent == ARCHITECT:
                mode = (card.fields.get("context_mode") or "NEW").strip().upper()
                if mode not in ("NEW", "FEATURE"):
                    return Verdict(REFUSE, f"context_mode {mode[:40]!r} is neither NEW nor FEATURE")
            needed = self.needed_lock(card, agent)
            if needed and not ws.is_locked(needed):
                return Verdict(REFUSE, f"`{needed}` is not approved (locked) yet")
        except GuardError as exc:
            return Verdict(REFUSE, str(exc))
        return Verdict(GO, "", ws)

    def gate_for(self, entrypoint: str) -> Gate:
        """Every entrypoint gets the same gate; kept as a seam only to prove it matters."""
        return self.gate

    # -- dispatch ------------------------------------------------------------------------
    def process_card(
        self,
        kb: KanboardClient,
        task_id: int,
        entrypoint: str,
        cols: dict[int, str],
        *,
        only: str | None = None,
        expect: Callable[[Card], bool] | None = None,
    ) -> list[tuple[str, str]]:
        """Run the chain of the card's column (up to `only`); [(agent, outcome)]."""
        card = board.card(kb, task_id, cols)
        if card is None:
            return [(only or "", GONE)]
        if expect is not None and not expect(card):
            return [(only or "", STALE)]
        chain = CHAINS.get(card.column, ())
        if not chain and only is None:
            return [("", NO_TRIGGER)]
        if only is not None:
            if only not in chain:
                return [(only, WRONG_COLUMN)]
            chain = chain[: chain.index(only) + 1]
        gate, outcomes, created = self.gate_for(entrypoint), [], []
        for agent in chain:
            outcome = self.run_step(kb, card, agent, gate, cols, created)
            outcomes.append((agent, outcome))
            if outcome not in (DONE, ALREADY_DONE):
                break
        for child in created:  # cards a run made enter their column now, whoever runs us
            try:
                self.process_card(kb, child, entrypoint, cols)
            except board.KanboardFailure as exc:
                self.note(f"card #{child}, created by a run on #{task_id}, left for later: {exc}")
        return outcomes

    def run_step(self, kb: KanboardClient, card: Card, agent: str, gate: Gate,
                 cols: dict[int, str], created: list[int]) -> str:
        """At most one run per (card, agent, epoch): record check, lease, re-check, run.
        Cards the run created (and did not remove) are appended to `created`."""
        seen = self.ledger.seen(kb, card, agent)
        if seen is not None:
            return ALREADY_DONE if seen == DONE else ALREADY
        held = self.leases.acquire(f"{card.id}-{agent}-{card.epoch.replace(':', '-')}.lease")
        if held is None:
            return BUSY
        try:
            fresh = board.card(kb, card.id, cols)
            if fresh is None or fresh.epoch != card.epoch:
                return STALE
            seen = self.ledger.seen(kb, fresh, agent)
            if seen is not None:
                return ALREADY_DONE if seen == DONE else ALREADY
            verdict = gate(fresh, agent)
            if verdict.decision == SKIP:
                self.note(f"{agent} skipped card #{card.id}: {verdict.reason}")
                return SKIPPED
            if verdict.decision == REFUSE:
                self.ledger.write(kb, card.id, agent, card.epoch, REFUSED)
                board.comment(kb, card.id, f"**{agent.upper()}** refused: {verdict.reason}")
                self.note(f"{agent} refused on card #{card.id}: {verdict.reason}")
                return REFUSED
            self.ledger.write(kb, card.id, agent, card.epoch, RUNNING)
            result = self.execute(kb, fresh, agent, verdict, cols)
            status = DONE if result.ok else FAILED
            made = [*result.data.get("created", ()), *result.data.get("completed", ())]
            created += [int(c) for c in made if c not in result.data.get("removed", ())]
            try:
                self.ledger.write(kb, card.id, agent, card.epoch, status)
            except board.KanboardFailure as exc:  # stays "running": no rerun, a human sees it
                self.note(f"could not record {status} for {agent} on card #{card.id}: {exc}")
            if not result.ok:
                self.tell_failure(kb, card, agent, result.message)
            return status
        finally:
            self.leases.release(held)

    def tell_failure(self, kb: KanboardClient, card: Card, agent: str, message: str) -> None:
        """A failed run shows on its card (R1): a comment a person reads on the board."""
        board.comment(kb, card.id, f"**{agent.upper()}** failed: {message}")

    def execute(self, kb: KanboardClient, card: Card, agent: str, verdict: Verdict,
                cols: dict[int, str]) -> AgentResult:
        """One agent run, bracketed in the journal; an exception is a failed run."""
        b = self.binding
        assert verdict.workspace is not None
        ctx = AgentContext(
            kb=kb, project_id=b.project_id, task=card.task, metadata=dict(card.metadata),
            workspace=verdict.workspace, llm=b.llm, journal=b.journal, tmp=b.tmp,
            fanout_cap=self.fanout_cap, columns={t: i for i, t in cols.items()},
            fields=dict(card.fields), column=card.column,
        )
        with b.journal.agent_run(agent, card.id) as record:
            try:
                result = getattr(self, f"agent_{agent}")(ctx)
            except GuardError as exc:
                result = AgentResult(False, str(exc))
            except Exception as exc:  # the runner survives its agents
                result = AgentResult(False, f"{agent} crashed: {type(exc).__name__}: {exc}")
            record["ok"] = bool(result.ok)
        return result

    # -- state ---------------------------------------------------------------------------
    def note(self, text: str) -> None:
        self.binding.journal.record(NOTE, {"text": text})

    @property
    def state_dir(self) -> Path:
        """Leases and the shadow lock records: local to the host, under the sandbox temp."""
        return self.binding.tmp / "reference-state"

    @property
    def leases(self) -> Lease:
        return self.lease_class(self.state_dir / "leases", self.binding.clock)

    @property
    def ledger(self) -> RunLedger:
        return self.ledger_class(self.binding.project_id, self.state_dir / "runs")
