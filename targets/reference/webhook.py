"""The webhook entrypoint: token check, payload validation, and a real HTTP server.

Kanboard sends no delivery id, so deduplication is the run record of each (card, agent,
epoch); a delivery whose event no longer describes the card (it moved since) is stale and
changes nothing, so a late or repeated delivery is the same as none.
"""

from __future__ import annotations

import hmac
import json
import queue
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from targets.base import WebhookRequest, WebhookResponse
from targets.reference.cards import Card

TRIGGER_EVENTS = ("task.move.column", "task.create")
MAX_BODY = 1 << 20


class BadEvent(ValueError):
    """The body is not a Kanboard event we can act on (400)."""


@dataclass(frozen=True)
class Event:
    name: str
    task_id: int | None = None
    column_id: int | None = None  # where the event says the card is
    date_moved: int | None = None

    @property
    def triggers(self) -> bool:
        return self.name in TRIGGER_EVENTS

    def describes(self, card: Card) -> bool:
        """False when the card has moved since the event (a stale or repeated delivery)."""
        if self.column_id is not None and self.column_id != card.column_id:
            return False
        return self.date_moved is None or self.date_moved == card.date_moved


def _int(value: Any, what: str, required: bool) -> int | None:
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise BadEvent(f"{what} is missing or not an integer")
    try:
        return int(value)
    except ValueError:
        raise BadEvent(f"{what} is not an integer") from None


def parse_event(body: Any) -> Event:
    """The event a webhook body describes; BadEvent when a trigger event lacks what we need."""
    if not isinstance(body, Mapping) or not isinstance(body.get("event_name"), str):
        raise BadEvent("the body is not a Kanboard event (no event_name)")
    name, data = body["event_name"], body.get("event_data")
    if name not in TRIGGER_EVENTS:
        return Event(name)
    if not isinstance(data, Mapping):
        raise BadEvent("event_data is missing")
    # The `task` dict is the card after the event; top-level `date_moved` is the value
    # before a move and a create's `column_id` is whatever createTask was given.
    task = data.get("task")
    if isinstance(task, Mapping):
        column, moved = task.get("column_id"), task.get("date_moved")
    else:
        column, moved = (data.get("dst_column_id") if name == "task.move.column" else None), None
    return Event(name, _int(data.get("task_id"), "event_data.task_id", True),
                 _int(column, "the event's column", False), _int(moved, "date_moved", False))


def authentic(request: WebhookRequest, token: str) -> bool:
    """The request carries exactly one `token`, equal to the shared secret (constant time)."""
    given = parse_qs(urlsplit(request.path).query).get("token", [])
    return len(given) == 1 and hmac.compare_digest(given[0].encode(), token.encode())


def accept(request: WebhookRequest, token: str,
           authentic: Callable[[WebhookRequest, str], bool] = authentic) -> tuple[WebhookResponse, Event | None]:
    """The raw checks: 405 / 401 / 400, else 200 and the event to process (None: ignored)."""
    if request.method.upper() != "POST":
        return WebhookResponse(405, b"POST only\n"), None
    if not authentic(request, token):
        return WebhookResponse(401, b"bad or missing token\n"), None
    try:
        event = parse_event(json.loads(request.body.decode("utf-8")))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        return WebhookResponse(400, f"{exc}\n".encode()[:300]), None
    return WebhookResponse(200, b"ok\n"), (event if event.triggers else None)


LISTEN_ON = ("127.0.0.1", 0)  # where the server listens: loopback, a free port


def listen(handler: type[BaseHTTPRequestHandler]) -> HTTPServer:
    """The server's socket, bound where it is configured to listen (R2)."""
    return HTTPServer(LISTEN_ON, handler)


class WebhookServer:
    """The handler over real HTTP on 127.0.0.1 (port 0). Checks answer at once; accepted
    events are processed in arrival order by one worker, so a webhook Kanboard sends while
    an agent runs (synchronously, from inside that agent's own call) waits its turn."""

    def __init__(self, token: Callable[[], str], process: Callable[[Event], None]) -> None:
        events: queue.Queue[Event | None] = queue.Queue()

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    self.send_error(413)
                    return
                body = self.rfile.read(length) if length > 0 else b""
                request = WebhookRequest(self.path, body, dict(self.headers), self.command)
                answer, event = accept(request, token())
                if event is not None:
                    events.put(event)
                self.send_response(answer.status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            do_POST = do_GET = do_PUT = _serve

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
                return

        def work() -> None:
            while (event := events.get()) is not None:
                try:
                    process(event)
                finally:
                    events.task_done()
            events.task_done()

        self._events = events
        self.httpd = listen(Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/webhook"
        self._threads = [threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True),
                         threading.Thread(target=work, daemon=True)]
        for thread in self._threads:
            thread.start()

    def wait_idle(self) -> None:
        """Block until every accepted event has been processed."""
        self._events.join()

    def stop(self) -> None:
        if self._threads[0].is_alive():
            self.httpd.shutdown()
            self._events.put(None)
            for thread in self._threads:
                thread.join()
        self.httpd.server_close()

    def __enter__(self) -> WebhookServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
