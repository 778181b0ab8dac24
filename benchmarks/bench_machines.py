"""Speed of the machines, as a ratio to bare Hypothesis, and of finding and shrinking mutants.

A script, not a test: figures vary by machine. Machines here are shared and noisy, so every
machine's steps/s is divided by that of a bare state machine (the same number of rules, each
doing nothing) run just before it in the same process, and the median of the rounds is shown.

    python benchmarks/bench_machines.py [--examples N] [--rounds 3] [--faces inproc,http]
                                        [--machines a,b] [--mutants a,b | --skip-mutants]
                                        [--seeds 0,1,2] [--establish-minima]

Each mutant's shrunk repro is compared with MINIMA, the shortest repro known for it:
`--establish-minima` finds those again (shrinks with no call cap and a 10-minute time cap,
from every seed given) and prints them.
"""

from __future__ import annotations

import argparse
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

from harness import profiles  # noqa: E402
from harness.campaign import run_campaign  # noqa: E402
from harness.config import CONFIG  # noqa: E402
from harness.machines import MACHINES  # noqa: E402
from tests.mutant_expectations import EXPECTED  # noqa: E402

SIX_MUTANTS = ("no-dedupe", "tag-rmw", "write-through-symlink", "dirname-unchecked",
               "spawner-cap-per-run", "ralph-guard-staged-only")
# the shortest repro (steps) known for each mutant: `--establish-minima` (see the docstring)
MINIMA: dict[str, int] = {}


def bare_machine(n_rules: int) -> type[RuleBasedStateMachine]:
    """A state machine with `n_rules` rules that draw an integer and do nothing."""
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


def bare_rate(rules: int, profile: settings) -> float:
    BARE["steps"] = 0
    start = time.perf_counter()
    run_state_machine_as_test(bare_machine(rules), settings=settings(profile, database=None))
    return BARE["steps"] / (time.perf_counter() - start)


def rule_count(machine: type) -> int:
    """How many rules the machine has (the bare baseline gets as many)."""
    return sum(1 for attr in dir(machine) if hasattr(getattr(machine, attr, None), RULE_MARKER))


def machine_rate(name: str, profile: settings) -> tuple[float, int]:
    """Steps/s of one campaign of the machine, and how many findings it made."""
    start = time.perf_counter()
    result = run_campaign([name], profile=profile, seed=0)
    return result.machines[0].steps / (time.perf_counter() - start), len(result.findings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--faces", default="inproc,http")
    parser.add_argument("--machines", default=",".join(MACHINES))
    parser.add_argument("--mutants", default=",".join(SIX_MUTANTS))
    parser.add_argument("--skip-mutants", action="store_true")
    parser.add_argument("--seeds", default="0", help="seeds of each mutant's run (e.g. 0,1,2)")
    parser.add_argument("--establish-minima", action="store_true",
                        help="find each mutant's shortest repro with no shrink cap, and print it")
    args = parser.parse_args()
    profiles.register()
    profile = settings(profiles.use_profile("ci"), max_examples=args.examples, database=None)

    print(f"steps/s on the reference, {args.examples} examples a run, median of {args.rounds} rounds")
    print("machine      face     steps/s   bare steps/s   ratio to bare")
    for face in [f for f in args.faces.split(",") if f]:  # --faces "": mutants only
        CONFIG.target, CONFIG.face = "reference", face
        for name in args.machines.split(","):
            rates, bares = [], []
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
    print(f"\nmutants under ci (shrink cap {profiles.SHRINK['calls']} calls a finding), seeds {args.seeds}")
    print("mutant                      machine     seed  first finding   first-failure-s  total-s"
          "  shrunk-steps  minimum  minimal  cap-hit")
    for mutant in mutants:
        for seed in seeds:
            hit, took, examples = find_mutant(mutant, seed, profiles.use_profile("ci"))
            machine = EXPECTED[mutant][0]
            if hit is None:
                print(f"{mutant:<27} {machine:<11} {seed:>4}  not found in {examples} examples ({took:.1f} s)")
                continue
            steps = len(hit.trace.get("steps") or ())
            least = MINIMA.get(mutant)
            minimal = "?" if least is None else "yes" if steps <= least else "no"
            print(f"{mutant:<27} {machine:<11} {seed:>4}  {hit.violation.invariant:<15} "
                  f"{hit.found_after_seconds:>15.1f} {took:>8.1f} {steps:>13} {least or '?':>8}  {minimal:<7}  "
                  f"{'yes' if hit.shrink_capped else 'no'}")
    return 0


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
    print the shortest repro met: the MINIMA this script compares with."""
    profile = profiles.use_profile("ci")
    profiles.SHRINK["calls"] = 10**9
    profiles.bound_shrinking(600)
    print("\nmutant                      seed  shrunk-steps  seconds")
    for mutant in mutants:
        lengths = []
        for seed in seeds:
            hit, took, _ = find_mutant(mutant, seed, profile)
            length = len(hit.trace.get("steps") or ()) if hit is not None else None
            print(f"{mutant:<27} {seed:>4}  {length if length is not None else 'not found':>12}  {took:7.1f}")
            if length is not None:
                lengths.append(length)
        print(f"  MINIMA[{mutant!r}] = {min(lengths) if lengths else '?'}")


if __name__ == "__main__":
    sys.exit(main())
