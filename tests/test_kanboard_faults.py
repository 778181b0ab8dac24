"""Planned faults, each kind through each face, with what was applied and what was journaled."""

from __future__ import annotations

import base64
import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import kanboard
import pytest

from harness.journal import CALL
from harness.kanboard import FakeKanboard, TransportFault

FACES = ("inprocess", "http")
HTTP_TIMEOUT = 0.3  # short: a planned timeout over HTTP costs the client this long


@pytest.fixture(params=FACES)
def setup(request: Any) -> Iterator[tuple[FakeKanboard, Any]]:
    fake = FakeKanboard()
    if request.param == "inprocess":
        yield fake, fake.client("runner")
    else:
        with fake.serve() as server:
            yield fake, server.http_client("runner", timeout=HTTP_TIMEOUT)


def _last_call(fake: FakeKanboard) -> dict[str, Any]:
    event = fake.journal.events(CALL)[-1]
    assert event.actor == "runner"
    return dict(event.data)


def test_error_fault_raises_client_error_and_applies_nothing(setup: tuple[FakeKanboard, Any]) -> None:
    fake, kb = setup
    task_id = kb.create_task(title="t", project_id=1)
    fake.faults.error("saveTaskMetadata")
    with pytest.raises(kanboard.ClientError, match="database is locked"):
        kb.save_task_metadata(task_id=task_id, values={"k": "v"})
    assert fake.metadata(task_id) == {}
    record = _last_call(fake)
    assert record["outcome"] == "error" and record["fault"] == "error"
    assert record["error"]["message"].endswith("database is locked")
    assert kb.save_task_metadata(task_id=task_id, values={"k": "v"}) is True  # fired once


def test_falsy_fault_returns_the_methods_quiet_failure(setup: tuple[FakeKanboard, Any]) -> None:
    fake, kb = setup
    task_id = kb.create_task(title="t", project_id=1)
    for method in ("getTask", "saveTaskMetadata", "duplicateTaskToProject", "getTaskTags",
                   "getAllTaskLinks", "getTaskMetadataByName"):
        fake.faults.falsy(method)
    assert kb.get_task(task_id=task_id) is None
    assert kb.save_task_metadata(task_id=task_id, values={"k": "v"}) is False
    assert kb.duplicate_task_to_project(task_id=task_id, project_id=1) == 0
    assert kb.get_task_tags(task_id=task_id) == {}
    assert kb.get_all_task_links(task_id=task_id) == []
    assert kb.get_task_metadata_by_name(task_id=task_id, name="k") == ""
    assert fake.metadata(task_id) == {} and len(fake.tasks()) == 1  # nothing applied
    assert _last_call(fake) == {"method": "getTaskMetadataByName", "params": {"task_id": task_id, "name": "k"},
                                     "fault": "falsy", "outcome": "falsy", "result": ""}
    fake.faults.falsy("createTask", value=0)
    assert kb.create_task(title="again", project_id=1) == 0


def test_timeout_fault_applies_nothing_and_the_client_times_out(setup: tuple[FakeKanboard, Any]) -> None:
    fake, kb = setup
    task_id = kb.create_task(title="t", project_id=1)
    fake.faults.timeout("moveTaskPosition")
    with pytest.raises(kanboard.ClientError, match="^timed out$") as caught:
        kb.move_task_position(project_id=1, task_id=task_id, column_id=3, position=1, swimlane_id=1)
    assert isinstance(caught.value.__cause__, TimeoutError)
    assert fake.task(task_id)["column_id"] == 1
    assert _last_call(fake)["outcome"] == "timeout"
    assert fake.webhooks.outbox[-1]["event_name"] == "task.create"  # no move was emitted


def test_lost_fault_applies_the_call_then_the_client_raises(setup: tuple[FakeKanboard, Any]) -> None:
    fake, kb = setup
    task_id = kb.create_task(title="t", project_id=1)
    fake.faults.lost("duplicateTaskToProject")
    with pytest.raises(kanboard.ClientError, match="^Remote end closed connection without response$") as caught:
        kb.duplicate_task_to_project(task_id=task_id, project_id=1)
    assert isinstance(caught.value.__cause__, http.client.RemoteDisconnected)
    assert [t["id"] for t in fake.tasks()] == [task_id, task_id + 1]  # the copy exists
    assert _last_call(fake) == {
        "method": "duplicateTaskToProject", "params": {"task_id": task_id, "project_id": 1},
        "fault": "lost", "outcome": "lost", "result": task_id + 1}
    assert [p["event_name"] for p in fake.webhooks.outbox][-3:] == [
        "task.create", "task_internal_link.create_update", "task_internal_link.create_update"]


def test_faults_by_occurrence_predicate_and_repeat() -> None:
    fake = FakeKanboard()
    kb = fake.client()
    fake.faults.error("getVersion", nth=2)
    fake.faults.falsy(when=lambda method, params: method == "getTask" and params.get("task_id") == 7, times=None)
    assert kb.get_version()
    with pytest.raises(kanboard.ClientError):
        kb.get_version()
    assert kb.get_version()
    kb.create_task(title="t", project_id=1)
    for _ in range(3):
        assert kb.get_task(task_id=7) is None
    assert kb.get_task(task_id=1)["id"] == 1
    assert fake.faults.count("getVersion") == 3
    assert len(fake.faults.pending()) == 1  # the predicate one never runs out
    fake.faults.clear()
    assert fake.faults.pending() == []


def test_custom_error_objects_and_the_facade_signal() -> None:
    fake = FakeKanboard()
    fake.faults.error("getVersion", code=-32603, message="Internal error", data="boom")
    with pytest.raises(Exception) as caught:
        fake.call("getVersion")
    assert (caught.value.code, caught.value.message, caught.value.data) == (-32603, "Internal error", "boom")
    fake.faults.lost("createTask")
    with pytest.raises(TransportFault) as lost:
        fake.call("createTask", {"title": "x", "project_id": 1})
    assert (lost.value.kind, lost.value.result) == ("lost", 1)


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (("explode", "getTask"), {}, "unknown fault kind"),
        (("error",), {"nth": 2}, "occurrence needs a method"),
        (("error", "getTask"), {"nth": 0}, "nth >= 1"),
        (("error", "getTask"), {"times": 0}, "times must be"),
        (("error",), {}, "needs a method name"),
    ],
)
def test_bad_fault_plans_are_refused_with_one_clear_line(args: tuple[Any, ...], kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FakeKanboard(board=None).faults.add(*args, **kwargs)


# -- a slow answer is not a timeout -------------------------------------------------------------
def _held(seconds: float, method: str) -> Any:
    """A call hook that keeps `method` waiting, as the scheduler parks a runner's call."""
    def hook(actor: str, called: str, params: Any) -> None:
        if called == method:
            time.sleep(seconds)
    return hook


def test_a_call_held_longer_than_the_client_timeout_still_gets_its_answer() -> None:
    """The HTTP face sends interim `100 Continue` responses while an answer is overdue, so a
    parked call outlasts a short client timeout; only a planned timeout reaches it."""
    fake = FakeKanboard()
    with fake.serve() as server:
        kb = server.http_client("runner", timeout=HTTP_TIMEOUT)
        fake.add_call_hook(_held(4 * HTTP_TIMEOUT, "createTask"))
        started = time.monotonic()
        task_id = kb.create_task(title="t", project_id=1)
        assert time.monotonic() - started >= 4 * HTTP_TIMEOUT
        assert fake.task(task_id)["title"] == "t"
        assert _last_call(fake)["outcome"] == "ok"


def test_a_planned_fault_after_a_long_hold_is_still_that_fault() -> None:
    fake = FakeKanboard()
    with fake.serve() as server:
        kb = server.http_client("runner", timeout=HTTP_TIMEOUT)
        task_id = kb.create_task(title="t", project_id=1)
        fake.add_call_hook(_held(3 * HTTP_TIMEOUT, "duplicateTaskToProject"))
        fake.add_call_hook(_held(3 * HTTP_TIMEOUT, "moveTaskPosition"))
        fake.faults.lost("duplicateTaskToProject")
        with pytest.raises(kanboard.ClientError, match="^Remote end closed connection without response$") as lost:
            kb.duplicate_task_to_project(task_id=task_id, project_id=1)
        assert isinstance(lost.value.__cause__, http.client.RemoteDisconnected)
        fake.faults.timeout("moveTaskPosition")
        with pytest.raises(kanboard.ClientError, match="^timed out$") as timed_out:
            kb.move_task_position(project_id=1, task_id=task_id, column_id=3, position=1, swimlane_id=1)
        assert isinstance(timed_out.value.__cause__, TimeoutError)
        assert [e.data["outcome"] for e in fake.journal.events(CALL)][-2:] == ["lost", "timeout"]


def test_an_http_1_0_client_gets_no_interim_response() -> None:
    """1xx responses are HTTP/1.1's: a 1.0 request waits in silence for its one answer."""
    fake = FakeKanboard()
    with fake.serve() as server:
        fake.add_call_hook(_held(0.5, "getVersion"))
        body = json.dumps({"jsonrpc": "2.0", "method": "getVersion", "id": 1}).encode()
        auth = base64.b64encode(f"{server.user}:{server.token}".encode()).decode()
        request = (f"POST /jsonrpc.php HTTP/1.0\r\nHost: 127.0.0.1\r\nAuthorization: Basic {auth}\r\n"
                   f"Content-Length: {len(body)}\r\n\r\n").encode() + body
        with socket.create_connection((server.host, server.port), timeout=5) as sock:
            sock.sendall(request)
            reply = b""
            while chunk := sock.recv(65536):
                reply += chunk
        assert reply.startswith(b"HTTP/1.0 200") and b"100 Continue" not in reply
        assert json.loads(reply.split(b"\r\n\r\n", 1)[1])["result"]


# -- the threads that serve connections ---------------------------------------------------------
def test_calls_one_after_another_are_served_by_one_waiting_thread() -> None:
    fake = FakeKanboard()
    served: list[str] = []
    fake.add_call_hook(lambda actor, method, params: served.append(threading.current_thread().name))
    with fake.serve() as server:
        kb = server.http_client("runner")
        for _ in range(5):
            kb.get_version()
        port = server.port
    assert len(served) == 5 and len(set(served)) == 1 and served[0].startswith(f"fake-kanboard:{port}-")
    deadline = time.monotonic() + 5
    while any(t.name.startswith(f"fake-kanboard:{port}-") for t in threading.enumerate()):
        assert time.monotonic() < deadline, "a serving thread outlived its stopped server"
        time.sleep(0.01)


def test_a_call_kept_waiting_does_not_keep_the_next_one_waiting() -> None:
    """A parked call holds its thread; a call meanwhile gets a thread of its own."""
    fake = FakeKanboard()
    second_done = threading.Event()

    def park_first(actor: str, method: str, params: Any) -> None:
        if method == "createTask":
            assert second_done.wait(5), "the second call was not served while the first waited"

    fake.add_call_hook(park_first)
    with fake.serve() as server:
        results: list[Any] = []
        first = threading.Thread(target=lambda: results.append(
            server.http_client("a", timeout=5).create_task(title="t", project_id=1)))
        first.start()
        time.sleep(0.05)
        assert server.http_client("b", timeout=5).get_version()
        second_done.set()
        first.join(5)
        assert results and fake.task(results[0])["title"] == "t"


def test_a_serving_thread_that_dies_is_not_waited_for() -> None:
    """A connection whose handling ends its thread (an exception past the handler) leaves
    no phantom idle thread behind: the next connection is still served."""
    from harness.kanboard.server import _Workers

    class Abandoned(BaseException):
        pass

    def abandon() -> None:
        raise Abandoned

    workers = _Workers("test-workers")
    served = threading.Event()
    hook = threading.excepthook
    threading.excepthook = lambda args: None  # the dying thread's traceback is expected
    try:
        workers.submit(abandon)
        time.sleep(0.1)
        workers.submit(served.set)
        assert served.wait(2), "the next connection waited for a thread that had died"
    finally:
        threading.excepthook = hook
        workers.close()
