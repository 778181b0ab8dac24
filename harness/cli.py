"""`python -m harness`: run the fuzz job, serve the fake Kanboard, list targets, replay a trace.

Every bad input (unknown option, target, file) ends in one clear line and exit status 2.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from typing import TextIO

from harness import profiles
from harness.config import CONFIG


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not usage + traceback
        raise UsageError(f"{self.prog}: {message}")


def _parser() -> argparse.ArgumentParser:
    from harness.machines import MACHINES

    parser = _Parser(prog="python -m harness", description=__doc__)
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    def target_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--target", default=os.environ.get("FUZZ_TARGET", "reference"),
                       help="reference | mutant:<name> | agentleeops (see `targets`)")
        p.add_argument("--agentleeops-path", default=os.environ.get("AGENTLEEOPS_PATH"),
                       help="AgentLeeOps checkout, for --target agentleeops")
        p.add_argument("--face", choices=["inproc", "http"], default="inproc",
                       help="Kanboard face: in-process client or real client over HTTP")

    run = sub.add_parser("run", help="fuzz a target with the state machines (the main job)")
    target_options(run)
    run.add_argument("--machines", default=",".join(MACHINES),
                     help=f"comma-separated, from: {', '.join(MACHINES)}")
    run.add_argument("--profile", choices=list(profiles.PROFILES), default="ci")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--minutes", type=float, default=None, help="time budget: rounds until it ends")
    run.add_argument("--examples", type=int, default=None, help="override max_examples per machine")
    run.add_argument("--reports-dir", default="reports")

    sub.add_parser("serve", help="start the fake Kanboard over HTTP for a real AgentLeeOps "
                   "(options: python -m harness serve --help)")

    sub.add_parser("targets", help="list every target and mutant by the name --target takes")

    replay = sub.add_parser("replay", help="replay a trace file written by a failing run")
    replay.add_argument("trace")
    target_options(replay)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(list(sys.argv[1:] if argv is None else argv))
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _main(argv: list[str]) -> int:
    if argv[:1] == ["serve"]:  # its options are the fake server's own (harness/kanboard/serve.py)
        from harness.kanboard.serve import main as serve_main

        return serve_main(argv[1:])
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args(["run", *argv])
    if args.command == "targets":
        from targets.registry import list_targets

        for name, description in list_targets():
            print(f"{name}\t{description}")
        return 0
    target = _check_target(args.target, args.agentleeops_path)
    CONFIG.target, CONFIG.agentleeops_path, CONFIG.face = args.target, args.agentleeops_path, args.face
    if args.command == "replay":
        return _replay(args, target)
    return _run(args)


def _check_target(name: str, path: str | None) -> str:
    from targets.registry import TargetError, get_target

    try:
        target = get_target(name, agentleeops_path=path)
    except TargetError as error:
        raise UsageError(str(error)) from None
    return f"{name} {getattr(target, 'version', '')}".strip()


def _replay(args: argparse.Namespace, target: str) -> int:
    from harness.replay import replay_trace
    from harness.reports.trace import TraceError, load

    try:
        trace = load(args.trace)
    except TraceError as error:
        raise UsageError(str(error)) from None
    result = replay_trace(trace, target=args.target, agentleeops_path=args.agentleeops_path)
    for number, text in enumerate(result.texts, start=1):
        print(f"{number:3}. {text}")
    if result.violation is None:
        print(f"replayed {result.steps_applied} steps on {target}: no invariant broken")
        return 0
    print(f"replayed {result.steps_applied} steps on {target}: {result.violation.headline()}")
    return 1


def _run(args: argparse.Namespace) -> int:
    from hypothesis import settings

    from harness.machines import MACHINES
    from harness.reporting import write_run
    from harness.runner import run_budget

    names = [m.strip() for m in args.machines.split(",") if m.strip()]
    unknown = [m for m in names if m not in MACHINES]
    if unknown:
        raise UsageError(f"unknown machine {unknown[0]!r}; choose from {', '.join(MACHINES)}")
    profiles.register()
    profile = settings.get_profile(args.profile)
    if args.examples:
        profile = settings(profile, max_examples=args.examples)
    os.makedirs(args.reports_dir, exist_ok=True)
    log_path = os.path.join(args.reports_dir, "target-output.log")
    print(f"fuzzing {CONFIG.target} ({args.face} Kanboard face), profile {args.profile}, seed {args.seed}")
    print(f"  (what the target prints goes to {log_path})", flush=True)
    with captured_output(log_path) as console:

        def progress(run) -> None:
            status = run.error.violation.headline() if run.error else "all invariants held"
            console.write(f"  {run.machine:<18} {run.examples:>4} examples {run.steps:>5} steps "
                          f"{run.seconds:6.1f}s  {status}\n")
            console.flush()

        runs = run_budget(names, profile=profile, seed=args.seed, minutes=args.minutes, progress=progress)
    out = write_run(runs, target=CONFIG.target, reports_dir=args.reports_dir, seed=args.seed)
    failed = [r for r in runs if r.error]
    print(f"{len(failed)} violation(s) in {len(runs)} machine run(s); findings: {out / 'findings.md'}")
    return 1 if failed else 0


@contextlib.contextmanager
def captured_output(path: str) -> Iterator[TextIO]:
    """Send everything written to fds 1 and 2 (the target's prints and log handlers, which
    hold their own references to the streams) to `path`; yield a stream to the real console."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    console = os.fdopen(os.dup(saved[0]), "w", buffering=1)
    with open(path, "ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield console
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)
            console.close()
