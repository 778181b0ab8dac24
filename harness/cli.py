"""`python -m harness`: run the fuzz job, serve the fake Kanboard, list targets, replay a trace.

Every bad input (unknown option, target, file) ends in one clear line and exit status 2.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from typing import Any, TextIO

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
    run.add_argument("--explain", action="store_true",
                     help="keep Hypothesis's explain phase while shrinking (much slower)")

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
    return _run(args, target.split(" ", 1)[1] if " " in target else "")


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


def _run(args: argparse.Namespace, target_version: str) -> int:
    from hypothesis import settings

    from harness.campaign import Campaign
    from harness.ledger import RUN
    from harness.machines import MACHINES
    from harness.reporting import Reporter, summary_line
    from harness.reports.folder import ReportsError

    names = [m.strip() for m in args.machines.split(",") if m.strip()]
    unknown = [m for m in names if m not in MACHINES]
    if unknown or not names:
        raise UsageError(f"unknown machine {(unknown or [''])[0]!r}; choose from {', '.join(MACHINES)}")
    profiles.register()
    profile = settings.get_profile(args.profile)
    reporter = Reporter(args.reports_dir, target=CONFIG.target, target_version=target_version,
                        face=args.face, seed=args.seed, machines=names, profile=args.profile,
                        budget_minutes=args.minutes)
    try:
        run_dir = reporter.folder.make()
    except ReportsError as error:
        raise UsageError(str(error)) from None
    log_path = run_dir / "target-output.log"
    print(f"fuzzing {CONFIG.target} ({args.face} Kanboard face), profile {args.profile}, seed {args.seed}"
          + (f", {args.minutes:g} min" if args.minutes else ""))
    print(f"  reports: {run_dir}  (what the target prints: {log_path.name})", flush=True)
    campaign = Campaign(names, profile=profile, seed=args.seed, examples=args.examples,
                        minutes=args.minutes, explain=args.explain)
    reporter.attach(campaign)
    with captured_output(str(log_path)) as console, _stop_on_signals():
        status = Status(console, campaign, args.minutes)
        campaign.progress = status.tick
        campaign.on_finding = status.wrap_finding(campaign.on_finding)
        campaign.on_turn = status.wrap_turn(campaign.on_turn)
        result = campaign.run()
        status.done()
    findings_md = reporter.finish(result)
    print(summary_line(result, findings_md))
    RUN.reset()
    if result.stopped:
        print(f"interrupted ({result.stopped}): {len(result.findings)} finding(s) kept", file=sys.stderr)
        return 143 if result.stopped == "SIGTERM" else 130
    return 1 if any(f.violation.severity in ("P0", "P1") for f in result.findings) else 0


class Status:
    """Progress while a run fuzzes: a status line redrawn on a terminal, plain lines in a log."""

    def __init__(self, console: TextIO, campaign: Any, minutes: float | None) -> None:
        import time

        self.console = console
        self.campaign = campaign
        self.started = time.monotonic()
        self.minutes = minutes
        self.tty = console.isatty()
        self.last_plain = 0.0

    def _line(self) -> str:
        import time

        from harness.ledger import RUN

        elapsed = time.monotonic() - self.started
        left = f", {max(0.0, self.minutes * 60 - elapsed):.0f} s left" if self.minutes else ""
        machine = self.campaign.current or "-"
        return (f"  [{elapsed:6.0f} s] {machine}: {RUN.examples:,} examples built, {RUN.steps:,} steps, "
                f"{len(self.campaign.found)} distinct finding(s){left}")

    def tick(self) -> None:
        import time

        if self.tty:
            self.console.write("\r\033[K" + self._line())
            self.console.flush()
        elif time.monotonic() - self.last_plain >= 30:
            self.last_plain = time.monotonic()
            self.console.write(self._line() + "\n")
            self.console.flush()

    def say(self, text: str) -> None:
        if self.tty:
            self.console.write("\r\033[K")
        self.console.write(text + "\n")
        self.console.flush()

    def wrap_finding(self, inner: Any) -> Any:
        from harness.violation import signature_text

        def on_finding(finding: Any) -> None:
            inner(finding)
            shrunk = "" if finding.shrunk else " (not shrunk)"
            self.say(f"  + finding #{len(self.campaign.found)} [{finding.violation.severity}] "
                     f"{signature_text(finding.signature)}{shrunk}")

        return on_finding

    def wrap_turn(self, inner: Any) -> Any:
        def on_turn(report: Any) -> None:
            inner(report)
            share = f" of {report.budget_seconds:.0f} s" if report.budget_seconds else ""
            self.say(f"  {report.cls_name:<18} turn {report.turns}: {report.examples:>5} examples "
                     f"{report.steps:>6} steps {report.seconds:6.1f} s{share}, "
                     f"{len(report.findings)} finding(s)")

        return on_turn

    def done(self) -> None:
        if self.tty:
            self.console.write("\r\033[K")
            self.console.flush()


@contextlib.contextmanager
def _stop_on_signals() -> Iterator[None]:
    """SIGINT and SIGTERM ask the run to stop between two steps; what it found is kept."""
    import signal

    from harness.ledger import RUN

    def ask(signum: int, frame: Any) -> None:
        RUN.control.interrupted = signal.Signals(signum).name

    saved = {sig: signal.signal(sig, ask) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


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
