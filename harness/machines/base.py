"""The machine every fuzz machine builds on: one world per example, every invariant after
every step, and a failure that carries its shrunk steps for the reports.

Rules never act on the world directly: they build a `Step` and hand it to `run_step`, so the
same action language serves generation, replay files and regression tests. A violation the
run already holds (harness/ledger.py) is counted and the example goes on; a new one fails it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from hypothesis import event
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from hypothesis.stateful import RuleBasedStateMachine, invariant

from harness import coverage
from harness.config import CONFIG, make_target
from harness.invariants import all_checkers
from harness.invariants.base import shared_reads
from harness.ledger import RUN
from harness.scheduler import draw_from, preemptions_from
from harness.steps import Applied, Step, apply_modelled, recorded_args
from harness.violation import Signature, violation_error
from harness.world import World


class FuzzMachine(RuleBasedStateMachine):
    """Owns the world; subclasses add rules (and initializers that set a scene up)."""

    # Invariants a machine checks; None means all of them.
    checks: ClassVar[tuple[str, ...] | None] = None
    # Share of the profile's max_examples this machine gets (Ralph's examples run real git
    # and a test process each, so it gets fewer of them in the same wall time).
    budget: ClassVar[float] = 1.0

    @classmethod
    def settings_for(cls, base: Any) -> Any:
        """The profile's settings scaled to this machine's budget."""
        from hypothesis import settings

        return settings(base, max_examples=max(1, int(base.max_examples * cls.budget)))

    def __init__(self) -> None:
        RUN.control.check()  # a turn whose time is up builds no new world
        RUN.control.raised = None
        super().__init__()
        self.world = World(make_target(), face=CONFIG.face)
        self.checkers = [c for c in all_checkers() if self.checks is None or c.invariant in self.checks]
        self.steps: list[dict[str, Any]] = []
        self.cards: list[int] = []
        self.hits: set[Signature] = set()  # known findings this example met
        self._reads: tuple[int, dict[Any, Any]] | None = None  # the last checks' reads, and when
        RUN.examples += 1

    # -- the one way rules act -------------------------------------------------------------
    def run_step(self, rule: str, **args: Any) -> Applied:
        RUN.steps += 1
        live_args = dict(args)
        with shared_reads(self._still_valid_reads()):
            for checker in self.checkers:
                checker.before_step(self.world)
        self._reads = None
        applied = apply_modelled(self.world, Step(rule, live_args))
        recorded = recorded_args(live_args)
        recorded.update(applied.extra)
        self.steps.append({"rule": rule, "args": recorded, "text": applied.text})
        if applied.card is not None and applied.card not in self.cards and rule == "create_card":
            self.cards.append(applied.card)
        reached = coverage.keys(coverage.reached(rule, live_args))
        RUN.reached.update(reached)
        if currently_in_test_context():  # Hypothesis's statistics: what a run reached
            for key in reached:
                event(key)
        self.check_step()
        return applied

    def check_step(self) -> None:
        """Every checker after every step, as a replay does: a rule made of several steps
        must not let one step's effect be judged against another step's "before"."""
        fresh = None
        with shared_reads() as reads:
            violations = [v for checker in self.checkers for v in checker.check(self.world)]
        self._reads = (self.world.journal.last_seq(), reads)
        for violation in violations:
            if RUN.ledger.known(violation.signature):
                self.hits.add(violation.signature)
            elif fresh is None:
                fresh = violation
        if fresh is not None:
            error = violation_error(fresh)
            error.trace = self.trace(fresh)  # type: ignore[attr-defined]
            # kept unshrunk until Hypothesis has shrunk it, in case the run is interrupted
            RUN.control.pending.setdefault(fresh.signature, (fresh, error.trace))  # type: ignore[attr-defined]
            RUN.control.raised = fresh.signature  # names the failure Hypothesis saves next
            raise error

    def _still_valid_reads(self) -> dict[Any, Any] | None:
        """The board and file reads of the last checks, when nothing was journaled since: rules
        act on the world only through steps, so the next step's looks before it see the same."""
        if self._reads is None or self._reads[0] != self.world.journal.last_seq():
            return None
        return self._reads[1]

    @invariant()
    def invariants_hold(self) -> None:
        RUN.control.check()  # every step was checked as it ran; here the turn's time is checked

    def trace(self, violation: Any = None) -> dict[str, Any]:
        """Everything a replay file and a report need about this run so far (live objects)."""
        return {
            "target": CONFIG.target,
            "target_version": getattr(self.world.target, "version", ""),
            "machine": type(self).__name__,
            "face": CONFIG.face,
            "steps": list(self.steps),
            "violation": violation,
            "journal": self.world.journal.events(),
            "sandbox": str(self.world.root),
        }

    def teardown(self) -> None:
        RUN.ledger.count(self.hits)
        self.world.close()

    def run_race(self, runners: list[dict[str, Any]], data: Any, label: str) -> None:
        """Run `runners` at once, turns drawn from `data` in one of two schedule families: a
        plan of a few preemptions placed before writes, or a turn drawn at every call."""
        runners, queued = self.served_one_at_a_time(runners)
        if len(runners) >= 2:
            self._race(runners, data, label)
        for spec in queued:  # the target's server takes them one after another
            self.run_step("deliver_event", payload=spec["payload"])

    def served_one_at_a_time(self, runners: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Runners that can really run at once, and webhook deliveries queued behind the
        first: a target whose webhook server handles one request at a time (its
        `webhook_concurrency`) never runs two deliveries together; concurrency comes from
        separate runners (pollers, orchestrators), as in production."""
        if getattr(self.world.target, "webhook_concurrency", 1) > 1:
            return runners, []
        hooks = [r for r in runners if r["entry"] == "webhook"]
        together = [r for r in runners if r not in hooks[1:]]
        if len(together) < 2:  # nothing left to race: every delivery in turn
            return [], hooks
        return together, hooks[1:]

    def _race(self, runners: list[dict[str, Any]], data: Any, label: str) -> None:
        if data.draw(st.sampled_from(("preempt", "turns")), label="schedule family") == "preempt":
            choose, granularity = preemptions_from(data, label="turn"), "writes"
        else:
            choose, granularity = draw_from(data, label="turn"), "calls"
        self.run_step("race", runners=runners, choose=choose, granularity=granularity, label=label)

    @staticmethod
    def race_runners(kinds: tuple[str, ...], payload: dict[str, Any] | None) -> list[dict[str, Any]]:
        """Runner specs for `kinds`; a webhook runner delivers `payload` (none: left out)."""
        return [
            {"entry": "webhook", "payload": payload} if kind == "webhook" else {"entry": kind}
            for kind in kinds
            if kind != "webhook" or payload is not None
        ]

    def plan_fault(self, fault: Any) -> None:
        """A drawn FaultSpec as a `fault` step (`new_card` only when it is set)."""
        extra = {"new_card": True} if getattr(fault, "new_card", False) else {}
        self.run_step("fault", method=fault.method, kind=fault.kind, occurrence=fault.occurrence, **extra)

    # -- helpers for subclasses ------------------------------------------------------------
    @property
    def columns(self) -> tuple[str, ...]:
        return self.world.target.columns

    def column(self, prefix: str) -> str:
        """The target's column whose title contains `prefix` (boards differ by version)."""
        for title in self.columns:
            if prefix in title:
                return title
        raise LookupError(f"target board has no column like {prefix!r}")
