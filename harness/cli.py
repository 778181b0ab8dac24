"""`python -m harness`: run the fuzz job, serve the fake Kanboard, list targets, replay a trace.

Every bad input (unknown option, target, file) ends in one clear line and exit status 2.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import socket
import sys
from collections.abc import Iterator, Sequence
from typing import Any, TextIO

from harness import profiles
from harness.config import CONFIG
from harness.workers import default_workers


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
    run.add_argument("--seed", type=int, default=0,
                     help="seed of every machine's runs (same seed and budget: same findings)")
    run.add_argument("--minutes", type=_positive(float, "minutes"), default=None,
                     help="time budget: machines take turns until it ends")
    run.add_argument("--examples", type=_positive(int, "examples"), default=None,
                     help="examples per machine (instead of the profile's)")
    run.add_argument("--reports-dir", default="reports")
    run.add_argument("--cache-dir", default=None,
                     help="Hypothesis's own files and example database (default: <reports-dir>/.hypothesis)")
    run.add_argument("--explain", action="store_true",
                     help="keep Hypothesis's explain phase while shrinking (much slower)")
    run.add_argument("--observe", action="store_true",
                     help="write Hypothesis's observability records to the run folder's observed.jsonl")
    run.add_argument("--workers", type=_positive(int, "workers"), default=None,
                     help="processes fuzzing the run together (default: one per core); they "
                     "share the example database and the findings (with FUZZ_REDIS_URL: across hosts)")

    sub.add_parser("serve", help="start the fake Kanboard over HTTP for a real AgentLeeOps "
                   "(options: python -m harness serve --help)")

    sub.add_parser("targets", help="list every target and mutant by the name --target takes")

    replay = sub.add_parser("replay", help="replay a trace on its own target: still failing (exit 1), "
                            "fixed (0) or could not run (3)")
    replay.add_argument("trace")
    replay.add_argument("--target", default=None,
                        help="replay on another target than the trace's own (said so in the output)")
    replay.add_argument("--agentleeops-path", default=os.environ.get("AGENTLEEOPS_PATH"),
                        help="AgentLeeOps checkout, for a trace of target agentleeops")
    replay.add_argument("--face", choices=["inproc", "http"], default=None,
                        help="Kanboard face (default: the one the trace was recorded on)")
    return parser


def _positive(kind: type, what: str) -> Any:
    """An argparse type: a finite number above zero, or one clear line."""
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"--{what} takes a number, not {text!r}") from None
        if not (value > 0 and math.isfinite(value)):
            raise argparse.ArgumentTypeError(f"--{what} must be a finite number above 0, not {text}")
        return value

    parse.__name__ = what
    return parse


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
    if args.command == "replay":
        return _replay(args)
    target = _check_target(args.target, args.agentleeops_path)
    CONFIG.target, CONFIG.agentleeops_path, CONFIG.face = args.target, args.agentleeops_path, args.face
    return _run(args, target.split(" ", 1)[1] if " " in target else "")


def _check_target(name: str, path: str | None) -> str:
    from targets.registry import TargetError, get_target

    try:
        target = get_target(name, agentleeops_path=path)
    except TargetError as error:
        raise UsageError(str(error)) from None
    return f"{name} {getattr(target, 'version', '')}".strip()


def _replay(args: argparse.Namespace) -> int:
    """One of three outcomes, each its own exit status: still failing (1), fixed (0), could
    not run (3: target missing, trace unreadable, a step that no longer applies)."""
    from harness.kanboard.errors import FakeGap
    from harness.replay import COULD_NOT_RUN, EXIT_CODES, replay_trace
    from harness.reports.trace import TraceError, load
    from harness.steps import StepError
    from targets.registry import TargetError, get_target

    def could_not(why: str) -> int:
        print(f"{COULD_NOT_RUN}: {why}", file=sys.stderr)
        return EXIT_CODES[COULD_NOT_RUN]

    try:
        trace = load(args.trace)
    except TraceError as error:
        return could_not(str(error))
    name = args.target or trace.target
    path = args.agentleeops_path
    try:
        target = get_target(name, agentleeops_path=path)
    except TargetError as error:
        return could_not(f"the trace's target {name} ({trace.target_version or 'no version'}) "
                         f"is not available here: {error}")
    version = getattr(target, "version", "")
    if args.target and args.target != trace.target:
        print(f"replaying a trace of {trace.target} on {name}, as asked (--target)")
    elif trace.target_version and version and version != trace.target_version:
        print(f"note: the trace was recorded on {trace.target} {trace.target_version}; "
              f"this is {version}")
    CONFIG.target, CONFIG.agentleeops_path = name, path
    face = args.face or trace.face
    try:
        result = replay_trace(trace, target=name, agentleeops_path=path, face=face)
    except (StepError, KeyError, TypeError, ValueError) as error:
        return could_not(f"a step of {args.trace} does not apply to {name}: {error}")
    except FakeGap as error:
        return could_not(f"{error}: the trace cannot be judged here")
    for number, text in enumerate(result.texts, start=1):
        print(f"{number:3}. {text}")
    where = f"{name} {version}".strip()
    if result.violation is not None:
        print(f"still failing on {where} after {result.steps_applied} steps: {result.violation.headline()}")
    else:
        recorded = result.recorded.headline() if result.recorded else "nothing was recorded"
        print(f"fixed on {where}: {len(trace.steps)} steps replayed, no longer {recorded}")
    for other in result.others[:5]:
        print(f"  also met on the way: {other.headline()}")
    return EXIT_CODES[result.outcome]


def _run(args: argparse.Namespace, target_version: str) -> int:
    from harness.events import RunEnded, Stream
    from harness.ledger import RUN
    from harness.machines import MACHINES
    from harness.observe import FILE as OBSERVED
    from harness.observe import Observer
    from harness.reporting import Reporter, summary_line
    from harness.reports.folder import ReportsError
    from harness.scratch import SandboxDirError, sandbox_base

    names = [m.strip() for m in args.machines.split(",") if m.strip()]
    unknown = [m for m in names if m not in MACHINES]
    if unknown or not names:
        raise UsageError(f"unknown machine {(unknown or [''])[0]!r}; choose from {', '.join(MACHINES)}")
    cache_dir = args.cache_dir or os.path.join(args.reports_dir, ".hypothesis")
    profiles.use_cache_dir(cache_dir)
    try:
        profiles.check_database()
        sandbox_base()
    except (profiles.DatabaseError, SandboxDirError) as error:
        raise UsageError(str(error)) from None
    profiles.register()
    reporter = Reporter(args.reports_dir, target=CONFIG.target, target_version=target_version,
                        face=args.face, seed=args.seed, machines=names, profile=args.profile,
                        budget_minutes=args.minutes)
    try:
        run_dir = reporter.folder.make()
    except ReportsError as error:
        raise UsageError(str(error)) from None
    log_path = run_dir / "target-output.log"
    workers = args.workers or default_workers()
    print(f"fuzzing {CONFIG.target} ({args.face} Kanboard face), profile {args.profile}, seed {args.seed}"
          + (f", {args.minutes:g} min" if args.minutes else "")
          + (f", {workers} workers" if workers > 1 else ""))
    print(f"  reports: {run_dir}  (what the target prints: {log_path.name})", flush=True)
    observer = Observer(run_dir / OBSERVED) if args.observe else None
    with captured_output(str(log_path)) as console, _stop_on_signals():
        status = Status(console, args.minutes)
        events = Stream([reporter, status, *([observer] if observer else [])])
        if workers > 1:
            result = _run_workers(args, names, workers, cache_dir, str(log_path), target_version,
                                  reporter, status, events, observer)
        else:
            with observer or contextlib.nullcontext():
                result = _run_here(args, names, events, status, target_version)
        status.done()
    events.emit(RunEnded(result))
    print(summary_line(result, reporter.findings_md))
    RUN.reset()
    if result.stopped in ("SIGTERM", "SIGINT"):
        print(f"interrupted ({result.stopped}): {len(result.findings)} finding(s) kept", file=sys.stderr)
        return 143 if result.stopped == "SIGTERM" else 130
    if result.stopped:  # a worker failed: what it found is kept, but the run is not whole
        print(f"run incomplete ({result.stopped}; its traceback is in {log_path.name}): "
              f"{len(result.findings)} finding(s) kept", file=sys.stderr)
        return 3
    return 1 if any(f.violation.severity in ("P0", "P1") for f in result.findings) else 0


def _run_here(args: argparse.Namespace, names: list[str], events: Any, status: Status,
              target_version: str) -> Any:
    """One process: the campaign runs here (with a shared Redis, its findings are claimed
    there, so other hosts running the same command report each defect once)."""
    from harness.campaign import Campaign
    from harness.ledger import Ledger
    from harness.workers import RedisClaims

    url = os.environ.get("FUZZ_REDIS_URL")
    claims = RedisClaims(url, _run_key(args, target_version)) if url else None
    campaign = Campaign(names, profile=profiles.use_profile(args.profile), seed=args.seed,
                        examples=args.examples, minutes=args.minutes, explain=args.explain,
                        ledger=Ledger(claims, owner=f"{socket.gethostname()}-{os.getpid()}"),
                        events=events)
    try:
        return campaign.run()
    except Exception as exc:  # a harness failure: what was found is kept, the traceback logged
        import traceback

        traceback.print_exc()  # into the run's log
        campaign.stopped = f"stopped: {type(exc).__name__}: {exc}".splitlines()[0]
        status.say(f"  ! {campaign.stopped}")
        return campaign.result()


def _run_workers(args: argparse.Namespace, names: list[str], workers: int, cache_dir: str,
                 log_path: str, target_version: str, reporter: Any, status: Status,
                 events: Any, observer: Any = None) -> Any:
    """N processes, one set of findings: the main process reports, the workers fuzz."""
    import time

    from harness.campaign import CampaignResult
    from harness.ledger import RUN
    from harness.workers import Job, run_workers

    key = _run_key(args, target_version)
    jobs = [Job(i, workers, tuple(names), args.profile, args.seed, args.examples, args.minutes,
                args.explain, CONFIG.target, CONFIG.agentleeops_path, args.face, cache_dir, log_path,
                os.environ.get("FUZZ_REDIS_URL"), key, str(reporter.folder.path / ".claims.sqlite"),
                str(observer.path) if observer else None)
            for i in range(workers)]
    status.live = ("all", 0, 0)
    started = time.monotonic()
    machines, findings, stopped = run_workers(
        jobs, emit=events.emit,
        interrupted=lambda: (status.tick(), RUN.control.interrupted)[1],
        on_error=lambda message: status.say(f"  ! {message}"))
    return CampaignResult(machines=machines, findings=findings, seconds=time.monotonic() - started,
                          seed=args.seed, stopped=stopped)


def _run_key(args: argparse.Namespace, target_version: str) -> str:
    from harness.workers import run_key

    return os.environ.get("FUZZ_RUN_KEY") or run_key(CONFIG.target, target_version, args.profile, args.seed)


class Status:
    """Progress while a run fuzzes, a listener of its events: a status line redrawn on a
    terminal (plain lines in a log), a line per finding and per machine turn."""

    def __init__(self, console: TextIO, minutes: float | None) -> None:
        import time

        self.console = console
        self.started = time.monotonic()
        self.minutes = minutes
        self.tty = console.isatty()
        self.last_plain = 0.0
        self.last_tick = 0.0
        self.live: tuple[str, int, int] = ("-", 0, 0)  # machine, test cases, steps
        self.found = 0
        self.numbers: dict[Any, int] = {}  # signature -> the number printed for it

    def handle(self, event: Any) -> None:
        from harness.events import FindingMade, Progress, TurnEnded

        if isinstance(event, FindingMade):
            self._finding(event.finding)
        elif isinstance(event, TurnEnded):
            self._turn(event.report)
        elif isinstance(event, Progress):
            self.live = (event.machine, event.test_cases, event.steps)
            self.tick()

    def _line(self) -> str:
        import time

        elapsed = time.monotonic() - self.started
        left = f", {max(0.0, self.minutes * 60 - elapsed):.0f} s left" if self.minutes else ""
        machine, cases, steps = self.live
        return (f"  [{elapsed:6.0f} s] {machine}: {cases:,} test cases, {steps:,} steps, "
                f"{self.found} distinct finding(s){left}")

    def tick(self) -> None:
        import time

        now = time.monotonic()
        if now - self.last_tick < 1.0:
            return
        self.last_tick = now
        if self.tty:
            self.console.write("\r\033[K" + self._line())
            self.console.flush()
        elif now - self.last_plain >= 30:
            self.last_plain = now
            self.console.write(self._line() + "\n")
            self.console.flush()

    def say(self, text: str) -> None:
        if self.tty:
            self.console.write("\r\033[K")
        self.console.write(text + "\n")
        self.console.flush()

    def _finding(self, finding: Any) -> None:
        from harness.violation import signature_text

        number = self.numbers.get(finding.signature)
        if number is not None:  # news of one already printed: shrunk now, or why it is not
            news = "shrunk" if finding.shrunk else f"not shrunk ({finding.shrink_note})"
            self.say(f"  ~ finding #{number} {news}: {signature_text(finding.signature)}")
            return
        self.found += 1
        self.numbers[finding.signature] = self.found
        shrunk = "" if finding.shrunk else " (not shrunk yet)"
        self.say(f"  + finding #{self.found} [{finding.violation.severity}] "
                 f"{signature_text(finding.signature)}{shrunk}")

    def _turn(self, report: Any) -> None:
        share = f" of {report.budget_seconds:.0f} s" if report.budget_seconds else ""
        self.say(f"  {report.cls_name:<18} turn {report.turns}: {report.examples:>5} examples "
                 f"{report.test_calls:>6} test cases "
                 f"{report.steps:>6} steps {report.seconds:6.1f} s{share}, "
                 f"{len(report.findings)} finding(s)")
        self.tick()

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
