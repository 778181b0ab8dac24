"""A deterministic cooperative scheduler: real threads, one at a time, turns drawn by the test.

Races between runners (poller + webhook handler, two pollers, CLI + poller, duplicate
deliveries) are only worth finding if they replay. So each runner runs in its own thread,
but only the runner holding the turn may run; it gives the turn back at every Kanboard call
(`turn`, installed as the fake Kanboard's call hook) and the main thread, which is the test's
thread, picks who runs next with `choose`. The order of turns is then plain data: Hypothesis
draws it, shrinks it and replays it, and the same choices give the same journal, byte for
byte.

Usage (in a machine rule, where `data` is `st.data()`):

    scheduler = Scheduler(draw_from(data))
    kanboard.add_call_hook(scheduler.turn)
    outcomes = scheduler.run({"webhook": deliver, "poller": poll_once})
    scheduler.record                     # ["webhook", "poller", ...] one name per draw

Choice encoding, chosen for shrinking: the candidates passed to `choose` are the runner that
just gave the turn back (if it is still live) first, then the other live runners in the
order `run` was given them. Index 0 therefore means "keep going", and a fully shrunk
schedule runs the first runner to completion, then the next. When one runner is live there
is no draw. With `decide` (e.g. `at_writes`) only some calls are decision points; at the
others the runner holding the turn keeps it without a draw.

Two ways to draw: `draw_from` (a turn drawn at every decision point: dense interleavings) and
`preemptions_from` (the runner holding the turn keeps it unless a rarer draw preempts it:
reaches schedules where one runner does its whole run inside another's read-modify-write).
Machines use the second at `at_writes` and the first at every call, one or the other per race.

Limits (each one makes the run stop being one-at-a-time, or stop early, never silently
flaky):
- A runner may only block on Kanboard calls. If it blocks on anything else (a lock held by a
  parked runner, a socket, a real sleep), the granted runner neither yields nor finishes and
  after `stuck_after` seconds `run` raises `SchedulerStuck` naming it. That is a safety net
  that says "the target waits on something the scheduler cannot see", not a race found.
- Turns are keyed by actor name, not by thread (the HTTP face calls the hook from a server
  thread). So a runner must make its Kanboard calls from one thread at a time, and that
  server must serve requests concurrently (one parked handler must not block the next).
  Threads a runner spawns whose calls carry no runner's name pass straight through, and so
  do calls made after a runner finished.
- An HTTP client must not time out while its request is parked waiting for the turn (the
  other runners' work between their Kanboard calls, a real test run, say). The fake's HTTP
  face keeps such a client waiting with interim `100 Continue` responses, so its timeout
  (`harness.kanboard.DEFAULT_HTTP_TIMEOUT`) bounds only the server's silence, not the park.
- Each draw costs a thread switch through the main thread (about 30-70 us measured). A call
  where the runner holding the turn keeps it without a draw (it is the only live runner, or
  the call is no decision point) does not switch: the runner records the grant and goes on.
- The hook must be called outside any lock the fake Kanboard holds, or a parked call
  would block every other runner's calls.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from harness.journal import HARNESS_ACTOR, acting_as

Choose = Callable[[Sequence[str]], int]

DEFAULT_STUCK_AFTER = 20.0  # seconds a granted runner may go without a Kanboard call

# Runner states. READY: waiting for the turn (not started, or parked in `turn`).
_READY = "ready"
_RUNNING = "running"
_DONE = "done"


class SchedulerError(RuntimeError):
    """The scheduler was misused, or a replayed schedule no longer fits the run."""


class SchedulerStuck(SchedulerError):
    """A granted runner neither reached a Kanboard call nor finished in time (safety net)."""

    def __init__(self, message: str, runner: str, outcomes: Mapping[str, Outcome]) -> None:
        super().__init__(message)
        self.runner = runner
        self.outcomes = outcomes  # the run's own: filled in as the other runners are ended


class RunAborted(BaseException):  # noqa: N818 - control flow, like GeneratorExit
    """Raised inside parked runners when their run is abandoned, so their threads end.

    A BaseException so that a target's `except Exception` does not swallow it and go on.
    """


@dataclass(frozen=True)
class Outcome:
    """How one runner ended: its return value, or the exception it raised."""

    runner: str
    value: Any = None
    error: BaseException | None = None
    traceback: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def aborted(self) -> bool:
        """True when the scheduler ended this runner (its run was abandoned)."""
        return isinstance(self.error, RunAborted)

    def result(self) -> Any:
        """The value, or re-raise the runner's exception in the caller's thread."""
        if self.error is not None:
            raise self.error
        return self.value


@dataclass(frozen=True)
class Grant:
    """One turn given: to `runner`, to make the call `method` (None: to start running)."""

    runner: str
    method: str | None


def draw_from(data: Any, label: str | None = None) -> Choose:
    """A `choose` that draws each index from Hypothesis's `st.data()` (main thread only)."""
    from hypothesis import strategies as st

    def choose(names: Sequence[str]) -> int:
        return data.draw(st.integers(0, len(names) - 1), label=label)

    return choose


PREEMPT_ODDS = (2, 8)  # a race preempts at one decision point in 2 (dense) or in 8 (sparse)


def preemptions_from(data: Any, label: str | None = None) -> Choose:
    """A `choose` for schedules decided at few points: the first runner is drawn, then how
    often to preempt (1 in 2, or 1 in 8), then at each decision point whether the runner
    holding the turn is preempted by the next one.

    A fair coin at every call almost never leaves one runner alone for the dozens of calls a
    race needs (a read, then the other runner's whole run, then the stale write); rare
    preemptions at writes (`at_writes`) reach such schedules often, and dense ones the races
    at a runner's first write (check-then-act). Both shrink toward fewer preemptions.
    """
    from hypothesis import strategies as st

    plan: list[int] = []

    def choose(names: Sequence[str]) -> int:
        name = label or "turn"
        if not plan:
            plan.append(data.draw(st.sampled_from(PREEMPT_ODDS), label=f"{name}: 1 preemption in"))
            return data.draw(st.integers(0, len(names) - 1), label=f"{name}: first")
        odds = plan[0]
        roll = data.draw(st.integers(0, odds - 1), label=f"{name}: preempt?")
        return 1 if roll == odds - 1 and len(names) > 1 else 0

    return choose


def at_writes(method: str | None) -> bool:
    """Decision points for `Scheduler(decide=...)`: a runner's start and its writing calls.

    Reads commute with the other runner's reads, so a switch just before a write is where a
    stale read turns into a lost update or a check-then-act race."""
    return method is None or not method.startswith(("get", "download"))


class _Run:
    """The state of one `Scheduler.run`, shared by the main thread and the runners."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = tuple(names)
        self.state = dict.fromkeys(self.names, _READY)
        self.pending: dict[str, str | None] = dict.fromkeys(self.names)
        self.current: str | None = None
        self.aborting = False
        self.outcomes: dict[str, Outcome] = {}
        self.threads: dict[str, threading.Thread] = {}
        self.misuse: SchedulerError | None = None
        self.calls = 0  # Kanboard calls made by runners: progress, for the stuck timer


class Scheduler:
    """Runs runners as threads, one at a time, switching only where `choose` says."""

    def __init__(
        self,
        choose: Choose,
        *,
        stuck_after: float = DEFAULT_STUCK_AFTER,
        decide: Callable[[str | None], bool] | None = None,
    ) -> None:
        if stuck_after <= 0:
            raise ValueError("stuck_after must be a positive number of seconds")
        self._choose = choose
        # which pending calls of the runner holding the turn are decision points (None: all);
        # at the others it keeps the turn without a draw
        self._decide = decide
        self.stuck_after = stuck_after
        self.record: list[str] = []  # the runner picked at each draw, across runs
        self.history: list[Grant] = []  # every turn given, drawn or forced, across runs
        self._cv = threading.Condition()
        self._run: _Run | None = None
        self._broken: str | None = None

    @classmethod
    def from_list(
        cls,
        order: Sequence[str],
        *,
        strict: bool = True,
        stuck_after: float = DEFAULT_STUCK_AFTER,
        decide: Callable[[str | None], bool] | None = None,
    ) -> Scheduler:
        """Replay a `record`: the runner named at each draw. Past its end: error, or keep going."""
        order = list(order)
        position = 0

        def choose(names: Sequence[str]) -> int:
            nonlocal position
            if position >= len(order):
                if strict:
                    raise SchedulerError(
                        f"replay ran out: draw {position + 1} among {list(names)} "
                        f"is past the {len(order)} recorded choices"
                    )
                return 0
            wanted = order[position]
            if wanted not in names:
                raise SchedulerError(
                    f"replay diverged at draw {position + 1}: recorded {wanted!r}, "
                    f"runnable now {list(names)}"
                )
            position += 1
            return list(names).index(wanted)

        return cls(choose, stuck_after=stuck_after, decide=decide)

    # -- the yield point -----------------------------------------------------------------
    def turn(self, actor: str, method: str, params: Any = None) -> None:
        """The call hook: park `actor`'s call until the main thread grants it the turn.

        Calls from actors that are not runners of the active run pass straight through.
        """
        with self._cv:
            run = self._run
            if run is None or run.state.get(actor, _DONE) == _DONE:
                return
            if run.state[actor] != _RUNNING:
                error = SchedulerError(
                    f"a Kanboard call ({method}) as {actor!r} arrived while {actor!r} does not "
                    "hold the turn: a runner calls from two threads at once, or as another actor"
                )
                run.misuse = run.misuse or error
                raise error
            if run.aborting:
                raise RunAborted(f"run abandoned; {actor!r} stopped at its call {method}")
            run.pending[actor] = method
            run.calls += 1
            if self._keeps_turn(run, actor, method):
                # no choice to make: carry on in this thread, as `_drive` would have granted
                self.history.append(Grant(actor, method))
                return
            run.state[actor] = _READY
            self._cv.notify_all()
            self._cv.wait_for(lambda: run.state[actor] == _RUNNING)
            if run.aborting:
                raise RunAborted(f"run abandoned; {actor!r} stopped at its call {method}")

    def _keeps_turn(self, run: _Run, actor: str, method: str) -> bool:
        """`actor`, holding the turn, keeps it without a draw: it is the only live runner,
        or its call is not a decision point. Called under the lock."""
        if self._decide is not None and not self._decide(method):
            return True
        return all(run.state[n] == _DONE for n in run.names if n != actor)

    # -- running -------------------------------------------------------------------------
    def run(self, runners: Mapping[str, Callable[[], object]]) -> dict[str, Outcome]:
        """Run every runner to its end, one at a time; return how each ended, by name.

        Exceptions raised by runners are captured in their Outcome. Exceptions raised by
        `choose` (e.g. Hypothesis stopping a test) abandon the run: parked runners are ended
        with RunAborted, their threads joined, and the exception propagates.
        """
        names = list(runners)
        if HARNESS_ACTOR in names:
            raise SchedulerError(f"{HARNESS_ACTOR!r} cannot be a runner: its calls pass through")
        if not names:
            return {}
        run = _Run(names)
        with self._cv:
            if self._broken is not None:
                raise SchedulerError(f"this scheduler is unusable: {self._broken}")
            if self._run is not None:
                raise SchedulerError("run() is already active; runs do not nest")
            self._run = run
        for name in names:
            thread = threading.Thread(
                target=self._body,
                args=(run, name, runners[name]),
                name=f"runner:{name}",
                daemon=True,
            )
            run.threads[name] = thread
            thread.start()
        try:
            self._drive(run)
        except BaseException as exc:
            self._abort(run, wait_for_current=not isinstance(exc, SchedulerStuck))
            raise
        self._release(run)
        if run.misuse is not None:
            raise run.misuse
        return {name: run.outcomes[name] for name in names}

    def _body(self, run: _Run, name: str, fn: Callable[[], object]) -> None:
        with acting_as(name):
            with self._cv:
                self._cv.wait_for(lambda: run.state[name] == _RUNNING)
            outcome = Outcome(name, error=RunAborted(f"run abandoned before {name!r} started"))
            try:
                if not run.aborting:
                    outcome = Outcome(name, value=fn())
            except BaseException as exc:
                outcome = Outcome(name, error=exc, traceback=traceback.format_exc())
            finally:
                with self._cv:
                    run.outcomes[name] = outcome
                    run.state[name] = _DONE
                    self._cv.notify_all()

    def _drive(self, run: _Run) -> None:
        while True:
            with self._cv:
                live = [n for n in run.names if run.state[n] != _DONE]
                if not live:
                    return
                current = run.current
                if current in live:  # it parked at a draw: `turn` keeps the turn where none is due
                    live.remove(current)
                    live.insert(0, current)
            pick = live[0] if len(live) == 1 else live[self._draw(live)]
            with self._cv:
                method = run.pending[pick]
                self.history.append(Grant(pick, method))
                run.current = pick
                run.state[pick] = _RUNNING
                self._cv.notify_all()
                if not self._wait_turn_back(run, pick):
                    method = run.pending[pick]
                    where = "to start" if method is None else f"for its call {method}"
                    raise SchedulerStuck(
                        f"runner {pick!r} was given the turn {where} and neither reached its next "
                        f"Kanboard call nor finished within {self.stuck_after:g} s: it blocks on "
                        "something other than a Kanboard call (a lock held by a parked runner, a "
                        "socket, a real sleep). This is the scheduler's safety net, not a race. "
                        f"Choices so far: {self.record}",
                        pick,
                        run.outcomes,
                    )

    def _wait_turn_back(self, run: _Run, pick: str) -> bool:
        """Wait, under the lock, until `pick` parks or ends; False when it went `stuck_after`
        seconds without a Kanboard call (calls it kept the turn through count as progress)."""
        while True:
            calls = run.calls
            if self._cv.wait_for(lambda: run.state[pick] != _RUNNING, self.stuck_after):
                return True
            if run.calls == calls:
                return False

    def _draw(self, candidates: list[str]) -> int:
        index = self._choose(tuple(candidates))
        if (
            isinstance(index, bool)
            or not isinstance(index, int)
            or not 0 <= index < len(candidates)
        ):
            raise SchedulerError(f"choose returned {index!r}; wanted an index into {candidates}")
        self.record.append(candidates[index])
        return index

    def _abort(self, run: _Run, *, wait_for_current: bool) -> None:
        """End every runner that can still be ended, one at a time, in the given order."""
        with self._cv:
            run.aborting = True
            running = run.current if run.state.get(run.current or "") == _RUNNING else None
        left = []
        if running is not None and not (wait_for_current and self._wait_done(run, running)):
            left.append(running)
        for name in run.names:
            with self._cv:
                if run.state[name] != _READY:
                    continue
                run.current = name
                run.state[name] = _RUNNING
                self._cv.notify_all()
            if not self._wait_done(run, name):
                left.append(name)
        if left:
            with self._cv:
                self._broken = f"runner(s) {left} could not be ended and may still be running"
            return
        self._release(run)

    def _wait_done(self, run: _Run, name: str) -> bool:
        with self._cv:
            return self._cv.wait_for(lambda: run.state[name] == _DONE, self.stuck_after)

    def _release(self, run: _Run) -> None:
        for thread in run.threads.values():
            thread.join(self.stuck_after)
        with self._cv:
            self._run = None
