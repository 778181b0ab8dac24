"""What a run reached: each step kind, file trick, Kanboard fault, race schedule, runner mix
and model answer, counted over every test case, so a report can show what was exercised and
flag what never was (a fuzz run that never plants a symlink has not tested G1 against one)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

STEP, TRICK, FAULT, RACE, RUNNERS, ANSWER = "step", "file trick", "Kanboard fault", "race schedule", \
    "runners at once", "model answer"
FAMILIES = (STEP, TRICK, FAULT, RACE, RUNNERS, ANSWER)


def reached(rule: str, args: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The (family, name) pairs one step reaches."""
    keys = [(STEP, rule)]
    if rule == "trick" and args.get("kind"):
        keys.append((TRICK, str(args["kind"])))
    elif rule == "fault" and args.get("kind"):
        keys.append((FAULT, str(args["kind"])))
    elif rule == "race":
        keys.append((RACE, str(args.get("granularity") or "calls")))
        entries = sorted(str(r.get("entry")) for r in args.get("runners") or () if isinstance(r, Mapping))
        keys.append((RUNNERS, " + ".join(entries)))
    elif rule == "llm":
        keys.append((ANSWER, str(args.get("label") or "scripted")))
    if rule == "llm" and isinstance(args.get("meanwhile"), Mapping) and args["meanwhile"].get("kind"):
        keys.append((TRICK, str(args["meanwhile"]["kind"])))
    return keys


def universe() -> dict[str, tuple[str, ...]]:
    """Per family, every name a run could reach (families drawn from open sets have none)."""
    from harness import steps, tricks
    from harness.kanboard import faults

    return {STEP: tuple(sorted(steps.ACTIONS)), TRICK: tuple(tricks.KINDS), FAULT: tuple(faults.KINDS),
            RACE: ("calls", "writes")}


def table(counts: Mapping[str, int]) -> list[tuple[str, str, int]]:
    """(family, name, count) for everything reached and, at 0, everything never reached, in
    family order; `counts` is keyed "family: name" (the form a report carries)."""
    found: Counter[tuple[str, str]] = Counter()
    for key, n in counts.items():
        family, _, name = key.partition(": ")
        found[(family, name)] += n
    rows = []
    known = universe()
    for family in FAMILIES:
        names = set(known.get(family, ())) | {n for f, n in found if f == family}
        rows += [(family, name, found[(family, name)]) for name in sorted(names)]
    return rows


def keys(pairs: Iterable[tuple[str, str]]) -> list[str]:
    return [f"{family}: {name}" for family, name in pairs]
