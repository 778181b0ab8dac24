"""A fuzz campaign: machines run turn after turn, each Hypothesis run going past what the run
already found, until the example or time budget is spent; every distinct finding once.

One campaign serves both fronts: `python -m harness run` and `pytest harness/` (one machine
per test). Within a machine's turn, Hypothesis runs one after another ("slices"): each gets
the examples left and a seed derived from the run's seed, reports every new signature it
met (Hypothesis's multi-bug mode, one exception type per signature), shrinks them, and the
next slice treats them as known. Same seed, same example budget: same findings.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
import unittest
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from hypothesis import Phase, settings
from hypothesis.database import ReadOnlyDatabase
from hypothesis.stateful import run_state_machine_as_test
from hypothesis.statistics import collector

from harness import profiles
from harness.collector import fewer_collections
from harness.config import CONFIG, make_target
from harness.events import FindingMade, Progress, SliceEnded, Stream, TurnEnded
from harness.ledger import RUN, Finding, Ledger, StopFuzzing
from harness.machines import MACHINES
from harness.minimize import minimize
from harness.normalise import sandbox_roots, unsandboxed
from harness.saved import IndexedDatabase
from harness.violation import InvariantViolation, Signature
from harness.world import World

ROUND_MINUTES = 10.0  # a timed run goes round the machines at least once per this long
UNBOUNDED = 10**9  # a timed run without --examples: the clock is the only budget
SHRINK_SECONDS_MIN = 5.0  # the least time a timed run gives one finding's shrink
TURN_SHRINK_SHARE = 0.5  # of a timed turn, the most its shrinks may take: the rest generates
RESHRINK_SHARE = 0.1  # of a timed run's budget, kept at least to finish the cut shrinks...
RESHRINK_MAX_SECONDS = 300.0  # ...but no more than this, unless the cut shrinks need it...
END_GRACE_SHARE = 1 / 30  # past a timed run's budget, a step may finish (and the last shrinks)...
END_GRACE_MAX = 60.0  # ...for a thirtieth of it, a minute at most
RESHRINK_MAX_SHARE = 0.3  # ...and then never more than this share of the budget
# why a finding a timed run cut short is still not shrunk (Finding.shrink_note)
NOTE_CUT = "its shrink was cut short when the run's time ran out"
NOTE_NO_TIME = "the run's time ran out before its shrink could be finished"
NOTE_NOT_MET = ("replaying its saved failure did not fail with it again (a failure that hangs on more "
                "than the steps, such as timing): replay its trace to see whether it still fails")


@dataclass
class MachineReport:
    """What one machine did in a campaign: its share of the work and what it found."""

    machine: str  # key in MACHINES
    cls_name: str
    checks: tuple[str, ...]
    examples: int = 0  # examples generated (replays and shrinks not counted)
    test_calls: int = 0  # every example built, shrinks and replays included
    steps: int = 0
    seconds: float = 0.0
    turns: int = 0
    slices: int = 0
    budget_seconds: float | None = None  # its share of a time budget
    findings: list[Finding] = field(default_factory=list)  # new findings, in order found
    stopped: str | None = None  # "time", a signal name, or None when its budget ran out
    reached: dict[str, int] = field(default_factory=dict)  # harness.coverage keys -> test-case steps


@dataclass
class CampaignResult:
    machines: list[MachineReport]
    findings: list[Finding]  # distinct, in the order found
    seconds: float
    seed: int | None
    stopped: str | None = None  # a signal name when the run was interrupted

    @property
    def examples(self) -> int:
        return sum(m.examples for m in self.machines)

    @property
    def test_calls(self) -> int:
        return sum(m.test_calls for m in self.machines)

    @property
    def steps(self) -> int:
        return sum(m.steps for m in self.machines)


def slice_seed(seed: int, machine: str, turn: int, worker: int = 0) -> int:
    """The seed of one Hypothesis run: stable across processes and Python versions; each
    worker of a parallel run draws its own."""
    key = f"{seed}:{machine}:{turn}" + (f":{worker}" if worker else "")
    digest = hashlib.sha256(key.encode()).digest()
    return int.from_bytes(digest[:8], "big")


def all_checks(cls: Any) -> tuple[str, ...]:
    from harness.invariants import CHECKERS

    return cls.checks or tuple(dict.fromkeys(c.invariant for c in CHECKERS))


@dataclass
class _Slice:
    errors: list[InvariantViolation]
    others: list[BaseException]
    generated: int
    calls: int
    steps: int
    stopped: str | None
    reached: Counter[str] = field(default_factory=Counter)
    stats: dict[str, Any] = field(default_factory=dict)  # Hypothesis's statistics of the run


def _flatten(error: BaseException) -> Iterator[BaseException]:
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            yield from _flatten(inner)
    else:
        yield error


def run_slice(cls: Any, profile: settings, seed: int) -> _Slice:
    """One Hypothesis run of a machine under a fixed seed; its failures, flattened."""
    stats: dict[str, Any] = {}
    before = (RUN.examples, RUN.steps)
    reached_before = Counter(RUN.reached)
    errors: list[InvariantViolation] = []
    others: list[BaseException] = []
    stopped = None
    previous = getattr(cls, "_hypothesis_internal_use_seed", None)
    cls._hypothesis_internal_use_seed = seed
    RUN.control.pending.clear()
    RUN.control.cut.clear()
    RUN.control.capped.clear()
    try:
        with collector.with_value(stats.update):
            run_state_machine_as_test(cls, settings=profile)
    except StopFuzzing as stop:
        stopped = str(stop) or "stopped"
    except unittest.SkipTest:
        pass  # nothing to run: an empty database to replay, or no phase that generates
    except BaseException as caught:  # noqa: BLE001 - sorted below; KeyboardInterrupt re-raised
        if isinstance(caught, KeyboardInterrupt):
            raise
        for error in _flatten(caught):
            (errors if isinstance(error, InvariantViolation) else others).append(error)
    finally:
        cls._hypothesis_internal_use_seed = previous
    calls, steps = RUN.examples - before[0], RUN.steps - before[1]
    generated = sum(len(stats.get(f"{phase}-phase", {}).get("test-cases", ()))
                    for phase in ("generate", "target")) if stats else calls
    return _Slice(errors, others, generated, calls, steps, stopped, RUN.reached - reached_before, stats)


class Campaign:
    """Runs machines under one ledger, emitting what it does to `events` (harness.events):
    each finding the moment it is recorded, each turn and Hypothesis run as it ends."""

    def __init__(
        self,
        names: Sequence[str],
        *,
        profile: settings,
        seed: int,
        examples: int | None = None,
        minutes: float | None = None,
        ledger: Ledger | None = None,
        events: Stream | None = None,
        explain: bool = False,
        until: Callable[[Finding], bool] | None = None,
        worker: int = 0,
        workers: int = 1,
    ) -> None:
        self.names = list(names)
        # saved failures indexed by the finding each shows: finishing a cut shrink replays
        # only the failures of the findings cut
        self.saved = IndexedDatabase(profile.database, lambda: RUN.control.raised) \
            if profile.database is not None else None
        self.profile = settings(profile, database=self.saved) if self.saved is not None else profile
        self.seed = seed
        self.examples = examples
        self.minutes = minutes
        self.ledger = ledger if ledger is not None else Ledger()
        self.events = events if events is not None else Stream()
        self.explain = explain
        self.until = until  # stop the whole campaign once a finding satisfies it
        self.worker = worker  # which worker of a parallel run this is (its own seeds)
        self.workers = workers  # how many share an example budget (a time budget each has whole)
        self.reports = {
            name: MachineReport(name, MACHINES[name].__name__, all_checks(MACHINES[name]))
            for name in self.names
        }
        self.found: list[Finding] = []
        self.started = 0.0
        self.stopped: str | None = None
        self.current: str | None = None  # the machine whose turn it is
        # when a timed run's rounds must end (the reserve grows as cut shrinks pile up)
        self.rounds_until: Callable[[], float] | None = None

    # -- budgets ---------------------------------------------------------------------------
    def budget_of(self, name: str) -> int:
        """The machine's example budget: --examples, else (a timed run) as many as the time
        allows, else the profile's scaled by its share; split among a parallel run's workers."""
        if self.examples is None and self.minutes is not None:
            return UNBOUNDED
        total = self.examples if self.examples is not None else \
            max(1, int(self.profile.max_examples * MACHINES[name].budget))
        return max(1, -(-total // self.workers))

    def run(self) -> CampaignResult:
        self.started = time.monotonic()
        with _running(self.ledger, self._progress), fewer_collections():
            try:
                if self.minutes is None:
                    for name in self.names:
                        self._turn(name, deadline=None, examples=self.budget_of(name))
                        if self.stopped:
                            break
                else:
                    self._timed()
            except KeyboardInterrupt:
                self.stopped = "SIGINT"
        return self.result()

    def _progress(self) -> None:
        self.events.emit(Progress(self.current or "-", RUN.examples, RUN.steps))

    def result(self) -> CampaignResult:
        """What the campaign has done and found so far."""
        return CampaignResult(
            machines=[self.reports[n] for n in self.names], findings=list(self.found),
            seconds=time.monotonic() - self.started, seed=self.seed, stopped=self.stopped,
        )

    def _timed(self) -> None:
        """Rounds of turns: every machine gets its turn early, and equal time; what a turn
        leaves unused goes to the turns after it. The last part of the budget finishes the
        shrinks the turns cut short, or, when none were, is one more round."""
        assert self.minutes is not None
        end = self.started + self.minutes * 60
        rounds = max(1, int(-(-self.minutes // ROUND_MINUTES)))
        left = {name: self.budget_of(name) for name in self.names}
        can_reshrink = self._can_reshrink()
        self._rounds(rounds, (lambda: end - self.reserve(rounds)) if can_reshrink else (lambda: end), left)
        if self.stopped or not can_reshrink:
            return
        if not any(self._unshrunk(n) for n in self.names):
            self._rounds(1, lambda: end, left)
            return
        # first the defects no place of which is shrunk yet, then, with what time is left,
        # the other places of defects already shown shrunk
        # (each waiting finding an equal part of the time left: a machine with two gets two)
        for deferred in (False, True):
            waiting = {n: len(self._unshrunk(n, deferred)) for n in self.names}
            unshrunk = [n for n in self.names if waiting[n]]
            for index, name in enumerate(unshrunk):  # examples=0: the turn only finishes shrinks
                now = time.monotonic()
                share = max(0.0, end - now) * waiting[name] / sum(waiting[n] for n in unshrunk[index:])
                report = self.reports[name]
                report.budget_seconds = (report.budget_seconds or 0.0) + share
                self._turn(name, deadline=now + share, examples=0, deferred=deferred,
                           finishing=waiting[name])
                if self.stopped:
                    return

    def reserve(self, rounds: int) -> float:
        """The last part of a timed run, kept to finish the shrinks its turns cut short: a
        tenth of the budget (at most RESHRINK_MAX_SECONDS), or, when more defects wait for
        their first shrunk place, a turn's shrink cap for each, up to RESHRINK_MAX_SHARE."""
        assert self.minutes is not None
        budget = self.minutes * 60
        base = min(RESHRINK_MAX_SECONDS, RESHRINK_SHARE * budget)
        waiting = sum(len(self._unshrunk(n, deferred=False)) for n in self.names)
        per_shrink = max(SHRINK_SECONDS_MIN, (budget - base) / (rounds * len(self.names)) / 4)
        return min(max(base, RESHRINK_MAX_SHARE * budget), max(base, waiting * per_shrink))

    def _rounds(self, rounds: int, until: Callable[[], float], left: dict[str, int]) -> None:
        """`rounds` rounds of every machine's turn, sharing the time until `until()` (asked
        before each turn: the reserve at the run's end grows with the shrinks left to do)."""
        self.rounds_until = until
        for round_no in range(rounds):
            for index, name in enumerate(self.names):
                now = time.monotonic()
                turns_left = (rounds - round_no) * len(self.names) - index
                share = max(0.0, until() - now) / max(1, turns_left)
                report = self.reports[name]
                report.budget_seconds = (report.budget_seconds or 0.0) + share
                if left[name] <= 0 or share <= 0:
                    continue
                before = report.examples
                self._turn(name, deadline=now + share, examples=left[name])
                left[name] -= report.examples - before
                if self.stopped:
                    return

    def _unshrunk(self, name: str, deferred: bool = True) -> list[Signature]:
        """The run's findings by this machine whose shrink was cut short (Ledger.unshrunk)."""
        return self.ledger.unshrunk(self.reports[name].cls_name, deferred=deferred)

    def _can_reshrink(self) -> bool:
        """Saved failures can be replayed to finish their shrinks: a database, and shrinking."""
        return self.profile.database is not None and Phase.shrink in self.profile.phases

    # -- one machine's turn ----------------------------------------------------------------
    def _turn(self, name: str, *, deadline: float | None, examples: int, finishing: int = 0,
              deferred: bool = False) -> None:
        """One machine's turn: saved failures first (its first turn) or the shrinks its earlier
        turns cut short, then slices of new examples until its budget or deadline. A turn
        `finishing` that many cut shrinks gives each an equal part of its time, and no more.
        A timed turn leaves the shrink of a defect's further places for later (the report
        shows the place already shrunk); one finishing `deferred` shrinks does those too."""
        cls = MACHINES[name]
        report = self.reports[name]
        report.turns += 1
        report.stopped = None  # why its last turn ended: a new turn starts afresh
        self.current = report.cls_name
        # Hypothesis's explain phase traces every line of every shrink call: off unless asked
        phases = [p for p in self.profile.phases if self.explain or p is not Phase.explain]
        base = settings(cls.settings_for(self.profile), report_multiple_bugs=True, phases=phases)
        start = time.monotonic()
        RUN.control.deadline = deadline
        if deadline is not None and self.minutes is not None:
            # a timed turn: each finding gets a quarter of the turn to shrink; all its shrinks
            # together get half of it, counted from the first, and may overrun it by half a
            # share at most (so every later turn still has time); a shrink cut there is redone
            # at the machine's next turn or in the run's last part, and meanwhile the turn
            # generates past it. Nothing runs past the run's end (and a little over, to finish
            # a step).
            share = deadline - start
            RUN.control.shrink_seconds = max(SHRINK_SECONDS_MIN, share / (finishing or 4))
            if finishing:
                RUN.control.shrink_until = deadline
            else:  # shrinks get half the turn from the first one's start, then it only generates
                RUN.control.shrink_window = max(SHRINK_SECONDS_MIN, share * TURN_SHRINK_SHARE)
                RUN.control.shrink_cap = deadline + share / 2
            RUN.control.end = self.started + self.minutes * 60 \
                + min(END_GRACE_MAX, self.minutes * 60 * END_GRACE_SHARE)
            RUN.control.defer = None if deferred else self.ledger.shrunk_elsewhere
        try:
            if report.turns == 1 and base.database is not None and Phase.reuse in base.phases:
                # saved counterexamples first, with nothing suppressed: each one that still
                # fails is a finding of this run (one that no longer fails leaves the database)
                self._slice(name, settings(base, phases=[Phase.explicit, Phase.reuse]), report,
                            suppress=False)
            elif self._can_reshrink() and self._unshrunk(name, deferred=RUN.control.defer is None):
                self._reshrink(name, base, report)
            # no reuse phase after that: a saved example of a finding the run already holds
            # would pass (it is suppressed) and Hypothesis would delete it from the database;
            # new findings are still saved there, for the next run
            phases = [p for p in base.phases if p is not Phase.reuse]
            left = examples
            while left > 0 and not self.stopped and not report.stopped:
                if deadline is not None and not finishing and self.rounds_until is not None:
                    # findings met in this turn may need more of the run's end to shrink
                    RUN.control.deadline = min(deadline, self.rounds_until())
                # a slice ends on its budget, or soon after its first new finding: go on past it
                generated, failed = self._slice(name, settings(base, max_examples=left, phases=phases),
                                                report)
                left -= generated
                if not failed:  # it ran its budget out (or its time): the turn is over
                    break
        finally:
            RUN.control.deadline = RUN.control.shrink_until = RUN.control.end = None
            RUN.control.shrink_seconds = RUN.control.defer = RUN.control.finishing = None
            RUN.control.shrink_window = RUN.control.shrink_cap = None
            report.seconds += time.monotonic() - start
            self.events.emit(TurnEnded(report, tuple(self.reports.values())))

    def _reshrink(self, name: str, base: settings, report: MachineReport) -> None:
        """Finish the shrinks of this machine's findings that a turn cut short: Hypothesis
        replays each one's saved failure (saved when found, and each better one as its shrink
        went), through a view that deletes nothing (one that passes now stays), and shrinks it on. Each is
        finished alone, every other finding known, so no other one can fail its example first;
        a new one met meanwhile waits its own turn in this pass. In a finishing turn each gets
        an equal part of the time the ones before it left; once none is left, the first places
        of defects shown nowhere shrunk share what is left before the run's end. A finding the
        run's last part leaves unshrunk is told why (`Finding.shrink_note`)."""
        assert self.saved is not None
        last_part = RUN.control.shrink_until is not None and RUN.control.shrink_window is None
        deferred = RUN.control.defer is None
        tried: set[Signature] = set()
        RUN.control.reshrink = True
        try:
            while todo := [s for s in self._unshrunk(name, deferred=deferred) if s not in tried]:
                signature = todo[0]
                tried.add(signature)
                held = self.ledger.findings[signature]
                until = RUN.control.shrink_until
                now = time.monotonic()
                end = RUN.control.end
                if last_part and not deferred and until is not None and now > until \
                        and end is not None and now + SHRINK_SECONDS_MIN < end and not self.stopped:
                    # the defects no place of which is shown shrunk yet share the run's last
                    # minute (its row needs steps): each replays its failure, then shrinks
                    RUN.control.deadline = RUN.control.shrink_until = until = end
                if self.stopped or RUN.control.shrinks_over() or (until is not None and now > until):
                    if last_part and held.shrink_note is None:  # a reason known already stands
                        self._note(held, NOTE_NO_TIME)
                    continue  # no shrink may begin now
                if last_part and until is not None:
                    RUN.control.shrink_seconds = max(SHRINK_SECONDS_MIN, (until - now) / len(todo))
                self._slice(name, reshrink_settings(base, self.saved.only([signature])), report,
                            finishing=signature)
                if last_part and not held.shrunk:
                    met = signature in RUN.control.cut or signature in RUN.control.capped
                    self._note(held, NOTE_CUT if met else NOTE_NOT_MET)
        finally:
            RUN.control.reshrink = False

    def _note(self, finding: Finding, note: str) -> None:
        """Say why a finding is still not shrunk (the report and console show it)."""
        if finding.shrink_note != note:
            finding.shrink_note = note
            self.events.emit(FindingMade(finding, tuple(self.reports.values())))

    def _slice(self, name: str, profile: settings, report: MachineReport, *,
               suppress: bool = True, finishing: Signature | None = None) -> tuple[int, bool]:
        """One Hypothesis run; (examples generated, whether it ended on a failure: a new
        finding, or one held unshrunk met again). `finishing`: the cut shrink it finishes."""
        cls = MACHINES[name]
        seed = slice_seed(self.seed, name, report.slices, self.worker)
        report.slices += 1
        self.ledger.freeze(suppress=suppress, defer=RUN.control.defer is not None,
                           hold=RUN.control.shrinks_over(), finishing=finishing,
                           share=self.minutes is not None)
        RUN.control.finishing = finishing
        result = run_slice(cls, profile, seed)
        report.examples += result.generated
        report.test_calls += result.calls
        report.steps += result.steps
        report.reached = dict(Counter(report.reached) + result.reached)
        if result.stats:
            self.events.emit(SliceEnded(name, result.stats))
        for error in result.errors:
            shrunk = error.violation.signature not in RUN.control.cut
            self._record(error.violation, getattr(error, "trace", None) or {}, _program(error),
                         cls, seed, report, shrunk=shrunk,
                         minimizing=shrunk and bool({Phase.shrink, Phase.reuse} & set(profile.phases)))
        for violation, trace in list(RUN.control.pending.values()):
            # raised, but the Hypothesis run ended before reporting it: kept as first found
            if violation.signature not in {e.violation.signature for e in result.errors}:
                self._record(violation, trace, "", cls, seed, report, shrunk=False)
        if RUN.control.interrupted:
            self.stopped = report.stopped = RUN.control.interrupted
        elif result.stopped:
            report.stopped = result.stopped
        if result.others:
            raise result.others[0]
        return result.generated, bool(result.errors or RUN.control.pending)

    def _unshrunk_here(self, signature: Signature) -> bool:
        """No shrunk finding of this signature is held yet (the run has not stopped): one
        worth the replays of harness/minimize.py."""
        held = self.ledger.findings.get(signature)
        return not RUN.control.interrupted and (held is None or not held.shrunk)

    def _record(self, violation: Any, trace: dict[str, Any], program: str, cls: Any, seed: int,
                report: MachineReport, *, shrunk: bool, minimizing: bool = False) -> None:
        """Hold a finding Hypothesis reported; `minimizing`: it was shrunk (or replayed from the
        database, which keeps shrunk failures), so the steps its shrink could not leave out
        are tried without (harness/minimize.py), as they were when it was first shrunk."""
        if minimizing and trace.get("steps") and self._unshrunk_here(violation.signature):
            violation, trace, program, spent = _minimized(violation, trace, program, cls)
            if spent:
                RUN.control.capped.add(violation.signature)
        roots = sandbox_roots(trace["sandbox"]) if trace.get("sandbox") else []
        violation, trace = unsandboxed(violation, roots), unsandboxed(trace, roots)
        finding = Finding(
            signature=violation.signature, violation=violation, trace=trace, program=program,
            machine=cls.__name__, seed=seed, shrunk=shrunk,
            shrink_capped=violation.signature in RUN.control.capped,
            found_after_examples=sum(r.examples for r in self.reports.values()),
            found_after_seconds=time.monotonic() - self.started,
        )
        better = self.ledger.improve(finding)
        if better is not None:  # held unshrunk until now: its files are rewritten
            self.events.emit(FindingMade(better, tuple(self.reports.values())))
        elif self.ledger.add(finding):
            self.found.append(finding)
            report.findings.append(finding)
            self.events.emit(FindingMade(finding, tuple(self.reports.values())))
            if self.until is not None and self.until(finding):
                self.stopped = self.stopped or "until"


def reshrink_settings(base: settings, database: Any = None) -> settings:
    """Replay the saved failures of `database` (by default all of base's, read-only) and
    shrink those that fail. Hypothesis ends such a run once `max_examples` replays have passed
    before one fails, and replays the shortest first: often a finding already shrunk, which
    passes now (it is known). So no bound."""
    assert base.database is not None
    return settings(base, database=database or ReadOnlyDatabase(base.database),
                    max_examples=UNBOUNDED, phases=[Phase.reuse, Phase.shrink])


def _minimized(violation: Any, trace: dict[str, Any], program: str,
               cls: Any) -> tuple[Any, dict[str, Any], str, bool]:
    """The finding with the steps Hypothesis's shrink left in but the defect does not need
    left out and its deliveries as early as it allows (harness/minimize.py): no single step
    can go, and moves, pairs and delays as far as a share of the shrink's budget goes; and
    whether time ran out before no single step could go."""
    deadline = time.monotonic() + (RUN.control.shrink_seconds or profiles.SHRINK["seconds"])
    if RUN.control.end is not None:
        deadline = min(deadline, RUN.control.end)
    # every single step, then moves, pairs and delays: a quarter as many as the shrink had calls
    result = minimize(trace["steps"], lambda v: v.signature == violation.signature,
                      checks=getattr(cls, "checks", None), deadline=deadline,
                      max_pairs=profiles.SHRINK["calls"] // 4,
                      make_world=lambda: World(make_target(), face=CONFIG.face))
    best = result.best
    if best is None:
        return violation, trace, program, not result.one_minimal
    dropped = len(trace["steps"]) - len(best.steps)
    trace = {**trace, "steps": best.steps, "violation": best.violation, "journal": best.journal,
             "sandbox": best.sandbox}
    note = (f"# Hypothesis shrank this failure to {len(best.steps) + dropped} steps; replaying the "
            f"recorded steps (webhook deliveries as early as the finding allows) showed {dropped} "
            f"of them were not needed: the trace has the {len(best.steps)} that are.\n"
            if dropped else
            f"# Hypothesis shrank this failure to {len(best.steps)} steps; replaying them showed "
            f"webhook deliveries could come earlier: the trace has them so.\n")
    return best.violation, trace, note + program if program else program, not result.one_minimal


def _program(error: BaseException) -> str:
    return "\n".join(str(n) for n in getattr(error, "__notes__", []) or [])


@contextlib.contextmanager
def _running(ledger: Ledger, progress: Callable[[], None] | None) -> Iterator[None]:
    """Make `ledger` the one machines consult, for the length of the campaign."""
    saved = RUN.ledger, RUN.control
    RUN.reset(ledger)
    RUN.control.progress = progress
    try:
        yield
    finally:
        RUN.ledger, RUN.control = saved


def run_campaign(names: Sequence[str], **options: Any) -> CampaignResult:
    """`Campaign(names, **options).run()`."""
    return Campaign(names, **options).run()
