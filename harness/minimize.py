"""Step-level minimisation after Hypothesis's shrink: drop every step (and pair of steps) whose
removal still gives the same finding, replaying the concrete recorded steps.

Hypothesis shrinks a choice sequence, where removing one step shifts every later draw (which
rule a precondition leaves, which card an index picks), so it can stop at a local minimum: a
webhook move and its delivery that only go together, a scripted answer nothing reads, a card
nothing needs but whose id later steps name. The recorded steps name their cards and answers
outright, so replaying them with some left out tells at once whether those steps mattered
(later steps' card numbers follow the cards as they are renumbered). Webhook deliveries are
also moved as early as the finding allows, which often makes an orchestrator pass or a card
unneeded. What comes out is 1-minimal (no single step can go) and, within the replay budget,
2-minimal, and no step can go by delaying one later step (see `_delays`); the same trace
always gives the same result.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from harness.invariants import all_checkers
from harness.replay import checked_step
from harness.steps import Step
from harness.violation import Violation
from harness.world import World

MAX_PAIRS = 400  # moves, pairs and delays a finding may try (a count keeps runs deterministic)
# Steps that hand a queued webhook event over: real Kanboard posts its webhooks as the events
# happen, so a repro reads best with each delivery as early as the finding lets it be.
DELIVERIES = frozenset({"deliver"})


@dataclass
class Reproduced:
    """A run of some steps that ended on the finding: what a trace needs of it."""

    steps: list[dict[str, Any]]  # {"rule", "args", "text"}, up to the step that showed it
    violation: Violation
    journal: list[Any]  # the replay world's events
    sandbox: str  # the replay world's root (its paths are in the texts above)
    made: list[list[int]]  # per step, the cards it created (in id order)


@dataclass
class Minimized:
    best: Reproduced | None  # None: no shorter run (nor one with deliveries earlier) gave it
    replays: int
    complete: bool  # every candidate was tried: no step, pair, or step with a delay can go,
    # and no delivery can come earlier
    one_minimal: bool  # no single step can go (the pairs and delays may not all have been tried)


class _Gone(Exception):
    """A step names a card whose creation was left out."""


def reproduce(steps: Sequence[dict[str, Any]], wanted: Callable[[Violation], bool], *,
              checks: Sequence[str] | None, make_world: Callable[[], World],
              made: Sequence[Sequence[int]] | None = None,
              every_made: frozenset[int] = frozenset()) -> Reproduced | None:
    """Apply `steps` to a new world, every checker after each, until a `wanted` violation
    shows; None if none does (or a step cannot be applied without what was left out).

    `made`: per step, the cards it created in the run the steps come from, and `every_made`
    all the cards that run's steps created (left-out ones included); a card a step names is
    then the card made in its place here (None: the steps are that run's own)."""
    world = make_world()
    checkers = [c for c in all_checkers() if checks is None or c.invariant in checks]
    lost = every_made - {card for cards in made or () for card in cards}
    renumber: dict[int, int] = {}
    done: list[dict[str, Any]] = []
    done_made: list[list[int]] = []
    before = _card_ids(world)
    try:
        for index, raw in enumerate(steps):
            try:
                args = _renumbered(raw.get("args", {}), renumber, every_made, bool(lost))
            except _Gone:
                return None
            try:
                applied, found = checked_step(world, checkers, Step(raw["rule"], dict(args)))
            except Exception:  # e.g. a step on a card deleted in this shorter run
                return None
            after = _card_ids(world)
            new, before = sorted(after - before), after
            if made is not None:
                # the same step may make fewer cards here: those it does not are gone
                renumber.update(zip(made[index], new, strict=False))
            done.append({"rule": raw["rule"], "args": args, "text": applied.text})
            done_made.append(new)
            hit = next((v for v in found if wanted(v)), None)
            if hit is not None:
                return Reproduced(done, hit, world.journal.events(), str(world.root), done_made)
        return None
    finally:
        world.close()


def _card_ids(world: World) -> set[int]:
    return {int(task["id"]) for task in world.kanboard.tasks(active_only=False)}


def _renumbered(args: dict[str, Any], renumber: dict[int, int], created: frozenset[int],
                lost: bool) -> dict[str, Any]:
    """`args` with each card it names (its own and its runners') as renumbered; a card whose
    creation was left out (or not made again) raises _Gone, and so does a webhook payload
    once numbers may have moved (its ids are inside the event's text)."""
    def card(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int) or value not in created:
            return value
        if value not in renumber:
            raise _Gone(value)
        return renumber[value]

    moved = lost or any(old != new for old, new in renumber.items())
    out = dict(args)
    if "card" in out:
        out["card"] = card(out["card"])
    if "payload" in out and moved:
        raise _Gone("payload")
    if isinstance(out.get("runners"), list):
        runners = []
        for spec in out["runners"]:
            spec = dict(spec) if isinstance(spec, dict) else spec
            if isinstance(spec, dict):
                if "payload" in spec and moved:
                    raise _Gone("payload")
                if "card" in spec:
                    spec["card"] = card(spec["card"])
            runners.append(spec)
        out["runners"] = runners
    return out


Order = list[int]  # the current run's steps to replay, by index, in this order


def _pairs(n: int) -> Iterator[Order]:
    """Runs without a pair of steps, as tried: the later one from the last step back."""
    for j in reversed(range(n)):
        for i in reversed(range(j)):
            yield [k for k in range(n) if k not in (i, j)]


def _delays(run: Reproduced) -> Iterator[Order]:
    """Runs without one step k and with one later step j delayed past some step i after it,
    the last step staying last. A step's effect can often come from a later step instead (a
    webhook's delivery does what an orchestrator pass did), but only if a step in between
    waits (a handler acts on the card's column as it is when the event arrives). A step that
    makes cards or carries a webhook payload never moves: card numbers stay as they were."""
    n = len(run.steps)
    movable = [not run.made[j] and "payload" not in run.steps[j].get("args", {})
               for j in range(n)]
    for k in reversed(range(n - 1)):
        for j in range(k + 1, n - 1):
            if not movable[j]:
                continue
            for i in range(j + 1, n - 1):
                order = [x for x in range(n) if x not in (k, j)]
                order.insert(order.index(i) + 1, j)
                yield order


class _Search:
    """One minimisation: the shortest run so far and what trying candidates has cost."""

    def __init__(self, first: Reproduced, wanted: Callable[[Violation], bool],
                 checks: Sequence[str] | None, make_world: Callable[[], World],
                 deadline: float | None, max_tries: int) -> None:
        self.first = self.current = first
        self.wanted, self.checks, self.make_world, self.deadline = wanted, checks, make_world, deadline
        self.replays = 1
        self.tries, self.max_tries = 0, max_tries  # budgeted candidates (all but single steps)

    def out_of_time(self) -> bool:
        return self.deadline is not None and time.monotonic() > self.deadline

    def spent(self) -> bool:
        """Whether the budget or the time for budgeted candidates is used up."""
        return self.tries >= self.max_tries or self.out_of_time()

    def replay(self, order: Order, *, as_long: bool = False) -> bool:
        """Replay the current run's steps in `order`; keep the run if it still shows the
        finding in fewer steps (`as_long`: in no more)."""
        run = self.current
        self.replays += 1
        found = reproduce([run.steps[k] for k in order], self.wanted, checks=self.checks,
                          make_world=self.make_world, made=[run.made[k] for k in order],
                          every_made=frozenset(c for cards in run.made for c in cards))
        if found is None or len(found.steps) > len(run.steps) - (not as_long):
            return False
        self.current = found
        return True

    @property
    def best(self) -> Reproduced | None:
        """The run found, if it differs from the recorded one (fewer steps, or the same with
        deliveries earlier)."""
        return None if self.current is self.first else self.current

    def singles(self) -> bool | None:
        """Sweeps leaving out one step at a time, from the last, going on past each success,
        until a sweep has none; whether any step went (None: out of time first)."""
        went = False
        while True:
            index, this_sweep = len(self.current.steps) - 1, False
            while index >= 0:
                if self.out_of_time():
                    return None
                if self.replay([k for k in range(len(self.current.steps)) if k != index]):
                    this_sweep = went = True
                index = min(index, len(self.current.steps)) - 1
            if not this_sweep:
                return went

    def prompt_deliveries(self) -> bool | None:
        """Move each delivery one step earlier, past a step that is not a delivery, again and
        again while the finding still shows, the first delivery first; whether any moved
        (None: the budget ran out first). Every move brings a delivery earlier and none
        later, so moving ends."""
        moved, index = False, 1
        while index < len(self.current.steps):
            steps = self.current.steps
            if steps[index]["rule"] in DELIVERIES and steps[index - 1]["rule"] not in DELIVERIES:
                if self.spent():
                    return None
                self.tries += 1
                order = list(range(len(steps)))
                order[index - 1], order[index] = index, index - 1
                if self.replay(order, as_long=True):
                    moved, index = True, max(index - 1, 1)  # the same delivery, further
                    continue
            index += 1
        return moved

    def shorter(self) -> bool | None:
        """Leave out a pair of steps, or a step with a later one delayed; whether one did
        (None: the budget ran out first)."""
        run = self.current
        for order in itertools.chain(_pairs(len(run.steps)), _delays(run)):
            if self.spent():
                return None
            self.tries += 1
            if self.replay(order):
                return True
        return False


def minimize(steps: Sequence[dict[str, Any]], wanted: Callable[[Violation], bool], *,
             checks: Sequence[str] | None, make_world: Callable[[], World],
             deadline: float | None = None, max_pairs: int = MAX_PAIRS) -> Minimized:
    """The shortest run that still shows a `wanted` violation, found by leaving out single
    steps, moving deliveries earlier, then leaving out pairs, then single steps with a later
    one delayed, until none helps.

    Single steps are all tried, sweep after sweep until one leaves none out (about twice the
    steps, however many go); the other candidates are `max_pairs` in all, and each success
    is followed by single sweeps again. `deadline` (time.monotonic()) is a safety cap only."""
    first = reproduce(steps, wanted, checks=checks, make_world=make_world)
    if first is None:  # the recorded steps do not show it on their own (e.g. timing)
        return Minimized(None, 1, complete=True, one_minimal=True)
    search = _Search(first, wanted, checks, make_world, deadline, max_pairs)
    while True:
        if search.singles() is None:
            return Minimized(search.best, search.replays, complete=False, one_minimal=False)
        moved = search.prompt_deliveries()
        if moved:
            continue
        went = search.shorter() if moved is not None else None
        if went is None:
            return Minimized(search.best, search.replays, complete=False, one_minimal=True)
        if not went:
            return Minimized(search.best, search.replays, complete=True, one_minimal=True)
