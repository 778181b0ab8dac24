"""Prints steps/s per machine and Kanboard face on the reference, and per mutant the time to
the first failure and the shrunk length. A script, not a test: figures vary by machine.

    python benchmarks/bench_machines.py [--examples N] [--mutants a,b] [--skip-mutants]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hypothesis import settings  # noqa: E402

from harness import profiles  # noqa: E402
from harness.campaign import run_campaign  # noqa: E402
from harness.config import CONFIG  # noqa: E402
from harness.machines import MACHINES  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=10)
    parser.add_argument("--mutants", default="")
    parser.add_argument("--skip-mutants", action="store_true")
    args = parser.parse_args()
    profiles.register()
    profile = settings(settings.get_profile("ci"), max_examples=args.examples)

    print("machine          face    examples  steps   seconds  steps/s")
    for face in ("inproc", "http"):
        CONFIG.target, CONFIG.face = "reference", face
        for name in MACHINES:
            run = run_campaign([name], profile=profile, seed=0).machines[0]
            rate = run.steps / run.seconds if run.seconds else 0.0
            flag = f"  {len(run.findings)} FINDING(S)" if run.findings else ""
            print(f"{name:<16} {face:<7} {run.examples:>8} {run.steps:>6} {run.seconds:>9.1f} {rate:>8.1f}{flag}")
    if args.skip_mutants:
        return 0
    from tests.mutant_expectations import EXPECTED

    wanted = [m for m in args.mutants.split(",") if m] or sorted(EXPECTED)
    print("\nmutant                      machine     invariant  first-failure-s  shrunk-steps")
    CONFIG.face = "inproc"
    for mutant in wanted:
        machine, _ = EXPECTED[mutant]
        CONFIG.target = f"mutant:{mutant}"
        start = time.monotonic()
        result = run_campaign([machine], profile=profiles_ci(), seed=0)
        first = result.findings[0] if result.findings else None
        found = first.violation.invariant if first else "none"
        length = len(first.trace["steps"]) if first else 0
        at = first.found_after_seconds if first else float("nan")
        print(f"{mutant:<27} {machine:<11} {found:<10} {at:>15.2f} {length:>13}   (campaign {time.monotonic() - start:.1f}s)")
    return 0


def profiles_ci() -> settings:
    return settings.get_profile("ci")


if __name__ == "__main__":
    sys.exit(main())
