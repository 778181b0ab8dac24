"""Webhooks the fake emits: journaled, kept in an outbox, optionally pushed at once.

Payloads are Kanboard's: {"event_name", "event_data", "event_author"} (username of the
session, null for API-token calls). The harness drains the outbox and decides when and how
often to deliver (duplicates, delays); `subscribe` and `set_url` deliver immediately after
the operation that emitted them, as Kanboard does within the request.
"""

from __future__ import annotations

import http.client
import json
import threading
import urllib.parse
from collections.abc import Callable
from typing import Any

from harness.journal import NOTE, WEBHOOK, Journal

Payload = dict[str, Any]
Subscriber = Callable[[Payload], Any]
HTTP_TIMEOUT = 10.0  # Kanboard's HTTP_TIMEOUT


def body(payload: Payload) -> bytes:
    """The POST body as PHP's json_encode writes it (escaped slashes and non-ASCII)."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=True).replace("/", "\\/").encode()


def payload_task_id(payload: Payload) -> int | None:
    data = payload.get("event_data") or {}
    if data.get("task_id") is not None:
        return data["task_id"]
    task = data.get("task") or {}
    return task.get("id")


class Webhooks:
    def __init__(self, journal: Journal, token: str) -> None:
        self.token = token
        self._journal = journal
        self._outbox: list[Payload] = []
        self._subscribers: list[Subscriber] = []
        self._url: str | None = None
        self._lock = threading.Lock()

    # --- what the harness uses --------------------------------------------------------

    def subscribe(self, fn: Subscriber) -> Callable[[], None]:
        """Call fn(payload) for every webhook from now on; returns an unsubscribe function."""
        with self._lock:
            self._subscribers.append(fn)

        def unsubscribe() -> None:
            with self._lock:
                if fn in self._subscribers:
                    self._subscribers.remove(fn)

        return unsubscribe

    def set_url(self, url: str | None) -> None:
        """POST every webhook to `url` (+ ?token=...), or stop posting with None."""
        if url is not None:
            parts = urllib.parse.urlsplit(url)
            if parts.scheme != "http" or not parts.hostname:
                raise ValueError(f"webhook URL must be http://host[:port]/path, got {url!r}")
        self._url = url

    def drain(self) -> list[Payload]:
        """Take every payload emitted since the last drain, oldest first."""
        with self._lock:
            taken, self._outbox = self._outbox, []
        return taken

    @property
    def outbox(self) -> list[Payload]:
        """Payloads not yet drained (a copy)."""
        with self._lock:
            return list(self._outbox)

    def url_with_token(self, url: str) -> str:
        return f"{url}{'&' if '?' in url else '?'}token={self.token}"

    # --- what the fake uses -----------------------------------------------------------

    def record(self, payloads: list[Payload], actor: str) -> None:
        """Journal and keep payloads (called inside the operation, in emission order)."""
        for payload in payloads:
            self._journal.record(
                WEBHOOK,
                {"event_name": payload["event_name"], "task_id": payload_task_id(payload),
                 "payload": payload},
                actor=actor,
            )
        with self._lock:
            self._outbox.extend(payloads)

    def deliver(self, payloads: list[Payload]) -> None:
        """Push to the immediate sinks (called after the operation released the store)."""
        if not payloads:
            return
        with self._lock:
            subscribers = list(self._subscribers)
        url = self._url
        for payload in payloads:
            for fn in subscribers:
                try:
                    fn(json.loads(json.dumps(payload)))
                except Exception as error:  # Kanboard never lets a delivery fail the request
                    self._journal.record(NOTE, {"text": f"webhook subscriber {fn!r} raised {error!r}"})
            if url is not None:
                self._post(url, payload)

    def _post(self, url: str, payload: Payload) -> None:
        """POST as Kanboard's HttpClient does; failures are only noted (Kanboard logs them)."""
        target = urllib.parse.urlsplit(self.url_with_token(url))
        data = body(payload)
        path = urllib.parse.urlunsplit(("", "", target.path or "/", target.query, ""))
        connection = http.client.HTTPConnection(target.hostname, target.port or 80, timeout=HTTP_TIMEOUT)
        try:
            connection.putrequest("POST", path, skip_accept_encoding=True)
            connection.putheader("User-Agent", "Kanboard")
            connection.putheader("Accept", "*/*")
            connection.putheader("Content-type", "application/json")
            connection.putheader("Content-Length", str(len(data)))
            connection.endheaders(data)
            connection.getresponse().read()
        except OSError as error:
            self._journal.record(NOTE, {"text": f"webhook POST to {url} failed: {error}"})
        finally:
            connection.close()
