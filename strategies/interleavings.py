"""Turn orders for the cooperative scheduler: which runner goes at each Kanboard call.

A schedule is a list of runner indices, one per turn. `pick` says how the scheduler reads it:
turn t goes to `schedule[t]` if that runner can still run, otherwise (and once the list is
used up) to the lowest-numbered runner that can. So the empty list, which every schedule
shrinks to, means "run each runner to completion, in order", and a shrunk race shows only
the switches that matter.
"""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import strategies as st


def schedules(runners: Sequence[str], max_turns: int = 40) -> st.SearchStrategy[list[int]]:
    """Lists of runner indices (up to `max_turns`); shrink towards sequential, in order."""
    if not runners:
        raise ValueError("schedules needs at least one runner")
    if max_turns < 0:
        raise ValueError(f"max_turns must be >= 0, got {max_turns}")
    return st.lists(st.integers(0, len(runners) - 1), max_size=max_turns)


def pick(schedule: Sequence[int], turn: int, runnable: Sequence[bool]) -> int:
    """The runner that gets turn `turn` (from 0), given which runners can still run."""
    if not any(runnable):
        raise ValueError("no runner can run")
    if 0 <= turn < len(schedule):
        wanted = schedule[turn]
        if 0 <= wanted < len(runnable) and runnable[wanted]:
            return wanted
    return next(i for i, ok in enumerate(runnable) if ok)


def simulate(schedule: Sequence[int], lengths: Sequence[int]) -> list[int]:
    """The turn order `pick` yields for runners needing `lengths[i]` turns each."""
    left = list(lengths)
    order = []
    turn = 0
    while any(n > 0 for n in left):
        who = pick(schedule, turn, [n > 0 for n in left])
        order.append(who)
        left[who] -= 1
        turn += 1
    return order


def describe_schedule(runners: Sequence[str], order: Sequence[int]) -> str:
    """Runs of turns in board language: "poller ×3, webhook ×2, poller ×1"."""
    if not order:
        return "no turns taken"
    runs: list[list[int]] = []
    for who in order:
        if runs and runs[-1][0] == who:
            runs[-1][1] += 1
        else:
            runs.append([who, 1])
    return ", ".join(f"{runners[w] if 0 <= w < len(runners) else f'runner {w}'} ×{n}"
                     for w, n in runs)
