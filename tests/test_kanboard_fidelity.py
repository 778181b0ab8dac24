"""Fidelity against the real thing: replay every recorded request, compare every answer.

tests/data/kanboard/trace.jsonl (a copy of the shared recordings; `$KANBOARD_RECORDINGS`
points elsewhere) holds request/response pairs recorded against a real Kanboard
(main.2cba210d) with MetaMagik, on a fresh database; `webhooks.jsonl` the webhooks it sent.
The recording was made within one second (every date in it is 1795480618), so the strict
replay uses that instant as the fake's clock and compares bytes-for-bytes JSON (values, types
and key order) and HTTP status with no normalisation at all. A second replay uses the fake's
default ticking clock and normalises only dates and what is derived from them.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from harness.kanboard import FakeKanboard

RECORDED_AT = 1795480618


def _recordings() -> Path:
    candidates = [os.environ.get("KANBOARD_RECORDINGS"), Path(__file__).parent / "data" / "kanboard"]
    for candidate in candidates:
        if candidate and (Path(candidate) / "trace.jsonl").is_file():
            return Path(candidate)
    raise FileNotFoundError("no Kanboard recordings (set KANBOARD_RECORDINGS)")


RECORDINGS = _recordings()
TRACE = [json.loads(line) for line in (RECORDINGS / "trace.jsonl").read_text().splitlines() if line]
HOOKS = [json.loads(line) for line in (RECORDINGS / "webhooks.jsonl").read_text().splitlines() if line]


def _post(url: str, token: str, body: bytes, auth: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    if auth != "none":
        secret = token if auth == "ok" else "not-the-token"
        request.add_header("Authorization", "Basic " + base64.b64encode(f"jsonrpc:{secret}".encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _body(record: dict[str, Any]) -> bytes:
    request = record["request"]
    return request["_raw"].encode() if "_raw" in request else json.dumps(request).encode()


class _Receiver:
    """A webhook endpoint recording path, headers and raw body of each POST."""

    def __init__(self) -> None:
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - stdlib name
                data = self.rfile.read(int(self.headers["Content-Length"]))
                received.append({"path": self.path, "headers": dict(self.headers.items()), "raw": data})
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def replayed() -> Any:
    """A fresh empty install on the recording's clock, every request replayed over HTTP."""
    receiver = _Receiver()
    fake = FakeKanboard(board=None, clock=lambda: RECORDED_AT)
    fake.webhooks.set_url(receiver.url)
    answers = []
    with fake.serve() as server:
        for record in TRACE:
            answers.append(_post(server.url, server.token, _body(record), record["auth"]))
    receiver.close()
    yield fake, answers, receiver.received


def test_the_recording_is_what_the_test_assumes() -> None:
    assert len(TRACE) == 102 and len(HOOKS) == 15
    assert {r["auth"] for r in TRACE} == {"ok", "bad", "none"}
    dates = {v for r in TRACE for v in _dates(r["response"])}
    assert dates == {RECORDED_AT}


def test_every_recorded_answer_is_reproduced_exactly(replayed: Any) -> None:
    _, answers, _ = replayed
    differences = []
    for line, (record, (status, body)) in enumerate(zip(TRACE, answers, strict=True), start=1):
        got = json.loads(body) if body else None
        if status != record["http_status"] or json.dumps(got) != json.dumps(record["response"]):
            differences.append(f"line {line} ({record['method']}, {record['note']!r}): "
                               f"want {record['http_status']} {record['response']!r}, got {status} {got!r}")
    assert differences == []


def test_every_recorded_webhook_is_reproduced_exactly(replayed: Any) -> None:
    fake, _, received = replayed
    assert len(received) == len(HOOKS)
    for want, got in zip(HOOKS, received, strict=True):
        headers = dict(got["headers"])
        assert headers.pop("Host").startswith("127.0.0.1:")
        want_headers = {k: v for k, v in want["headers"].items() if k != "Host"}
        assert headers == want_headers
        assert got["path"] == want["path"].replace("<WEBHOOK_TOKEN>", fake.webhook_token)
        assert json.dumps(json.loads(got["raw"])) == json.dumps(want["body"])
        assert len(got["raw"]) == int(want["headers"]["Content-Length"])
    assert [p["event_name"] for p in fake.webhooks.outbox] == [h["body"]["event_name"] for h in HOOKS]


def test_replay_on_a_ticking_clock_differs_only_in_dates() -> None:
    """The default clock moves each call; normalising dates (and the file path, a hash of its
    upload time) must leave the recording intact."""
    fake = FakeKanboard(board=None)
    differing_raw = 0
    with fake.serve() as server:
        for record in TRACE:
            status, body = _post(server.url, server.token, _body(record), record["auth"])
            assert status == record["http_status"]
            got = json.loads(body) if body else None
            assert json.dumps(_normalise(got)) == json.dumps(_normalise(record["response"])), record
            differing_raw += got != record["response"]
    assert differing_raw > 10  # the clock really moved, so the normalisation was needed


_DATE_KEYS = {"date", "last_modified"}


def _is_date(key: str) -> bool:
    return key.startswith("date_") or key in _DATE_KEYS


def _dates(value: Any) -> list[Any]:
    if isinstance(value, dict):
        found = [v for k, v in value.items() if _is_date(k) and isinstance(v, int) and v > 0]
        return found + [d for v in value.values() for d in _dates(v)]
    if isinstance(value, list):
        return [d for v in value for d in _dates(v)]
    return []


def _normalise(value: Any) -> Any:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if _is_date(key) and isinstance(item, int) and item > 0:
                item = "<date>"
            elif key in ("path", "etag") and isinstance(item, str):
                item = f"<{key}>"
            out[key] = _normalise(item)
        return out
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    return value
