"""Fixtures the harness's own tests share."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

from harness.kanboard.server import loopback_without_proxy

REDIS = shutil.which("redis-server")


@pytest.fixture(autouse=True, scope="session")
def _no_proxy_for_loopback() -> Iterator[None]:
    """Tests talk to servers on 127.0.0.1 with urllib-based clients, which would send that
    through a proxy the environment names (a company machine's `http_proxy`). Worlds see to
    it themselves (`plain_http_only`); tests that serve a fake alone get it here."""
    with loopback_without_proxy():
        yield


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path) -> Iterator[str]:
    """A real redis-server on 127.0.0.1 (a free port), stopped after the test."""
    if REDIS is None:
        pytest.skip("redis-server is not installed (.ci/run installs it)")
    port = _free_port()
    server = subprocess.Popen(
        [REDIS, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        from redis import Redis

        client = Redis(host="127.0.0.1", port=port)
        for _ in range(100):
            try:
                client.ping()
                break
            except Exception:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


