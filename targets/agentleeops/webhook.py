"""Its real webhook handler class on 127.0.0.1, with deliveries made synchronous.

Its handler answers 200 *before* processing the event, so a plain HTTP client would return
while agents still run. To keep every step deterministic, the listening socket is served by
no background thread: each delivery connects, the caller's own thread accepts that very
connection and runs the handler to completion (so the work is attributed to the caller's
actor and scheduled as the caller's turns), while a helper thread plays Kanboard: it sends the
raw request bytes and reads the reply until the handler closes the connection.
"""

from __future__ import annotations

import socket
import threading
import traceback
from typing import Any

from targets.base import WebhookRequest, WebhookResponse

ACCEPT_TIMEOUT_S = 10.0
HANDLER_TIMEOUT_S = 120.0  # a handler reading a body longer than was sent gives up after this
CLIENT_TIMEOUT_S = 3600.0  # Kanboard's side waits as long as the handler runs


class WebhookPort:
    """Its HTTP server class bound to 127.0.0.1 on a free port, serving one delivery per call."""

    def __init__(self, server_cls: Any, handler_cls: Any) -> None:
        self.server = server_cls(("127.0.0.1", 0), handler_cls)
        self.server.socket.settimeout(ACCEPT_TIMEOUT_S)
        self._accepting = threading.Lock()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/"

    def deliver(self, request: WebhookRequest) -> WebhookResponse:
        raw = _raw_request(request, self.server.server_address)
        with self._accepting:  # one connect+accept in flight, so the accepted one is ours
            client = socket.create_connection(self.server.server_address[:2], timeout=ACCEPT_TIMEOUT_S)
            conn, peer = self._accept(client.getsockname())
        client.settimeout(CLIENT_TIMEOUT_S)
        reply: dict[str, bytes] = {}
        kanboard = threading.Thread(target=_exchange, args=(client, raw, reply), daemon=True,
                                    name="agentleeops-webhook-client")
        kanboard.start()
        try:
            crash = self._handle(conn, peer)
        finally:
            kanboard.join()
        answer = _parse_reply(reply.get("data", b""))
        if crash is None:
            return answer
        from harness.steps import raised_in_target

        line = traceback.format_exception_only(type(crash), crash)[-1].strip()
        return WebhookResponse(answer.status, answer.body, error=line, where=raised_in_target(crash) or "?")

    def close(self) -> None:
        self.server.server_close()

    def _accept(self, ours: tuple[Any, ...]) -> tuple[socket.socket, Any]:
        """Accept our connection; anything else that connected meanwhile is turned away."""
        while True:
            conn, peer = self.server.socket.accept()
            if peer[:2] == ours[:2]:
                return conn, peer
            conn.close()

    def _handle(self, conn: socket.socket, peer: Any) -> Exception | None:
        """What socketserver does per request, in this thread: handle, report, close; the
        exception its handler let out, if any."""
        conn.settimeout(HANDLER_TIMEOUT_S)
        try:
            self.server.finish_request(conn, peer)
        except Exception as exc:
            self.server.handle_error(conn, peer)
            return exc
        finally:
            self.server.shutdown_request(conn)
        return None


def _raw_request(request: WebhookRequest, address: tuple[Any, ...]) -> bytes:
    headers = {k: v for k, v in request.headers.items()}
    lower = {k.lower() for k in headers}
    if "host" not in lower:
        headers["Host"] = f"{address[0]}:{address[1]}"
    if "content-length" not in lower:
        headers["Content-Length"] = str(len(request.body))
    if "connection" not in lower:
        headers["Connection"] = "close"
    head = f"{request.method} {request.path or '/'} HTTP/1.1\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    return head.encode("latin-1", "replace") + request.body


def _exchange(client: socket.socket, raw: bytes, reply: dict[str, bytes]) -> None:
    """Kanboard's side: send the request, half-close, read the reply until the server closes."""
    chunks: list[bytes] = []
    try:
        client.sendall(raw)
        client.shutdown(socket.SHUT_WR)
        while True:
            chunk = client.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    except OSError:
        pass
    finally:
        client.close()
        reply["data"] = b"".join(chunks)


def _parse_reply(data: bytes) -> WebhookResponse:
    """Status and body of the handler's reply; status 0 when it closed without answering."""
    head, _, body = data.partition(b"\r\n\r\n")
    parts = head.split(b"\r\n", 1)[0].split()
    if len(parts) >= 2 and parts[0].startswith(b"HTTP/") and parts[1].isdigit():
        return WebhookResponse(status=int(parts[1]), body=body)
    return WebhookResponse(status=0, body=b"")
