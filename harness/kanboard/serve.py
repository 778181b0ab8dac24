"""The main job for now: serve the fake Kanboard with the standard board over HTTP.

    python -m harness serve [--board newest|ba02d79] [--port 0] [--seconds N]
                            [--token T] [--webhook-token T] [--webhook-url URL]

Prints the URL, user and tokens, plus KANBOARD_URL=... KANBOARD_TOKEN=... lines to point a
real AgentLeeOps at it; runs until Ctrl-C (or N seconds). Bad options: one line, exit 2.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
from collections.abc import Sequence
from typing import NoReturn, TextIO

from harness.kanboard import boards
from harness.kanboard.facade import DEFAULT_API_TOKEN, DEFAULT_WEBHOOK_TOKEN, FakeKanboard


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise ValueError(text)
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise ValueError(text)
    return value


_port.__name__ = "port (0-65535)"
_seconds.__name__ = "number of seconds (>= 0)"


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="harness serve", description="Serve the fake Kanboard over HTTP.")
    parser.add_argument("--board", choices=sorted(boards.BOARDS), default="newest")
    parser.add_argument("--port", type=_port, default=0, help="0 picks a free port")
    parser.add_argument("--seconds", type=_seconds, default=None, help="stop after N seconds")
    parser.add_argument("--token", default=DEFAULT_API_TOKEN, help="API token (user jsonrpc)")
    parser.add_argument("--webhook-token", default=DEFAULT_WEBHOOK_TOKEN)
    parser.add_argument("--webhook-url", default=None, help="POST webhooks here (+ ?token=)")
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None,
         stop: threading.Event | None = None) -> int:
    """Run the server; returns the exit status (0 ok, 1 cannot serve, 2 bad options)."""
    out = out or sys.stdout
    try:
        options = _parser().parse_args(list(argv) if argv is not None else None)
    except _UsageError as error:
        print(f"harness serve: error: {error}", file=sys.stderr)
        return 2
    except SystemExit as done:  # --help
        return int(done.code or 0)
    fake = FakeKanboard(boards.BOARDS[options.board], api_token=options.token,
                        webhook_token=options.webhook_token)
    try:
        if options.webhook_url:
            fake.webhooks.set_url(options.webhook_url)
        server = fake.serve(port=options.port)
    except (OSError, ValueError) as error:
        print(f"harness serve: error: {error}", file=sys.stderr)
        return 1 if isinstance(error, OSError) else 2
    stop = stop or threading.Event()
    with server:
        print(f"Fake Kanboard ({options.board} board, project {fake.project_id}) at {server.url}", file=out)
        print(f"user: {server.user}", file=out)
        print(f"API token: {server.token}", file=out)
        print(f"webhook token: {fake.webhook_token}", file=out)
        print(f"KANBOARD_URL={server.url}", file=out)
        print(f"KANBOARD_TOKEN={server.token}", file=out)
        out.flush()
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait(options.seconds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
