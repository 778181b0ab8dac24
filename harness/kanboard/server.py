"""Face B: Kanboard's JSON-RPC endpoint over real HTTP on 127.0.0.1, so the real `kanboard`
client library (urllib) talks to the fake exactly as it talks to Kanboard.

Paths: /jsonrpc.php (calls journaled as actor "system") and /r/<actor>/jsonrpc.php (as
<actor>). Auth: HTTP Basic `jsonrpc` + the API token, 401 otherwise. The server is threading:
each request is served in a thread of its own while it lasts, where call hooks run (the
scheduler's turns); a thread that finished one waits for the next (`_Workers`).
Planned faults: `lost` closes the connection without answering once the call is applied (the
client raises http.client.RemoteDisconnected); `timeout` withholds the answer until the
client hangs up after its own timeout (at most HOLD_SECONDS), then closes likewise.

An answer that takes a while (a call parked by the scheduler while another runner works, or
slow to apply) is preceded by interim `100 Continue` responses, one every KEEPALIVE_SECONDS:
HTTP/1.1 clients must skip them (http.client does), and each one restarts the client's read
timeout. So only a planned `timeout` ever reaches the client's timeout, and clients can give
up after a short one (a planned timeout costs that much wall time).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import itertools
import os
import queue
import selectors
import socket
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import kanboard

from harness.kanboard import boards
from harness.kanboard.faults import TIMEOUT

if TYPE_CHECKING:
    from harness.kanboard.facade import FakeKanboard

DEFAULT_HTTP_TIMEOUT = 1.0  # seconds; HTTP clients made by the harness give up after this
HOLD_SECONDS = 30.0  # the longest a timed-out answer is withheld before the server gives up
KEEPALIVE_SECONDS = 0.2  # an answer not ready after this gets a `100 Continue` meanwhile
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
ENDPOINT = "jsonrpc.php"
SYSTEM_ACTOR = "system"


class KanboardServer:
    """A running HTTP face; `stop()` it or use it as a context manager."""

    def __init__(self, fake: FakeKanboard, host: str = "127.0.0.1", port: int = 0) -> None:
        self.fake = fake
        self._stopping = threading.Event()
        self._httpd = _HTTPServer((host, port), _make_handler(self))
        self.host, self.port = self._httpd.server_address[:2]
        self._wake_r, self._wake_w = socket.socketpair()  # stop() wakes the serving loop at once
        self._pending: dict[int, _Pending] = {}  # answers being worked out, by id
        self._pending_lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, name=f"fake-kanboard:{self.port}", daemon=True)
        self._thread.start()
        self._keeper = threading.Thread(target=self._keep_alive, name=f"fake-kanboard-keepalive:{self.port}",
                                        daemon=True)
        self._keeper.start()

    def _serve(self) -> None:
        """http.server's serve_forever, but woken by stop() instead of polling: a world (one
        per example) stops its server, and a poll would cost up to its interval each time."""
        with selectors.DefaultSelector() as selector:
            selector.register(self._httpd, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            while not self._stopping.is_set():
                for key, _ in selector.select():
                    if key.fileobj is self._httpd and not self._stopping.is_set():
                        self._httpd._handle_request_noblock()  # accept; a thread serves it

    def _keep_alive(self) -> None:
        """Send `100 Continue` on every connection whose answer is overdue (module docstring)."""
        while not self._stopping.wait(KEEPALIVE_SECONDS / 4):
            with self._pending_lock:
                pending = list(self._pending.values())
            for item in pending:
                item.keep_alive()

    @contextlib.contextmanager
    def working_on(self, connection: socket.socket, *, interim: bool = True) -> Iterator[None]:
        """While an answer is worked out on `connection`, keep its client waiting (`interim`:
        an HTTP/1.1 request; a 1.0 client gets no 1xx); the answer, or the silence of a planned
        timeout, follows the block's end."""
        if not interim:
            yield
            return
        item = _Pending(connection)
        with self._pending_lock:
            self._pending[id(item)] = item
        try:
            yield
        finally:
            with self._pending_lock:
                self._pending.pop(id(item), None)
            item.done()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/{ENDPOINT}"

    @property
    def token(self) -> str:
        return self.fake.api_token

    @property
    def user(self) -> str:
        return boards.API_USER

    @property
    def running(self) -> bool:
        return not self._stopping.is_set()

    def url_for(self, actor: str) -> str:
        """An endpoint whose calls are journaled as `actor`."""
        return f"http://{self.host}:{self.port}/r/{urllib.parse.quote(actor, safe='')}/{ENDPOINT}"

    def http_client(self, actor: str = SYSTEM_ACTOR, timeout: float = DEFAULT_HTTP_TIMEOUT) -> kanboard.Client:
        """A real kanboard.Client for `actor`, giving up after `timeout` seconds."""
        return kanboard.Client(self.url_for(actor), self.user, self.token, timeout=timeout)

    def stop(self) -> None:
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._wake_w.send(b"x")
        self._thread.join(timeout=5)
        self._keeper.join(timeout=5)
        self._httpd.server_close()
        self._wake_r.close()
        self._wake_w.close()

    def __enter__(self) -> KanboardServer:
        return self

    def __exit__(self, *args: Any) -> None:
        self.stop()

    def hold(self, connection: socket.socket) -> None:
        """Withhold the answer until the client closes its end (its timeout), stop, or cap."""
        waited = 0.0
        connection.settimeout(0.05)
        while waited < HOLD_SECONDS and not self._stopping.is_set():
            try:
                if connection.recv(1024) == b"":
                    return
            except TimeoutError:
                waited += 0.05
            except OSError:
                return


class _Pending:
    """One answer being worked out: interim responses go out only until `done()`."""

    def __init__(self, connection: socket.socket) -> None:
        self.connection = connection
        self.since = time.monotonic()
        self._lock = threading.Lock()
        self._open = True

    def keep_alive(self) -> None:
        with self._lock:
            now = time.monotonic()
            if not self._open or now - self.since < KEEPALIVE_SECONDS:
                return
            try:
                self.connection.sendall(CONTINUE)
            except OSError:
                self._open = False
                return
            self.since = now

    def done(self) -> None:
        """From now on the handler alone writes (an interim response being sent finishes first)."""
        with self._lock:
            self._open = False


class _Workers:
    """Daemon threads that each serve one connection at a time, then wait for the next.

    Any request may last (parked by the scheduler, held for a planned timeout), so there is
    no fixed number of them: a connection that finds no thread idle gets a new one.
    Starting a thread per connection cost 90 µs of the serving loop's time per call, and the
    real client opens a connection for every call. Daemon threads, like ThreadingMixIn's: a
    connection abandoned mid-call cannot keep the interpreter from exiting."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._work: queue.SimpleQueue[tuple[Any, tuple[Any, ...]] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._numbers = itertools.count(1)
        self._idle = 0
        self._live = 0
        self._closed = False

    def submit(self, fn: Any, *args: Any) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("the server is stopping")
            if self._idle:
                self._idle -= 1
            else:
                self._live += 1
                threading.Thread(target=self._serve, name=f"{self._name}-{next(self._numbers)}",
                                 daemon=True).start()
        self._work.put((fn, args))

    def _serve(self) -> None:
        while (item := self._work.get()) is not None:
            fn, args = item
            try:
                fn(*args)
            except BaseException:  # past the handler's own catching: this thread ends, as a
                with self._lock:  # thread per connection did, and is not counted as idle
                    self._live -= 1
                raise
            with self._lock:
                self._idle += 1

    def close(self) -> None:
        """Idle threads end now, busy ones after their connection."""
        with self._lock:
            self._closed = True
            count = self._live
        for _ in range(count):
            self._work.put(None)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self.workers = _Workers(f"fake-kanboard:{self.server_address[1]}")

    def process_request(self, request: Any, client_address: Any) -> None:
        """As ThreadingMixIn does, in a waiting thread when there is one."""
        try:
            self.workers.submit(self.process_request_thread, request, client_address)
        except RuntimeError:
            self.shutdown_request(request)

    def server_close(self) -> None:
        super().server_close()
        self.workers.close()


def _actor_of(path: str) -> str | None:
    route = urllib.parse.urlsplit(path).path
    if route == f"/{ENDPOINT}":
        return SYSTEM_ACTOR
    parts = route.split("/")
    if len(parts) == 4 and parts[0] == "" and parts[1] == "r" and parts[3] == ENDPOINT and parts[2]:
        return urllib.parse.unquote(parts[2])
    return None


def _credentials(header: str | None) -> tuple[str, str] | None:
    """The (name, password) of a Basic Authorization header."""
    if not header or not header.startswith("Basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:], validate=False).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user, password


def _make_handler(server: KanboardServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "Apache"
        sys_version = ""
        # a buffered writer: an answer's head and body leave in one send when the handler
        # flushes after the request (two sends cost a wake-up of the client each)
        wbufsize = -1

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
            pass

        def do_POST(self) -> None:  # noqa: N802 - stdlib name
            self._answer()

        def do_GET(self) -> None:  # noqa: N802 - stdlib name
            self._answer()

        def _answer(self) -> None:
            actor = _actor_of(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length > 0 else b""
            if actor is None:
                self._send(404, [("Content-Type", "text/plain")], b"Not Found")
                return
            credentials = _credentials(self.headers.get("Authorization"))
            user_id = server.fake.identify(*credentials) if credentials else None
            try:
                interim = self.request_version not in ("HTTP/0.9", "HTTP/1.0")
                with server.working_on(self.connection, interim=interim):
                    answer = server.fake.handle(body, actor, user_id)
            except Exception:  # a defect of the fake: answer like a PHP fatal error
                self._send(500, [("Content-Type", "text/html; charset=UTF-8")], b"")
                raise
            except BaseException:  # a call hook ended the caller's run (the scheduler
                self.close_connection = True  # abandoning a race): no answer, no traceback
                return
            if answer.withheld is not None:
                if answer.withheld.kind == TIMEOUT:
                    server.hold(self.connection)
                self.close_connection = True
                return
            self._send(answer.status, answer.headers, answer.body, answer.reason)

        def _send(self, status: int, headers: list[tuple[str, str]], body: bytes, reason: str | None = None) -> None:
            self.send_response(status, reason)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


@contextlib.contextmanager
def plain_http_only() -> Iterator[None]:
    """Make the real kanboard.Client reach this (plain HTTP) server directly, ~10x faster.

    kanboard 1.1.8 builds an SSL context for every request, even to an http:// URL, and that
    loads the system CA bundle (~30 ms). Inside this block the bundle is an empty file, so no
    HTTPS peer could be trusted - harmless for plain HTTP - and loopback bypasses any proxy
    (`loopback_without_proxy`). Restored afterwards. It changes the process environment: use
    it only where nothing else needs HTTPS or a proxy meanwhile.
    """
    with tempfile.TemporaryDirectory() as empty, loopback_without_proxy():
        bundle = os.path.join(empty, "none.pem")
        open(bundle, "w").close()
        with _environ(SSL_CERT_FILE=bundle, SSL_CERT_DIR=empty):
            yield


@contextlib.contextmanager
def loopback_without_proxy() -> Iterator[None]:
    """urllib sends every http:// request through the proxy `http_proxy` names (common on
    company machines and CI), 127.0.0.1 included, unless `no_proxy` excepts the host: inside
    this block it does (127.0.0.1 and localhost added to what it held), so no call to a local
    server leaves the machine."""
    added = {name: ",".join(filter(None, (os.environ.get(name), "127.0.0.1", "localhost")))
             for name in ("no_proxy", "NO_PROXY")}
    with _environ(**added):
        yield


@contextlib.contextmanager
def _environ(**values: str) -> Iterator[None]:
    """Set these environment variables for the block, then put back what was there."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
