"""The two faces: the in-process drop-in (A) and JSON-RPC over HTTP (B), on one store."""

from __future__ import annotations

import base64
import http.client
import json
import threading
import urllib.error
import urllib.request
from typing import Any

import kanboard
import pytest

from harness.journal import CALL, Journal, acting_as
from harness.kanboard import BA02D79_BOARD, NEWEST_BOARD, FakeKanboard, RpcError


@pytest.fixture
def fake() -> FakeKanboard:
    return FakeKanboard()


@pytest.fixture
def server(fake: FakeKanboard) -> Any:
    with fake.serve() as running:
        yield running


def _raw(server: Any, body: bytes, token: str | None = None, path: str | None = None) -> tuple[int, bytes, Any]:
    url = server.url if path is None else f"http://{server.host}:{server.port}{path}"
    request = urllib.request.Request(url, data=body, method="POST")
    if token is not None:
        request.add_header("Authorization", "Basic " + base64.b64encode(f"jsonrpc:{token}".encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers


def test_standard_boards_are_created_as_recorded() -> None:
    newest = FakeKanboard()
    assert [c["title"] for c in newest.call("getColumns", {"project_id": 1})] == list(NEWEST_BOARD)
    assert len(NEWEST_BOARD) == 11 and NEWEST_BOARD[-1] == "11. Done"
    assert newest.column_id("1. Inbox") == 1 and newest.column_title(11) == "11. Done"
    old = FakeKanboard(BA02D79_BOARD)
    titles = [c["title"] for c in old.call("getColumns", {"project_id": old.project_id})]
    assert titles[-2:] == ["9. Final Review", "10. Done"] and len(titles) == 10
    lanes = newest.call("getAllSwimlanes", {"project_id": 1})
    assert [(s["id"], s["name"]) for s in lanes] == [(1, "Default swimlane")]
    assert newest.call("getAllProjects")[0]["name"] == "AgentLeeOps"
    assert FakeKanboard(board=None).call("getAllProjects") == []
    with pytest.raises(ValueError, match="no column titled"):
        newest.column_id("12. Nope")


def test_face_a_is_a_drop_in_for_the_client(fake: FakeKanboard) -> None:
    kb = fake.client("poller")
    task_id = kb.create_task(title="Epic", project_id=1, column_id=2)
    assert kb.execute("getTask", task_id=task_id)["column_id"] == 2
    with pytest.raises(kanboard.ClientError, match="Invalid params"):
        kb.get_task(task_id)  # positional args are dropped, as upstream: no task_id
    assert kb.get_task_metadata(task_id=task_id) == {}
    with pytest.raises(kanboard.ClientError, match="^Method not found$"):
        kb.get_comments(task_id=task_id)
    with pytest.raises(kanboard.ClientError, match="^Invalid params$"):
        kb.create_comment(task_id=task_id, content="no user")
    with pytest.raises(kanboard.ClientError, match="not JSON serializable"):
        kb.save_task_metadata(task_id=task_id, values={"x": object()})
    with pytest.raises(kanboard.ClientError, match="HTTP Error 403: Forbidden"):
        kb.get_me()


def test_face_a_async_names_work(fake: FakeKanboard) -> None:
    import asyncio

    kb = fake.client()
    assert asyncio.run(kb.get_version_async()) == fake.call("getVersion")


def test_face_a_with_wrong_credentials_answers_401_like_http(fake: FakeKanboard) -> None:
    make = fake.client_factory("cli")
    good = make("http://x/jsonrpc.php", "jsonrpc", fake.api_token)
    bad = make("http://x/jsonrpc.php", "jsonrpc", "wrong")
    assert good.get_version()
    with pytest.raises(kanboard.ClientError, match=r"^HTTP Error 401: Unauthorized$") as caught:
        bad.get_version()
    assert isinstance(caught.value.__cause__, urllib.error.HTTPError)


def test_face_b_speaks_to_the_real_client(fake: FakeKanboard, server: Any) -> None:
    kb = kanboard.Client(server.url, "jsonrpc", server.token, timeout=5)
    task_id = kb.create_task(title="Epic", project_id=1)
    assert kb.save_task_metadata(task_id=task_id, values={"n": 7}) is True
    assert kb.get_task_metadata(task_id=task_id) == {"n": "7"}
    assert fake.metadata(task_id) == {"n": "7"}  # one store behind both faces
    assert fake.client().get_task(task_id=task_id)["title"] == "Epic"


def test_bad_or_missing_credentials_get_401_with_kanboards_body(server: Any) -> None:
    body = json.dumps({"jsonrpc": "2.0", "method": "getVersion", "id": 7}).encode()
    for token in ("wrong", None):
        status, answer, headers = _raw(server, body, token)
        assert status == 401
        assert json.loads(answer) == {"jsonrpc": "2.0", "error": {"code": 401, "message": "Unauthorized"}, "id": None}
        assert headers["WWW-Authenticate"] == 'Basic realm="JsonRPC"'
    kb = kanboard.Client(server.url, "jsonrpc", "wrong", timeout=5)
    with pytest.raises(kanboard.ClientError, match="HTTP Error 401: Unauthorized"):
        kb.get_version()


def test_parse_error_and_invalid_request(server: Any) -> None:
    for body in (b"{not json", b"", b"5", b'"x"', b"[1", b'{"a": NaN}', b'{"a": "\\ud800"}'):
        status, answer, _ = _raw(server, body, server.token)
        assert (status, json.loads(answer)) == (
            200, {"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": None}), body
    for body in (b"{}", b"[]", b'{"jsonrpc": "1.0", "method": "getVersion", "id": 1}',
                 b'{"jsonrpc": "2.0", "id": 3}', b'{"jsonrpc": "2.0", "method": "getTask", "params": 5, "id": 3}'):
        status, answer, _ = _raw(server, body, "wrong")  # checked before credentials
        assert json.loads(answer)["error"] == {"code": -32600, "message": "Invalid Request"}, body
        assert json.loads(answer)["id"] is None


def test_unknown_method_and_method_names_are_case_blind(fake: FakeKanboard, server: Any) -> None:
    kb = kanboard.Client(server.url, "jsonrpc", server.token, timeout=5)
    for name in ("noSuchMethod", "getComments", "getTaskFiles", "getProjectTags", "setDefaultSwimlane"):
        with pytest.raises(kanboard.ClientError, match="^Method not found$"):
            kb.execute(name)
    assert kb.execute("GETVERSION") == kb.get_version()  # PHP method_exists ignores case
    body = json.dumps({"jsonrpc": "2.0", "method": "nope", "id": 9, "params": {}}).encode()
    status, answer, _ = _raw(server, body, server.token)
    assert json.loads(answer) == {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": 9}


def test_batch_and_notifications(fake: FakeKanboard, server: Any) -> None:
    batch = [
        {"jsonrpc": "2.0", "method": "getVersion", "id": 1},
        {"jsonrpc": "2.0", "method": "createTask", "params": {"title": "n", "project_id": 1}},
        {"jsonrpc": "2.0", "method": "getTask", "id": "b", "params": [1]},
        5,
        {"jsonrpc": "2.0", "method": "getTask", "id": 4, "params": {"task_id": 1, "x": 1}},
    ]
    status, answer, _ = _raw(server, json.dumps(batch).encode(), server.token)
    replies = json.loads(answer)
    assert status == 200 and [r["id"] for r in replies] == [1, "b", None, 4]
    assert replies[1]["result"]["title"] == "n"  # the notification ran, unanswered
    assert replies[2]["error"]["code"] == -32700
    assert replies[3]["error"] == {"code": -32602, "message": "Invalid params", "data": "Too many arguments"}
    only_notifications = json.dumps([{"jsonrpc": "2.0", "method": "getVersion"}]).encode()
    assert _raw(server, only_notifications, server.token)[:2] == (200, b"")
    status, answer, _ = _raw(server, json.dumps(batch[:1]).encode(), "wrong")
    assert status == 401  # a bad token fails the whole batch


def test_fatal_type_errors_and_user_only_procedures(server: Any) -> None:
    kb = kanboard.Client(server.url, "jsonrpc", server.token, timeout=5)
    with pytest.raises(kanboard.ClientError, match="HTTP Error 500: Internal Server Error"):
        kb.set_task_tags(project_id=1, task_id=1, tags="not-a-list")
    with pytest.raises(kanboard.ClientError, match="HTTP Error 403: Forbidden"):
        kb.get_me()
    assert kb.execute("getme") is None  # the user-only check is case-sensitive in Kanboard


def test_journal_attributes_calls_to_the_runner(fake: FakeKanboard, server: Any) -> None:
    kanboard.Client(server.url_for("webhook"), "jsonrpc", server.token, timeout=5).get_version()
    kanboard.Client(server.url, "jsonrpc", server.token, timeout=5).get_version()
    kanboard.Client(server.url_for("a b/c"), "jsonrpc", server.token, timeout=5).get_version()
    fake.client("poller").get_version()
    with acting_as("spawner"):
        fake.client(actor=None).get_version()
    fake.call("getVersion", None, "harness")
    calls = fake.journal.events(CALL)
    assert [e.actor for e in calls] == ["webhook", "system", "a b/c", "poller", "spawner", "harness"]
    assert calls[0].data == {"method": "getVersion", "params": {}, "fault": None, "outcome": "ok",
                             "result": fake.call("getVersion")}


def test_an_unknown_path_is_404(server: Any) -> None:
    status, _, _ = _raw(server, b"{}", server.token, path="/index.php")
    assert status == 404


def test_call_hooks_run_in_the_serving_thread_before_the_call_applies(fake: FakeKanboard, server: Any) -> None:
    seen: list[tuple[str, str, Any, str]] = []
    release = threading.Event()
    entered = threading.Event()

    def hook(actor: str, method: str, params: Any) -> None:
        seen.append((actor, method, params, threading.current_thread().name))
        if actor == "runner":
            entered.set()
            assert release.wait(5)

    fake.add_call_hook(hook)
    fake.client("inline").get_version()
    assert seen[0][:3] == ("inline", "getVersion", {}) and seen[0][3] == threading.current_thread().name

    done: list[Any] = []
    caller = threading.Thread(
        target=lambda: done.append(server.http_client("runner", timeout=5).create_task(title="held", project_id=1)),
        name="caller",
    )
    caller.start()
    assert entered.wait(5)
    assert fake.tasks() == [] and len(fake.journal.events(CALL)) == 1  # held before applying
    release.set()
    caller.join(5)
    assert done == [1] and fake.tasks()[0]["title"] == "held"
    assert seen[1][3] not in ("caller", threading.current_thread().name)  # the HTTP handler thread
    fake.remove_call_hook(hook)
    fake.client().get_version()
    assert len(seen) == 2


def test_the_facade_call_raises_rpc_errors(fake: FakeKanboard) -> None:
    with pytest.raises(RpcError) as caught:
        fake.call("getTask", {})
    assert (caught.value.code, caught.value.data) == (-32602, "Wrong number of arguments")


def test_a_shared_journal_is_used(tmp_path: Any) -> None:
    journal = Journal()
    fake = FakeKanboard(journal=journal)
    fake.client().get_version()
    assert fake.journal is journal and journal.events(CALL)[0].data["method"] == "getVersion"


def test_http_client_needs_a_running_server(fake: FakeKanboard) -> None:
    with pytest.raises(RuntimeError, match="serve"):
        fake.http_client()
    with fake.serve():
        assert fake.http_client("x").get_version()
    with pytest.raises(RuntimeError):
        fake.http_client()


def test_lost_response_over_http_is_a_remote_disconnect(fake: FakeKanboard, server: Any) -> None:
    fake.faults.lost("getVersion")
    with pytest.raises(kanboard.ClientError) as caught:
        server.http_client().get_version()
    assert isinstance(caught.value.__cause__, http.client.RemoteDisconnected)
