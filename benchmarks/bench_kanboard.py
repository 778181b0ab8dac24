"""Prints calls/s of the fake Kanboard through each face. A script, not a test: figures vary.

    python benchmarks/bench_kanboard.py [--calls N]

Faces: the facade's `call` (no envelope), Face A (in-process drop-in, full JSON-RPC envelope),
Face B with the real kanboard.Client over HTTP - as shipped (it loads the CA bundle on every
call) and inside `plain_http_only()` - and Face B with a bare urllib request.
The workload mimics a pipeline pass: read a card, its tags and metadata, write metadata,
replace tags, move the card back and forth.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness.kanboard import FakeKanboard  # noqa: E402
from harness.kanboard.server import plain_http_only  # noqa: E402

Caller = Callable[[str, dict[str, Any]], Any]


def _workload(n: int) -> list[tuple[str, dict[str, Any]]]:
    step = [
        ("getTask", {"task_id": 1}),
        ("getTaskTags", {"task_id": 1}),
        ("getTaskMetadata", {"task_id": 1}),
        ("saveTaskMetadata", {"task_id": 1, "values": {"agent_status": "running"}}),
        ("setTaskTags", {"project_id": 1, "task_id": 1, "tags": ["design-started"]}),
        ("moveTaskPosition", {"project_id": 1, "task_id": 1, "column_id": 2, "position": 1, "swimlane_id": 1}),
        ("moveTaskPosition", {"project_id": 1, "task_id": 1, "column_id": 1, "position": 1, "swimlane_id": 1}),
        ("getAllTasks", {"project_id": 1}),
    ]
    return [step[i % len(step)] for i in range(n)]


def _measure(name: str, make: Callable[[FakeKanboard], tuple[Caller, Callable[[], None]]], calls: int) -> None:
    fake = FakeKanboard()
    for i in range(5):
        fake.call("createTask", {"title": f"card {i}", "project_id": 1})
    call, done = make(fake)
    work = _workload(calls)
    started = time.perf_counter()
    for method, params in work:
        call(method, params)
    elapsed = time.perf_counter() - started
    done()
    print(f"{name:<44} {calls / elapsed:>10.0f} calls/s   ({elapsed / calls * 1e3:.3f} ms/call)")


def _facade(fake: FakeKanboard) -> tuple[Caller, Callable[[], None]]:
    return (lambda method, params: fake.call(method, params, "bench")), (lambda: None)


def _face_a(fake: FakeKanboard) -> tuple[Caller, Callable[[], None]]:
    client = fake.client("bench")
    return (lambda method, params: client.execute(method, **params)), (lambda: None)


def _face_b(fake: FakeKanboard) -> tuple[Caller, Callable[[], None]]:
    server = fake.serve()
    client = server.http_client("bench", timeout=10)
    return (lambda method, params: client.execute(method, **params)), server.stop


def _face_b_urllib(fake: FakeKanboard) -> tuple[Caller, Callable[[], None]]:
    server = fake.serve()
    auth = "Basic " + base64.b64encode(f"jsonrpc:{server.token}".encode()).decode()

    def call(method: str, params: dict[str, Any]) -> Any:
        body = json.dumps({"jsonrpc": "2.0", "method": method, "id": 1, "params": params}).encode()
        request = urllib.request.Request(server.url_for("bench"), data=body, headers={"Authorization": auth})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    return call, server.stop


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=2000, help="calls per in-process face")
    args = parser.parse_args()
    http_calls = max(50, args.calls // 10)
    _measure("facade .call()", _facade, args.calls)
    _measure("Face A (in-process kanboard.Client drop-in)", _face_a, args.calls)
    _measure("Face B, real kanboard.Client (as shipped)", _face_b, max(20, http_calls // 5))
    with plain_http_only():
        _measure("Face B, real kanboard.Client, plain_http_only", _face_b, http_calls)
    _measure("Face B, bare urllib", _face_b_urllib, http_calls)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
