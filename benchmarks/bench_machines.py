"""Speed of the machines, as a ratio to bare Hypothesis, and of finding and shrinking mutants.

A script, not a test: figures vary by machine. Machines here are shared and noisy, so every
machine's steps/s is divided by that of a bare state machine (the same number of rules, each
doing nothing) run just before it in the same process, and the median of the rounds is shown.

    python benchmarks/bench_machines.py [--examples N] [--rounds 3] [--faces inproc,http]
                                        [--machines a,b] [--mutants a,b | --skip-mutants]
                                        [--seeds 0,1,2] [--shrink-seconds 60] [--establish-minima]

Each mutant's shrunk repro (shrunk with no call cap and a `--shrink-seconds` time cap) is
compared with MINIMA, the shortest repro known for its defect: `--establish-minima` finds
those again (a 10-minute cap, from every seed given) and prints them.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hypothesis import settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.stateful import (  # noqa: E402
    RULE_MARKER,
    RuleBasedStateMachine,
    rule,
    run_state_machine_as_test,
)

from harness import profiles, trash  # noqa: E402
from harness.campaign import run_campaign  # noqa: E402
from harness.config import CONFIG  # noqa: E402
from harness.machines import MACHINES  # noqa: E402
from tests.mutant_expectations import EXPECTED  # noqa: E402

SIX_MUTANTS = ("no-dedupe", "tag-rmw", "write-through-symlink", "dirname-unchecked",
               "spawner-cap-per-run", "ralph-guard-staged-only")
# the shortest repro (steps) known for each mutant's defect: `--establish-minima --seeds 0,1,2`
# at 5475b78, Hypothesis's shrink and then harness/minimize.py (no call cap, 10 minutes a
# shrink; none needed more than 3.5 minutes); every seed that found a defect met the same
# length. Lowered at 2338169, where minimisation moves deliveries early (seeds 0, 1, 2 all
# met them within the 60 s cap): write-through-symlink 10 -> 9, spawner-cap-per-run 21 -> 18,
# ralph-guard-staged-only 22 -> 18. spawner-cap-per-run's other kind ("created cards for a
# plan over the cap", 21 before) no seed met there, so its minimum is not known now.
MINIMA: dict[tuple[str, str], int] = {
    ("no-dedupe", "I1 an agent ran twice in one epoch after the first run failed"): 6,
    ("no-dedupe", "I4 an agent ran twice in one epoch"): 5,
    ("no-dedupe", "I4 an agent ran twice in one epoch after the first run failed"): 5,
    ("tag-rmw", "I4 setTaskTags erased another runner's tag (lost update)"): 9,
    ("write-through-symlink", "G1 renamed a file onto through another name"): 9,
    ("dirname-unchecked", "G4 write outside the workspace"): 6,
    ("dirname-unchecked", "G4 mkdir outside the workspace"): 4,
    ("spawner-cap-per-run", "I3 more children than the cap"): 18,
    ("ralph-guard-staged-only", "G2 built on a person's change to tests/"): 18,
}


@functools.cache
def bare_machine(n_rules: int) -> type[RuleBasedStateMachine]:
    """A state machine with `n_rules` rules that draw an integer and do nothing (one class
    per size, as each machine is one class: neither pays Hypothesis's per-class set-up twice)."""
    body: dict[str, object] = {}
    for i in range(n_rules):
        def nothing(self: object, x: int) -> None:
            self.steps += 1  # type: ignore[attr-defined]

        nothing.__name__ = f"rule_{i}"
        body[f"rule_{i}"] = rule(x=st.integers(0, 10))(nothing)

    def init(self: RuleBasedStateMachine) -> None:
        RuleBasedStateMachine.__init__(self)
        self.steps = 0

    def teardown(self: RuleBasedStateMachine) -> None:
        BARE["steps"] += self.steps  # type: ignore[attr-defined]

    body["__init__"] = init
    body["teardown"] = teardown
    return type(f"Bare{n_rules}", (RuleBasedStateMachine,), body)


BARE = {"steps": 0}


BARE_EXAMPLES = 1000  # a bare run of 100 examples lasts ~0.1 s: too short to time on a busy machine


def bare_rate(rules: int, profile: settings) -> float:
    BARE["steps"] = 0
    start = time.perf_counter()
    examples = max(profile.max_examples, BARE_EXAMPLES)
    run_state_machine_as_test(bare_machine(rules), settings=settings(profile, database=None, max_examples=examples))
    return BARE["steps"] / (time.perf_counter() - start)


def rule_count(machine: type) -> int:
    """How many rules the machine has (the bare baseline gets as many)."""
    return sum(1 for attr in dir(machine) if hasattr(getattr(machine, attr, None), RULE_MARKER))


def machine_rate(name: str, profile: settings) -> tuple[float, int]:
    """Steps/s of one campaign of the machine, and how many findings it made."""
    start = time.perf_counter()
    result = run_campaign([name], profile=profile, seed=0)
    trash.flush()  # its sandboxes' removal is its cost, not that of the bare run after it
    return result.machines[0].steps / (time.perf_counter() - start), len(result.findings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--faces", default="inproc,http")
    parser.add_argument("--machines", default=",".join(MACHINES))
    parser.add_argument("--mutants", default=",".join(SIX_MUTANTS))
    parser.add_argument("--skip-mutants", action="store_true")
    parser.add_argument("--seeds", default="0", help="seeds of each mutant's run (e.g. 0,1,2)")
    parser.add_argument("--establish-minima", action="store_true",
                        help="find each mutant's shortest repro with no shrink cap, and print it")
    parser.add_argument("--shrink-seconds", type=int, default=60,
                        help="time cap of each finding's shrink in the mutant runs (no call cap)")
    args = parser.parse_args()
    profiles.register()
    profile = settings(profiles.use_profile("ci"), max_examples=args.examples, database=None)

    print(f"steps/s on the reference, {args.examples} examples a run, median of {args.rounds} rounds")
    print("machine      face     steps/s   bare steps/s   ratio to bare")
    for face in [f for f in args.faces.split(",") if f]:  # --faces "": mutants only
        CONFIG.target, CONFIG.face = "reference", face
        for name in args.machines.split(","):
            rates, bares = [], []
            bare_rate(rule_count(MACHINES[name]), profile)  # warm-up round, not counted: the
            machine_rate(name, profile)  # first run of each pays for imports and caches
            for _ in range(args.rounds):
                bares.append(bare_rate(rule_count(MACHINES[name]), profile))
                rate, found = machine_rate(name, profile)
                if found:
                    print(f"  (the reference had {found} finding(s) in {name}: a harness defect)")
                rates.append(rate)
            ratio = statistics.median(r / b for r, b in zip(rates, bares, strict=True))
            print(f"{name:<12} {face:<7} {statistics.median(rates):8.1f} {statistics.median(bares):13.1f}"
                  f"      1/{1 / ratio:5.1f}")
    if args.skip_mutants:
        return 0
    seeds = [int(x) for x in args.seeds.split(",") if x.strip()]
    mutants = [m for m in args.mutants.split(",") if m]
    CONFIG.face = "inproc"
    if args.establish_minima:
        establish_minima(mutants, seeds)
        return 0
    profile = uncapped_shrinks(args.shrink_seconds)
    print(f"\nmutants, each finding's shrink capped at {args.shrink_seconds} s (no call cap), seeds {args.seeds}")
    print(f"{'mutant':<24} {'seed':>4}  {'finding':<44} {'seconds':>7} {'steps':>5} "
          f"{'minimum':>7}  minimal  cap-hit   (seconds: to find and shrink it)")
    for mutant in mutants:
        for seed in seeds:
            hit, took, examples = find_mutant(mutant, seed, profile)
            if hit is None:
                print(f"{mutant:<24} {seed:>4}  not found in {examples} examples ({took:.1f} s)")
                continue
            steps = len(hit.trace.get("steps") or ())
            least = MINIMA.get((mutant, defect_name(hit)))
            minimal = "?" if least is None else "yes" if steps <= least else "no"
            print(f"{mutant:<24} {seed:>4}  {defect_name(hit)[:44]:<44} {hit.found_after_seconds:>7.1f} "
                  f"{steps:>5} {least or '?':>7}  {minimal:<7}  {'yes' if hit.shrink_capped else 'no'}")
    return 0


def defect_name(hit: Any) -> str:
    """The defect a finding is (its invariant and kind of first bad effect): minima are per
    defect, since one mutant's seeds may meet different variants of its planted defect."""
    return f"{hit.violation.invariant} {hit.violation.kind}"


def uncapped_shrinks(seconds: int) -> settings:
    """The ci profile with no shrink call cap and a time cap of `seconds` per finding, and
    twice its examples to find the defect in (as tests/test_engine_mutants.py gives it: the
    question here is the shrink, and some seeds meet a defect late)."""
    profile = profiles.use_profile("ci")
    profiles.SHRINK["calls"] = 10**9
    profiles.bound_shrinking(seconds)
    return settings(profile, max_examples=2 * profile.max_examples)


def find_mutant(mutant: str, seed: int, profile: settings) -> tuple[Any, float, int]:
    """The mutant's planted defect as its expected machine finds and shrinks it from `seed`:
    (the finding or None, seconds taken, examples)."""
    machine, invariants = EXPECTED[mutant]
    CONFIG.target = f"mutant:{mutant}"
    start = time.perf_counter()
    # no example database: a failure saved by an earlier run would be found at once
    result = run_campaign([machine], profile=settings(profile, database=None), seed=seed,
                          until=lambda f: f.violation.invariant in invariants)
    hit = next((f for f in result.findings if f.violation.invariant in invariants), None)
    return hit, time.perf_counter() - start, result.examples


def establish_minima(mutants: list[str], seeds: list[int]) -> None:
    """Shrink each mutant's defect with no call cap (10 minutes at most) from every seed, and
    print the shortest repro met per defect: the MINIMA this script compares with."""
    profile = uncapped_shrinks(600)
    print("\nmutant                      seed  shrunk-steps  seconds  finding")
    for mutant in mutants:
        lengths: dict[str, list[int]] = {}
        for seed in seeds:
            hit, took, _ = find_mutant(mutant, seed, profile)
            length = len(hit.trace.get("steps") or ()) if hit is not None else None
            name = defect_name(hit) if hit is not None else "not found"
            print(f"{mutant:<27} {seed:>4}  {length if length is not None else '-':>12}  {took:7.1f}  {name}")
            if hit is not None and length is not None:
                lengths.setdefault(name, []).append(length)
        for name, found in lengths.items():
            print(f"    ({mutant!r}, {name!r}): {min(found)},")


if __name__ == "__main__":
    sys.exit(main())
