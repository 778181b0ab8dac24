"""The scheduler on the real fake Kanboard: both faces, a check-then-create race found and replayed.

Two runners each create card "child of #1" unless it is already on the board (what a spawner
racing a duplicate run does). Interleaved at the right Kanboard call, both create it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from harness.journal import CALL, Journal
from harness.kanboard import FakeKanboard
from harness.scheduler import RunAborted, Scheduler, draw_from

CHILD = "child of #1"
RACE = ["spawner", "spawner", "webhook", "webhook", "webhook"]  # the shrunk schedule


def create_once(client: Any, project_id: int) -> Callable[[], None]:
    def runner() -> None:
        tasks = client.get_all_tasks(project_id=project_id, status_id=1)
        if not any(t["title"] == CHILD for t in tasks):
            client.create_task(project_id=project_id, title=CHILD)

    return runner


def children(kanboard: FakeKanboard) -> int:
    return sum(t["title"] == CHILD for t in kanboard.tasks())


def calls(journal: Journal) -> list[tuple[str, str]]:
    return [(e.actor, e.data["method"]) for e in journal.events(CALL)]


def test_hypothesis_finds_the_duplicate_create_on_the_in_process_face() -> None:
    failures: list[tuple[list[str], list[tuple[str, str]]]] = []

    @settings(
        settings.get_profile("default"),
        max_examples=200,
        phases=(Phase.generate, Phase.shrink),
        database=None,
        derandomize=True,
        deadline=None,
        report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def one_child(data: st.DataObject) -> None:
        journal = Journal()
        kanboard = FakeKanboard(journal=journal)
        scheduler = Scheduler(draw_from(data))
        kanboard.add_call_hook(scheduler.turn)
        outcomes = scheduler.run(
            {n: create_once(kanboard.client(n), kanboard.project_id) for n in ("spawner", "webhook")}
        )
        assert all(o.ok for o in outcomes.values()), outcomes
        if children(kanboard) != 1:
            failures.append((list(scheduler.record), calls(journal)))
            raise AssertionError("duplicate child")

    with pytest.raises(AssertionError, match="duplicate child"):
        one_child()
    record, seen = failures[-1]
    assert record == RACE
    assert seen == [
        ("spawner", "getAllTasks"),
        ("webhook", "getAllTasks"),
        ("webhook", "createTask"),
        ("spawner", "createTask"),
    ]


def test_the_race_replays_over_http_byte_for_byte() -> None:
    """Real kanboard.Client over HTTP: hooks run in server threads, keyed by the URL's actor."""

    def once() -> tuple[str, int, list[tuple[str, int]], dict[str, int]]:
        journal = Journal()
        kanboard = FakeKanboard(journal=journal)
        served: list[tuple[str, int]] = []
        scheduler = Scheduler.from_list(RACE)
        kanboard.add_call_hook(scheduler.turn)
        # runs after the scheduler's hook: once the call holds the turn, in its serving thread
        kanboard.add_call_hook(lambda actor, method, params: served.append((actor, threading.get_ident())))
        runner_ids: dict[str, int] = {}
        with kanboard.serve() as server:

            def runner(actor: str) -> Callable[[], None]:
                inner = create_once(server.http_client(actor), kanboard.project_id)

                def run() -> None:
                    runner_ids[actor] = threading.get_ident()
                    inner()

                return run

            outcomes = scheduler.run({n: runner(n) for n in ("spawner", "webhook")})
        assert all(o.ok for o in outcomes.values()), outcomes
        return json.dumps(journal.to_json(), sort_keys=True), children(kanboard), served, runner_ids

    results = [once() for _ in range(3)]
    journals = {journal for journal, _, _, _ in results}
    assert len(journals) == 1  # same choices, same journal, byte for byte
    for _, count, served, runner_ids in results:
        assert count == 2  # the race happened through the real client and server
        assert [actor for actor, _ in served] == ["spawner", "webhook", "webhook", "spawner"]
        assert all(ident != runner_ids[actor] for actor, ident in served)


def test_a_call_whose_run_was_abandoned_gets_no_answer_and_no_traceback() -> None:
    """The scheduler ends parked runners with RunAborted from the call hook, which over HTTP
    runs in a server thread: that thread must close the connection quietly."""
    kanboard = FakeKanboard(Journal())
    seen: list[BaseException] = []
    previous = threading.excepthook
    threading.excepthook = lambda args: seen.append(args.exc_value)

    def abandon(actor: str, method: str, params: Any) -> None:
        raise RunAborted(f"run abandoned; {actor!r} stopped at its call {method}")

    try:
        with kanboard.serve() as server:
            client = server.http_client("poller")
            kanboard.add_call_hook(abandon)
            try:
                client.get_version()
            except Exception as exc:  # the client sees a closed connection, like a lost answer
                failed = exc
            else:
                failed = None
    finally:
        threading.excepthook = previous
    assert failed is not None
    assert seen == []
