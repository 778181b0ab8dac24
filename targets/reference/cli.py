"""The reference's manual scripts: bad arguments get one clear line on stderr and status 2;
a run's outcome goes to the journal and the exit status (0 done, 1 not done)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from targets.base import AGENTS

SCRIPTS = ("run-agent", "orchestrate-once", "spawn")  # the first is the card's own trigger
OK_OUTCOMES = ("done", "already-done")


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _task_id(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"task id must be a positive integer, not {text[:40]!r}")
    return int(text)


def _parser(script: str, agents: Sequence[str]) -> _Parser:
    parser = _Parser(prog=script, add_help=True)
    if script in ("run-agent", "spawn"):
        parser.add_argument("task_id", type=_task_id)
    if script == "run-agent":
        parser.add_argument("--agent", choices=list(agents),
                            help="only up to this agent of the column (default: the whole column)")
    return parser


def run(script: str, args: Sequence[str], target: Any, agents: Sequence[str] = AGENTS) -> int:
    """Parse and run one script against `target` (run_agent / orchestrator_pass)."""
    out: Callable[..., None] = print
    if script not in SCRIPTS:
        out(f"unknown script {script!r}; known: {', '.join(SCRIPTS)}", file=sys.stderr)
        return 2
    try:
        ns = _parser(script, agents).parse_args(list(args))
    except UsageError as exc:
        out(f"{script}: error: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    if script == "orchestrate-once":
        target.orchestrator_pass()
        return 0
    agent = "spawner" if script == "spawn" else ns.agent
    outcome = target.run_agent(agent, ns.task_id)
    target.note(f"{script}: {agent or 'column agents'} on card #{ns.task_id}: {outcome}")
    return 0 if outcome in OK_OUTCOMES else 1
