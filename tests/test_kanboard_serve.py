"""The main job: `serve` starts the fake with the standard board and prints how to reach it."""

from __future__ import annotations

import io
import os
import socket
import threading
import time
from typing import Any

import kanboard
import pytest

from harness.kanboard import FakeKanboard
from harness.kanboard.serve import main
from harness.kanboard.server import plain_http_only


class _Lines(io.StringIO):
    def wait_for(self, prefix: str, seconds: float = 5.0) -> str:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for line in self.getvalue().splitlines():
                if line.startswith(prefix):
                    return line
            time.sleep(0.01)
        raise AssertionError(f"no line starting with {prefix!r} in {self.getvalue()!r}")


@pytest.mark.parametrize(("board", "columns"), [("newest", 11), ("ba02d79", 10)])
def test_serve_prints_the_environment_and_answers_the_real_client(board: str, columns: int) -> None:
    out, stop = _Lines(), threading.Event()
    codes: list[int] = []
    runner = threading.Thread(target=lambda: codes.append(main(["--board", board], out, stop)))
    runner.start()
    try:
        url = out.wait_for("KANBOARD_URL=").split("=", 1)[1]
        token = out.wait_for("KANBOARD_TOKEN=").split("=", 1)[1]
        assert out.wait_for("user: ") == "user: jsonrpc"
        assert out.wait_for("webhook token: ")
        assert url.startswith("http://127.0.0.1:") and url.endswith("/jsonrpc.php")
        client = kanboard.Client(url, "jsonrpc", token, timeout=5)
        assert len(client.get_columns(project_id=1)) == columns
    finally:
        stop.set()
        runner.join(5)
    assert codes == [0]


def test_serve_stops_after_the_given_seconds() -> None:
    out = io.StringIO()
    assert main(["--seconds", "0", "--token", "t0k"], out) == 0
    assert "KANBOARD_TOKEN=t0k" in out.getvalue()


@pytest.mark.parametrize(
    "argv",
    [["--board", "nope"], ["--port", "70000"], ["--port", "x"], ["--seconds", "-1"], ["--bogus"],
     ["--webhook-url", "ftp://host/"]],
)
def test_bad_options_give_one_clear_line_and_exit_2(argv: list[str], capsys: Any) -> None:
    assert main(argv, io.StringIO()) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("harness serve: error: ")


def test_plain_http_only_restores_the_environment() -> None:
    before = {k: os.environ.get(k) for k in ("SSL_CERT_FILE", "SSL_CERT_DIR", "no_proxy", "NO_PROXY")}
    with plain_http_only():
        assert os.path.getsize(os.environ["SSL_CERT_FILE"]) == 0
    assert {k: os.environ.get(k) for k in before} == before


def test_a_proxy_in_the_environment_does_not_divert_calls_to_the_fake(monkeypatch: Any) -> None:
    """urllib sends http:// requests, 127.0.0.1 included, to the proxy `http_proxy` names
    unless `no_proxy` excepts the host: the real client must still reach the fake directly
    (here the "proxy" is a port nothing listens on), keeping what `no_proxy` already said."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = sock.getsockname()[1]
    for name in ("http_proxy", "HTTP_PROXY"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{dead}")
    monkeypatch.setenv("no_proxy", "example.org")
    monkeypatch.delenv("NO_PROXY", raising=False)
    fake = FakeKanboard()
    with fake.serve() as server, plain_http_only():
        assert os.environ["no_proxy"].startswith("example.org,")
        assert server.http_client("runner", timeout=2).get_version()
    assert os.environ["no_proxy"] == "example.org" and "NO_PROXY" not in os.environ
