"""The two faces agree: a generated call sequence (valid and invalid calls, planned faults, human
moves) run through Face A and through the real `kanboard.Client` over HTTP to Face B - two
fresh fakes - gives identical results and exceptions, journals and webhooks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import kanboard
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.kanboard import FakeKanboard
from harness.kanboard.binding import find
from harness.kanboard.server import plain_http_only

HTTP_TIMEOUT = 0.2  # a planned timeout costs the HTTP client this long

METHODS = [
    "getVersion", "getColumns", "getAllTasks", "getTask", "createTask", "updateTask",
    "moveTaskPosition", "removeTask", "duplicateTaskToProject", "getTaskTags", "setTaskTags",
    "getTaskMetadata", "getTaskMetadataByName", "saveTaskMetadata", "removeTaskMetadata",
    "createComment", "getAllComments", "createTaskLink", "getAllTaskLinks", "removeTaskLink",
    "createTaskFile", "getAllTaskFiles", "removeTaskFile", "getTagsByProject", "getProjectByName",
    "closeTask", "getMe", "getComments", "getTaskFiles", "noSuchMethod",
]
IDS = st.sampled_from([1, 1, 2, 2, 3, 4, "1", 0, 9999, None, True, "x", 1.5])
TEXT = st.sampled_from(["Epic", "", "0", "a/b", "é", "dirname: x", None, 5])
VALUES_BY_NAME: dict[str, st.SearchStrategy[Any]] = {
    "tags": st.one_of(
        st.lists(st.sampled_from(["a", "A", "b", "_", "x%", "0", "", "locked"]), max_size=4),
        st.just("a"),
    ),
    "values": st.one_of(
        st.dictionaries(st.sampled_from(["k", "dirname", "0", ""]),
                        st.sampled_from([1, "v", None, True, 1.5, "0", [1]]), max_size=3),
        st.just("k=v"),
    ),
    "position": st.sampled_from([1, 2, 3, 0, -1, "2", 1.5]),
    "blob": st.sampled_from(["IyBkZXNpZ24=", "", "!!!"]),
    "status_id": st.sampled_from([0, 1, "1"]),
    "visibility": st.sampled_from(["app-user", "app-admin", "nope"]),
    "color_id": st.sampled_from(["", "blue", "nope"]),
    "date_due": st.sampled_from(["", "2030-01-02", 1700000000, "bad"]),
}
TEXT_NAMES = {"title", "content", "description", "name", "filename", "reference"}


@pytest.fixture(autouse=True, scope="module")
def _fast_real_client() -> Iterator[None]:
    """The real client loads the CA bundle on every call (~30 ms); plain HTTP needs none."""
    with plain_http_only():
        yield


def _value(name: str) -> st.SearchStrategy[Any]:
    if name in VALUES_BY_NAME:
        return VALUES_BY_NAME[name]
    if name in TEXT_NAMES:
        return TEXT
    return IDS


@st.composite
def _call(draw: st.DrawFn) -> tuple[str, str, dict[str, Any]]:
    method = draw(st.sampled_from(METHODS))
    proc = find(method, True)
    names = list(proc.params) if proc else ["task_id"]
    params = {}
    for name in names:
        if draw(st.integers(0, 9)) < 8:  # sometimes a required one is missing
            params[name] = draw(_value(name))
    if draw(st.integers(0, 9)) == 0:
        params["extra"] = 1  # an unknown name: ignored or "Too many arguments"
    return ("call", method, params)


# A planned fault hits the next call of the sequence.
_fault = st.tuples(st.just("fault"), st.sampled_from(["error", "falsy", "falsy", "lost", "lost", "timeout"]))
_human = st.tuples(st.just("human"), st.sampled_from([1, 2, 3]), st.sampled_from(["2. Design Draft", 5]))
_setup = [("call", "createTask", {"title": "Epic", "project_id": 1, "description": "d"}),
          ("call", "createTask", {"title": "Story", "project_id": 1, "column_id": 2})]


def _outcome(client: Any, method: str, params: dict[str, Any]) -> tuple[Any, ...]:
    try:
        return ("ok", client.execute(method, **params))
    except kanboard.ClientError as error:
        return ("raised", str(error), type(error.__cause__).__name__)


def _apply(fake: FakeKanboard, client: Any, step: tuple[Any, ...], later: list[tuple[Any, ...]]) -> Any:
    if step[0] == "fault":
        target = next((s for s in later if s[0] == "call"), None)
        if target is None:
            return None
        fake.faults.add(step[1], target[1], nth=fake.faults.count(target[1]) + 1)
        return target[1]
    if step[0] == "human":
        _, task_id, column = step
        if fake.task(task_id) is None:
            return ("no card",)
        return ("human", fake.human.move(task_id, column))
    _, method, params = step
    return _outcome(client, method, params)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(_call(), _call(), _call(), _fault, _human), min_size=1, max_size=12))
def test_both_faces_give_identical_answers(steps: list[tuple[Any, ...]]) -> None:
    inprocess, over_http = FakeKanboard(), FakeKanboard()
    with over_http.serve() as server:
        face_a = inprocess.client("runner")
        face_b = server.http_client("runner", timeout=HTTP_TIMEOUT)
        sequence = _setup + steps
        for index, step in enumerate(sequence):
            later = sequence[index + 1:]
            assert _apply(inprocess, face_a, step, later) == _apply(over_http, face_b, step, later), step
    assert _journal(inprocess) == _journal(over_http)
    assert inprocess.webhooks.outbox == over_http.webhooks.outbox
    assert inprocess.tasks(active_only=False) == over_http.tasks(active_only=False)


def _journal(fake: FakeKanboard) -> list[tuple[Any, ...]]:
    return [(e.kind, e.actor, e.data) for e in fake.journal.events()]


def test_the_agreement_check_can_fail() -> None:
    """Guard: a difference between the fakes (one more tag) is seen by the comparisons."""
    one, other = FakeKanboard(), FakeKanboard()
    for fake in (one, other):
        fake.client().create_task(title="t", project_id=1)
    one.human.add_tags(1, "x")
    assert _outcome(one.client(), "getTaskTags", {"task_id": 1}) != _outcome(other.client(), "getTaskTags", {"task_id": 1})
    assert _journal(one) != _journal(other)
