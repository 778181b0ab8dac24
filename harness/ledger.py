"""What one run knows while it fuzzes: its distinct findings, when to stop, how far it got.

Machines consult `RUN` after every step. A violation whose signature the run already holds
is counted as a hit, not raised again, so the machine goes on past a shallow defect to the
next one; a new signature is raised (typed by signature, so Hypothesis shrinks it on its
own) and becomes a finding once shrunk. The set of known signatures is frozen for the length
of one Hypothesis run, so a shrink always sees the same rules as the run that found it.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from harness.violation import DefectKey, Signature, Violation, defect_of


class StopFuzzing(KeyboardInterrupt):  # noqa: N818 - control flow
    """Ends a machine's turn between two steps: its time is up, or the run was interrupted.

    A KeyboardInterrupt to Hypothesis, the one exception its engine lets through without
    recording the example (anything else half-way through an example reads as a failure or
    as inconsistent data); the campaign catches it before anything else can see it."""


@dataclass
class Finding:
    """One distinct defect: its signature, its shrunk example, and how often the run met it."""

    signature: Signature
    violation: Violation  # as the shrunk example shows it
    trace: dict[str, Any]  # the machine's trace (steps, journal, target, machine, face)
    program: str  # Hypothesis's reproducible program and blob
    machine: str  # the state machine's class name
    seed: int | None  # the seed of the Hypothesis run that found it
    shrunk: bool = True  # False: the run was interrupted before shrinking ended
    shrink_capped: bool = False  # its shrink spent the whole call budget (maybe not minimal)
    shrink_note: str = ""  # why it is not shrunk, when the run's finishing part knows
    hits: int = 1  # examples in which the run met it (the first included)
    found_after_examples: int = 0
    found_after_seconds: float = 0.0


class Claims(Protocol):
    """Where the signatures a run has found are claimed, when several processes (or hosts)
    fuzz one run: the first to claim a signature reports it, the others only count it."""

    def claim(self, signature: Signature, owner: str) -> bool: ...
    def signatures(self) -> set[Signature]: ...
    def hit(self, signature: Signature, n: int = 1) -> None: ...
    def hits(self) -> dict[Signature, int]: ...
    def shrunk(self, defect: DefectKey) -> None: ...
    def shrunk_defects(self) -> set[DefectKey]: ...


class Ledger:
    """The run's findings by signature, and the signatures machines treat as known; with
    `claims`, shared with the other workers of the run (harness/workers.py)."""

    def __init__(self, claims: Claims | None = None, owner: str = "") -> None:
        self.findings: dict[Signature, Finding] = {}
        self.claims = claims
        self.owner = owner
        self._known: frozenset[Signature] = frozenset()
        # defects another worker has shown shrunk at some place (as of the last sync)
        self._shrunk_shared: frozenset[DefectKey] = frozenset()
        self._lock = threading.Lock()
        # every signature this ledger's machines met: its findings, those whose claim another
        # worker won, and those counted; all known here from then on, whichever worker won a
        # claim, so what a machine explores is its own
        self.met: set[Signature] = set()

    def known(self, signature: Signature) -> bool:
        return signature in self._known

    def freeze(self, *, suppress: bool = True, defer: bool = False, hold: bool = False,
               finishing: Signature | None = None, share: bool = True) -> None:
        """Fix the known signatures for the next Hypothesis run (none: replay everything):
        those its machines met and, with `share`, every other worker's claims too (a timed run,
        where a defect one worker found is not worth another's time; an example-bounded run
        must not, or what it explores depends on how fast the other workers went, and the same
        seed no longer gives the same findings). A finding whose shrink was
        cut short stays findable, to be shrunk when met again; with `defer`, not one whose
        defect is already shown shrunk at another place (its shrink waits for spare time);
        with `hold`, none (the turn has no shrink time left: it generates past them all).
        `finishing` one cut shrink, only that finding is findable: its saved example passed
        every finding known when it was found, and must pass them again to reach it."""
        shared = self.claims.signatures() if self.claims is not None and suppress and share else set()
        self._sync()
        with self._lock:
            if finishing is not None:
                unshrunk = {finishing}
            elif hold:
                unshrunk = set()
            else:
                unshrunk = {s for s, f in self.findings.items()
                            if not f.shrunk and not (defer and self._shrunk_elsewhere(s))}
            self._known = (frozenset(self.met) | frozenset(shared)) - unshrunk if suppress \
                else frozenset()

    def unshrunk(self, machine: str, *, deferred: bool = True) -> list[Signature]:
        """This ledger's findings by `machine` (a class name) whose shrink was cut short;
        without `deferred`, only the first-found place of each defect that no place shows
        shrunk yet (the report needs one shrunk place per defect; a long example's shrink
        takes long, and a place more of the same defect would crowd out another defect)."""
        if not deferred:
            self._sync()
        with self._lock:
            if deferred:
                return [s for s, f in self.findings.items() if f.machine == machine and not f.shrunk]
            first: dict[DefectKey, tuple[Signature, Finding]] = {}
            for s, f in self.findings.items():
                if not f.shrunk and not self._shrunk_elsewhere(s):
                    first.setdefault(defect_of(s), (s, f))
            return [s for s, f in first.values() if f.machine == machine]

    def shrunk_elsewhere(self, signature: Signature) -> bool:
        """Another place of the same defect (invariant and kind) already has a shrunk finding:
        the report shows that one's steps, so shrinking this one can wait for spare time."""
        with self._lock:
            return self._shrunk_elsewhere(signature)

    def _shrunk_elsewhere(self, signature: Signature) -> bool:
        held = self.findings.get(signature)
        if defect_of(signature) in self._shrunk_shared and not (held is not None and held.shrunk):
            return True  # shrunk at a place another worker holds (its own place is not elsewhere)
        return any(f.shrunk and defect_of(s) == defect_of(signature) and s != signature
                   for s, f in self.findings.items())

    def _sync(self) -> None:
        """Learn which defects the other workers have shown shrunk, so that none of them
        spends a shrink on a further place of one (the report shows the shrunk one)."""
        if self.claims is not None:
            shrunk = frozenset(self.claims.shrunk_defects())
            with self._lock:
                self._shrunk_shared = shrunk

    def _tell_shrunk(self, finding: Finding) -> None:
        if self.claims is not None and finding.shrunk:
            self.claims.shrunk(defect_of(finding.signature))

    def improve(self, finding: Finding) -> Finding | None:
        """A shrunk example of a finding held unshrunk replaces it (hits and first-found kept);
        the finding held, improved, or None when there was nothing to improve."""
        with self._lock:
            held = self.findings.get(finding.signature)
            if held is None or held.shrunk or not finding.shrunk:
                return None
            held.hits += 1
            held.violation, held.trace, held.program = finding.violation, finding.trace, finding.program
            held.machine, held.seed = finding.machine, finding.seed
            held.shrunk, held.shrink_capped = True, finding.shrink_capped
        self._tell_shrunk(held)
        return held

    def add(self, finding: Finding) -> bool:
        """Record a finding; False (and one more hit) when its signature was already held,
        here or by another worker."""
        with self._lock:
            self.met.add(finding.signature)
            held = self.findings.get(finding.signature)
            if held is not None:
                held.hits += 1
                return False
        if self.claims is not None and not self.claims.claim(finding.signature, self.owner):
            self.claims.hit(finding.signature)
            return False
        with self._lock:
            self.findings[finding.signature] = finding
        self._tell_shrunk(finding)
        return True

    def count(self, signatures: Iterable[Signature]) -> None:
        """One more hit for each known signature an example met."""
        for signature in signatures:
            with self._lock:
                self.met.add(signature)
                held = self.findings.get(signature)
                if held is not None:
                    held.hits += 1
                    continue
            if self.claims is not None:
                self.claims.hit(signature)


@dataclass
class Control:
    """When machines must stop, and the new findings still shrinking in this Hypothesis run."""

    deadline: float | None = None  # time.monotonic() after which a turn generates no more
    shrink_until: float | None = None  # after which the turn's shrinks stop (cut short)
    # a timed turn's shrink time: shrink_until is set `shrink_window` seconds after its first
    # shrink starts, and never later than `shrink_cap`
    shrink_window: float | None = None
    shrink_cap: float | None = None
    end: float | None = None  # time.monotonic() after which nothing runs, shrinks included
    shrink_seconds: float | None = None  # a timed run's cap on one finding's shrink
    interrupted: str | None = None  # the signal that asked the whole run to stop
    reshrink: bool = False  # replaying saved failures to finish shrinks a timed run cut short
    finishing: Signature | None = None  # the one cut shrink this Hypothesis run finishes
    # a timed turn's test for shrinks to leave until time is spare (Ledger.shrunk_elsewhere)
    defer: Callable[[Signature], bool] | None = None
    cut: set[Signature] = field(default_factory=set)  # shrinks stopped early: end, signal, turn over
    capped: set[Signature] = field(default_factory=set)  # shrinks that spent their budget
    pending: dict[Signature, tuple[Violation, dict[str, Any]]] = field(default_factory=dict)
    raised: Signature | None = None  # the new violation the current example raised, if any
    progress: Callable[[], None] | None = None  # called at most every `interval` seconds
    interval: float = 5.0
    _last: float = 0.0

    def check(self) -> None:
        """Raise StopFuzzing when the run was interrupted or the turn's time is up, unless a
        new finding is being shrunk: that one is finished (`shrink_must_stop` cuts it short),
        reported and kept, then the turn ends."""
        if not self.pending and self.generation_over():
            raise StopFuzzing(self.interrupted or "time")
        if self.progress is not None:
            now = time.monotonic()
            if now - self._last >= self.interval:
                self._last = now
                self.progress()

    def generation_over(self) -> bool:
        """No new example may begin: the run was interrupted or the turn's time is up. (A
        Hypothesis run that has failed goes on generating for a while: this stops it too.)
        Finishing a cut shrink generates nothing: its replay of the saved failure may run to
        the run's end, since one stopped halfway never meets the failure again."""
        clock = self.end if self.finishing is not None else self.deadline
        return bool(self.interrupted) or (clock is not None and time.monotonic() > clock)

    def shrinks_over(self) -> bool:
        """The turn's shrink time is spent: what it still finds waits for a later turn."""
        return self.shrink_until is not None and self.shrink_window is not None \
            and time.monotonic() > self.shrink_until

    def shrink_must_stop(self, signature: Signature | None, started: float) -> bool:
        """A shrink gives up what it has (the smallest failing example so far) once the run is
        interrupted or over (`cut`: shrunk later, if time allows), or, in a timed run, once
        it has had its own time (`capped`: shrunk as far as its budget went; so is one the
        run's last part finishes when time runs out, as it has no later chance). The turn's
        shrink time only decides whether a shrink begins: one begun in it runs to its own
        time, never past the turn's cap, so no begun shrink is thrown away half done; one
        due after it is cut before it begins (and so is one the turn `defer`s: its defect's
        steps are shown by another place, shrunk, and one met while `finishing` another). A
        turn's deadline only ends generation."""
        now = time.monotonic()
        if signature is not None and (
                (self.defer is not None and self.defer(signature))
                or (self.finishing is not None and signature != self.finishing)):
            self.cut.add(signature)  # deferred, or new while finishing another: shrunk later
            return True
        if self.shrink_until is None and self.shrink_window is not None:  # the turn's first shrink
            self.shrink_until = min(now + self.shrink_window, self.shrink_cap or float("inf"))
        late = self.shrink_until is not None and now > self.shrink_until \
            and (started > self.shrink_until or self.shrink_seconds is None)
        if self.interrupted or late or any(t is not None and now > t for t in (self.end, self.shrink_cap)):
            if signature is not None:
                # the run's last part finishing this one is its last chance: what it has is
                # as far as its budget went (a signal still cuts it: the run is not over)
                last_chance = self.finishing == signature and self.shrink_window is None \
                    and not self.interrupted
                (self.capped if last_chance else self.cut).add(signature)
            return True
        if self.shrink_seconds is not None and now - started > self.shrink_seconds:
            if signature is not None:
                self.capped.add(signature)
            return True
        return False


@dataclass
class RunState:
    """The one place machines reach (Hypothesis builds them with no arguments)."""

    ledger: Ledger = field(default_factory=Ledger)
    control: Control = field(default_factory=Control)
    examples: int = 0  # state machines built (examples, shrinks and replays alike)
    steps: int = 0
    reached: Counter[str] = field(default_factory=Counter)  # harness.coverage keys, every test case

    def reset(self, ledger: Ledger | None = None) -> None:
        self.ledger = ledger if ledger is not None else Ledger()
        self.control = Control()


RUN = RunState()
