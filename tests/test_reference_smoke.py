"""The reference runs a card through the whole pipeline, whichever entrypoint drives it,
and running every entrypoint again afterwards changes nothing."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from targets.reference.pipeline import CHAINS
from tests.test_reference_support import PIPELINE, STORIES, Sandbox

REFERENCE = Path(__file__).resolve().parents[1] / "targets" / "reference"
HAVE_SPAWNER = (REFERENCE / "spawner.py").exists()
HAVE_RALPH = (REFERENCE / "ralph.py").exists()


def _webhook(box: Sandbox, cards: list[int]) -> None:
    assert all(a.status == 200 for a in box.deliver())


def _event(box: Sandbox, cards: list[int]) -> None:
    while payloads := box.kb.webhooks.drain():
        for payload in payloads:
            box.target.handle_event(payload)


def _http(box: Sandbox, cards: list[int]) -> None:
    """Kanboard POSTed to the target's real HTTP server (set up by the test below)."""
    box.target.serve().wait_idle()


def _orchestrator(box: Sandbox, cards: list[int]) -> None:
    box.target.orchestrator_pass()


def _poll(box: Sandbox, cards: list[int]) -> None:
    box.target.poll(2)


def _cli(box: Sandbox, cards: list[int]) -> None:
    assert box.target.cli("orchestrate-once", []) == 0


def _agent(box: Sandbox, cards: list[int]) -> None:
    """Direct runs of each card's column agent (for Plan Approved: the spawner, which chains)."""
    for task_id in cards:
        column = box.kb.column_title(box.kb.task(task_id)["column_id"])
        assert box.target.run_agent(CHAINS[column][-1], task_id) in ("done", "already-done")


def _cli_run_agent(box: Sandbox, cards: list[int]) -> None:
    for task_id in cards:
        column = box.kb.column_title(box.kb.task(task_id)["column_id"])
        agent = CHAINS[column][-1]
        script, args = ("spawn", [str(task_id)]) if agent == "spawner" else ("run-agent", [str(task_id)])
        assert box.target.cli(script, args) == 0


ENTRYPOINTS: dict[str, Callable[[Sandbox, list[int]], None]] = {
    "webhook": _webhook, "event": _event, "http": _http, "orchestrator": _orchestrator,
    "poll": _poll, "cli-orchestrate": _cli, "cli-run-agent": _cli_run_agent, "run-agent": _agent,
}


def _drive(box: Sandbox, step: Callable[[Sandbox, list[int]], None]) -> int:
    epic = box.card()
    for column in PIPELINE:
        box.move(epic, column)
        step(box, [epic])
    if not HAVE_SPAWNER:
        return epic
    children = box.children(epic)
    for column in ("7. Tests Approved", "8. Ralph Loop") if HAVE_RALPH else ("7. Tests Approved",):
        if column == "7. Tests Approved":
            step(box, children)  # the children arrived in 6. Tests Draft: the test agent
        for child in children:
            box.move(child, column)
        step(box, children)
    return epic


@pytest.mark.parametrize("entrypoint, face", [(e, "inproc") for e in sorted(ENTRYPOINTS)]
                         + [("webhook", "http")])
def test_whole_pipeline_through_each_entrypoint(tmp_path: Path, entrypoint: str, face: str) -> None:
    box = Sandbox(tmp_path, face=face)  # http: the real kanboard client over HTTP to the fake
    try:
        _whole_pipeline(box, entrypoint)
    finally:
        box.close()


def _whole_pipeline(box: Sandbox, entrypoint: str) -> None:
    """The pipeline, then (in-process face only: HTTP calls cost ~45 ms each in the kanboard
    library, which loads the system CA store per request) every entrypoint again."""
    if entrypoint == "http":
        box.kb.webhooks.set_url(box.target.serve().url)
    epic = _drive(box, ENTRYPOINTS[entrypoint])
    ws = box.ws()

    expected = [("architect", epic), ("governance", epic), ("pm", epic), ("governance", epic)]
    if HAVE_SPAWNER:
        expected.append(("spawner", epic))
    runs = box.runs()
    assert [(r["agent"], r["task_id"]) for r in runs][: len(expected)] == expected
    assert all(r["ok"] for r in runs), runs
    locked = box.target.locked_artifacts(ws)
    assert {"DESIGN.md", "prd.json"} <= set(locked)
    assert json.loads((ws / "prd.json").read_text())["stories"] == STORIES
    assert (ws / ".git").is_dir()
    if not HAVE_SPAWNER:
        pytest.skip("targets/reference/spawner.py is not written yet: stages 5-8 not exercised")

    children = box.children(epic)
    assert len(children) == len(STORIES)
    for child in children:
        atomic = box.kb.metadata(child)["atomic_id"]
        assert [r["agent"] for r in box.runs(task_id=child)] == (
            ["test", "governance", "ralph"] if HAVE_RALPH else ["test", "governance"])
        assert f"tests/test_{atomic}.py" in locked
    if not HAVE_RALPH:
        pytest.skip("targets/reference/ralph.py is not written yet: stage 8 not exercised")
    log = subprocess.run(["git", "log", "--name-only", "--format="], cwd=ws,
                         capture_output=True, text=True, check=True).stdout
    assert log.split() == ["src/demo_app.py"]  # Ralph committed the source, nothing else

    if box.server is not None:
        return
    # Every entrypoint again, twice, plus the whole webhook history again: nothing reruns.
    before = len(box.runs())
    for step in ENTRYPOINTS.values():
        step(box, [epic, *children])
        step(box, [epic, *children])
    history = [e.data["payload"] for e in box.journal.events("webhook")]
    for payload in history:
        assert box.target.deliver_webhook(box.request(payload)).status == 200
    assert len(box.runs()) == before
    assert box.target.locked_artifacts(ws) == locked


def test_cli_bad_arguments_give_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    box = Sandbox(tmp_path)
    for script, args in (("run-agent", ["architect"]), ("run-agent", ["1", "--agent", "wizard"]),
                         ("spawn", ["-5"]), ("spawn", ["x"]), ("nope", []),
                         ("orchestrate-once", ["extra"])):
        assert box.target.cli(script, args) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err, err
    assert box.target.cli("run-agent", ["99", "--agent", "pm"]) == 1  # no such card: not done
    assert capsys.readouterr() == ("", "")
    assert "card #99: gone" in box.journal.events("note")[-1].data["text"]
