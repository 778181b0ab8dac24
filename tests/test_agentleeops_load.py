"""The AgentLeeOps adapter's bad-input handling and its process-level building blocks.

These run without a checkout: wrong paths, trees that are not checkouts, a checkout whose
module fails to import (a tree synthesised here), and the primitives that make deliveries
synchronous and the polling loop bounded.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

import targets.agentleeops as ale
from targets.agentleeops import modules
from targets.agentleeops.patches import Patches
from targets.agentleeops.runtime import StopPolling, ThreadArgv, TickingTime, WorkingDir
from targets.agentleeops.webhook import WebhookPort
from targets.base import WebhookRequest


def _one_line(exc: BaseException) -> str:
    text = str(exc)
    assert "\n" not in text and text.strip() == text and text
    return text


# -- wrong paths -------------------------------------------------------------------------
def test_missing_path_is_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(ale.AdapterError) as err:
        ale.load(missing)
    assert _one_line(err.value) == f"AgentLeeOps path {missing} does not exist"


def test_empty_path_says_how_to_give_one() -> None:
    with pytest.raises(ale.AdapterError) as err:
        ale.load("  ")
    assert "AGENTLEEOPS_PATH" in _one_line(err.value)


def test_file_is_not_a_checkout(tmp_path: Path) -> None:
    file = tmp_path / "orchestrator.py"
    file.write_text("x = 1\n")
    with pytest.raises(ale.AdapterError) as err:
        ale.load(file)
    assert "is not a directory" in _one_line(err.value)


def test_directory_without_its_files_is_not_a_checkout(tmp_path: Path) -> None:
    (tmp_path / "orchestrator.py").write_text("TRIGGERS = {}\n")
    with pytest.raises(ale.AdapterError) as err:
        ale.load(tmp_path)
    line = _one_line(err.value)
    assert "is not an AgentLeeOps checkout" in line
    assert "webhook_server.py" in line and "orchestrator.py" not in line.split("missing", 1)[1]


def _synthetic_checkout(root: Path, task_fields: str, triggers: str) -> Path:
    """The smallest tree with the files a checkout must have (content of our own)."""
    (root / "agents").mkdir(parents=True)
    (root / "lib").mkdir()
    (root / "orchestrator.py").write_text(f"TRIGGERS = {triggers}\n")
    (root / "webhook_server.py").write_text("")
    (root / "agents" / "__init__.py").write_text("")
    (root / "lib" / "__init__.py").write_text("")
    (root / "lib" / "task_fields.py").write_text(task_fields)
    return root


def test_module_that_fails_to_import_is_named_with_its_error(tmp_path: Path) -> None:
    root = _synthetic_checkout(
        tmp_path / "ale", "import no_such_dependency_xyz\n", '{"7. Tests Approved": "GOVERNANCE_AGENT"}'
    )
    before = set(sys.modules)
    with pytest.raises(ale.AdapterError) as err:
        ale.load(root)
    line = _one_line(err.value)
    assert "cannot import lib.task_fields" in line
    assert line.endswith("ModuleNotFoundError: No module named 'no_such_dependency_xyz'")
    assert not [m for m in set(sys.modules) - before if m.split(".")[0] in modules.TOP_LEVEL]


def test_module_exiting_at_import_is_reported_not_raised(tmp_path: Path) -> None:
    root = _synthetic_checkout(
        tmp_path / "ale", "import sys\nsys.exit('token missing')\n", '{"7. Tests Approved": "GOVERNANCE_AGENT"}'
    )
    with pytest.raises(ale.AdapterError) as err:
        ale.load(root)
    assert _one_line(err.value).endswith("cannot import lib.task_fields: SystemExit: token missing")


def test_unknown_agent_in_triggers_is_one_line(tmp_path: Path) -> None:
    root = _synthetic_checkout(tmp_path / "ale", "", '{"2. Design Draft": "POET_AGENT"}')
    with pytest.raises(ale.AdapterError) as err:
        ale.load(root)
    assert "unknown agents: POET_AGENT" in _one_line(err.value)


def test_unparseable_orchestrator_is_one_line(tmp_path: Path) -> None:
    root = _synthetic_checkout(tmp_path / "ale", "", "{")
    with pytest.raises(ale.AdapterError) as err:
        ale.load(root)
    assert "SyntaxError" in _one_line(err.value)


def test_unrecognised_layout_is_one_line(tmp_path: Path) -> None:
    root = _synthetic_checkout(tmp_path / "ale", "", '{"7. Tests Approved": "TEST_CODE_AGENT"}')
    with pytest.raises(ale.AdapterError) as err:
        ale.load(root)
    assert "unrecognised AgentLeeOps layout" in _one_line(err.value)


def test_unknown_llm_transport_is_refused(tmp_path: Path) -> None:
    root = _synthetic_checkout(tmp_path / "ale", "", '{"7. Tests Approved": "GOVERNANCE_AGENT"}')
    with pytest.raises(ale.AdapterError) as err:
        ale.load(root, llm_transport="carrier-pigeon")
    assert "carrier-pigeon" in _one_line(err.value)


# -- building blocks ---------------------------------------------------------------------
def test_patches_restore_everything_once() -> None:
    class Holder:
        inherited = "class"

    holder = Holder()
    patches = Patches()
    mapping = {"a": 1}
    patches.setattr(holder, "inherited", "instance")
    patches.setitem(mapping, "a", 2)
    patches.setitem(mapping, "b", 3)
    patches.setenv("ALE_TEST_VAR", "x")
    assert (holder.inherited, mapping, os.environ["ALE_TEST_VAR"]) == ("instance", {"a": 2, "b": 3}, "x")
    patches.restore()
    patches.restore()
    assert holder.inherited == "class" and "inherited" not in vars(holder)
    assert mapping == {"a": 1} and "ALE_TEST_VAR" not in os.environ


def test_ticking_time_stops_a_loop_after_its_ticks_without_sleeping() -> None:
    ticking = TickingTime(time)
    iterations = 0
    started = time.monotonic()
    with ticking.budget(3), pytest.raises(StopPolling):
        while True:
            iterations += 1
            try:
                ticking.sleep(60)
            except Exception:  # like its poller's loop: StopPolling is not an Exception
                continue
    assert iterations == 3
    assert time.monotonic() - started < 5
    ticking.sleep(60)  # outside a budget: returns at once
    assert ticking.time() > 0  # everything else is the real module


def test_thread_argv_is_per_thread() -> None:
    argv = ThreadArgv(["pytest", "-q"])
    seen: dict[str, list[str]] = {}

    def run(name: str, args: list[str], ready: threading.Barrier) -> None:
        with argv.using([name, *args]):
            ready.wait()
            seen[name] = list(argv[1:])

    ready = threading.Barrier(2)
    threads = [threading.Thread(target=run, args=(n, a, ready)) for n, a in (("a", ["--once"]), ("b", []))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {"a": ["--once"], "b": []}
    assert list(argv) == ["pytest", "-q"] and argv[0] == "pytest" and len(argv) == 2


def test_working_dir_is_entered_once_and_left_by_the_last(tmp_path: Path) -> None:
    before = os.getcwd()
    wd = WorkingDir(tmp_path)
    with wd.inside():
        with wd.inside():
            assert os.getcwd() == str(tmp_path)
        assert os.getcwd() == str(tmp_path)
    assert os.getcwd() == before


class _AnswerFirstHandler(BaseHTTPRequestHandler):
    """Like its webhook handler: replies 200, then keeps working on the event."""

    worked_in: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.end_headers()
        time.sleep(0.05)
        self.worked_in.append(f"{threading.current_thread().name}:{body.decode()}")

    def log_message(self, *args: object) -> None:
        pass


def test_delivery_waits_for_the_work_after_the_reply_and_runs_it_in_the_caller() -> None:
    _AnswerFirstHandler.worked_in = []
    port = WebhookPort(HTTPServer, _AnswerFirstHandler)
    try:
        assert port.url.startswith("http://127.0.0.1:")
        response = port.deliver(WebhookRequest(path="/?token=t", body=b"event"))
        assert response.status == 200
        assert _AnswerFirstHandler.worked_in == [f"{threading.current_thread().name}:event"]
        # a body shorter than its Content-Length does not hang the handler (client half-closes)
        short = port.deliver(WebhookRequest(path="/", body=b"ab", headers={"Content-Length": "10"}))
        assert short.status == 200 and _AnswerFirstHandler.worked_in[-1].endswith(":ab")
        # a connection from anyone else is turned away, ours is still the one served
        stray = socket.create_connection(port.server.server_address[:2])
        assert port.deliver(WebhookRequest(path="/", body=b"mine")).status == 200
        assert _AnswerFirstHandler.worked_in[-1].endswith(":mine")
        stray.close()
        assert port.deliver(WebhookRequest(path="/", body=b"", method="GET")).status == 501
    finally:
        port.close()


def test_agents_are_hand_runnable_only_when_its_own_scripts_run_them(tmp_path: Path) -> None:
    from targets.agentleeops import scripts

    (tmp_path / "run_ralph_manual.py").write_text("from agents.ralph import run_ralph_agent\n")
    (tmp_path / "orchestrator.py").write_text("from agents.spawner import run_spawner_agent\n")
    (tmp_path / "fix_meta.py").write_text("print('no agents here')\n")
    functions = {"ralph": ("agents.ralph", "run_ralph_agent"), "spawner": ("agents.spawner", "run_spawner_agent")}
    found = scripts.manual_agents(tmp_path, ("orchestrator.py", "run_ralph_manual.py", "fix_meta.py"), functions)
    assert found == ("ralph",)  # the orchestrator dispatches through its gates: not by hand
