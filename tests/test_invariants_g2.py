"""G2: during and after a Ralph run, tests/ is untouched: content, commits, staged and unstaged."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from harness.invariants.testing import MiniWorld, write
from harness.invariants.tests_guard import G2TestsGuard
from harness.journal import acting_as
from harness.snapshot import git_env


def git(ws, *args):
    env = git_env() | {"GIT_AUTHOR_NAME": "ralph", "GIT_AUTHOR_EMAIL": "r@x", "GIT_COMMITTER_NAME": "ralph",
                       "GIT_COMMITTER_EMAIL": "r@x", "GIT_CEILING_DIRECTORIES": str(ws.parent)}
    subprocess.run(["git", *args], cwd=ws, env=env, check=True, capture_output=True)


@pytest.fixture()
def world(tmp_path):
    w = MiniWorld(tmp_path)
    w.card_id = w.card("[S1] Add", column="8. Ralph Loop", dirname="calc")
    ws = w.ws = w.workspace("calc")
    write(ws / "tests" / "test_add.py", "from src.add import add\ndef test_add(): assert add(1, 2) == 3\n")
    write(ws / "src" / "add.py", "def add(a, b):\n    return 0\n")
    git(ws, "init", "-q", "-b", "main")
    git(ws, "add", "-A")
    git(ws, "commit", "-q", "-m", "tests approved")
    w.lock(ws, "tests/test_add.py")
    return w


def ralph_step(world: MiniWorld, g2: G2TestsGuard, work, actor: str = "poller", end: bool = True):
    with world.step([g2]) as found, acting_as(actor):
        if end:
            with world.journal.agent_run("ralph", world.card_id):
                work()
        else:
            world.journal.record("agent", {"agent": "ralph", "task_id": world.card_id, "phase": "start"})
            work()
    return found


def honest_fix(world):
    write(world.ws / "src" / "add.py", "def add(a, b):\n    return a + b\n")
    git(world.ws, "add", "src/add.py")
    git(world.ws, "commit", "-q", "-m", "S1 passes")


def test_a_run_that_fixes_the_code_and_commits_src_is_clean(world):
    g2 = G2TestsGuard()
    assert ralph_step(world, g2, lambda: honest_fix(world)) == []


def test_editing_a_test_in_process_is_caught(world):
    g2 = G2TestsGuard()
    found = ralph_step(world, g2, lambda: write(world.ws / "tests" / "test_add.py", "def test_add(): pass\n"))
    assert [v.invariant for v in found] == ["G2"]
    assert "wrote into tests/" in found[0].message and "test_add.py" in found[0].message
    assert found[0].evidence[0].kind == "file"


def test_generated_code_writing_a_new_test_from_a_subprocess_is_caught(world):
    g2 = G2TestsGuard()
    code = f"open({str(world.ws / 'tests' / 'test_zz.py')!r}, 'w').write('def test_ok(): pass')"
    found = ralph_step(world, g2, lambda: subprocess.run([sys.executable, "-c", code], check=True))
    assert [v.invariant for v in found] == ["G2"]
    assert "added test_zz.py" in found[0].message


def test_a_temp_file_renamed_over_a_test_is_caught(world):
    g2 = G2TestsGuard()

    def swap():
        tmp = write(world.tmp / "t.py", "def test_add(): pass\n")
        os.replace(tmp, world.ws / "tests" / "test_add.py")

    found = ralph_step(world, g2, swap)
    assert [v.invariant for v in found] == ["G2"]


def test_a_stray_git_add_of_an_old_unstaged_edit_is_caught(world):
    g2 = G2TestsGuard()
    with world.step([g2], rule="trick", kind="edit", card=world.card_id, path="tests/test_add.py"):
        (world.ws / "tests" / "test_add.py").write_text("def test_add(): assert True\n")

    def add_everything():
        write(world.ws / "src" / "add.py", "def add(a, b):\n    return a + b\n")
        git(world.ws, "add", ".")

    found = ralph_step(world, g2, add_everything)
    assert [v.invariant for v in found] == ["G2"]
    assert "git shows changes to tests/" in found[0].message
    # the same edit left unstaged, with only src staged, is fine
    world.journal.record("note", {"text": "reset"})
    git(world.ws, "reset", "-q")
    g2 = G2TestsGuard()
    assert ralph_step(world, g2, lambda: git(world.ws, "add", "src/add.py")) == []


def test_a_commit_touching_tests_is_caught_even_with_unchanged_content(world):
    g2 = G2TestsGuard()
    with world.step([g2], rule="trick", kind="write", card=world.card_id, path="tests/test_more.py"):
        write(world.ws / "tests" / "test_more.py", "def test_more(): pass\n")

    def commit_all():
        honest_fix(world)
        git(world.ws, "add", "-A")
        git(world.ws, "commit", "-q", "-m", "everything")

    found = ralph_step(world, g2, commit_all)
    assert [v.invariant for v in found] == ["G2"]
    assert "committed changes to tests/" in found[0].message and "tests/test_more.py" in found[0].message


def test_a_change_in_a_later_step_of_a_run_still_open_is_caught(world):
    g2 = G2TestsGuard()
    assert ralph_step(world, g2, lambda: None, end=False) == []
    with world.step([g2]) as found, acting_as("poller"):
        write(world.ws / "tests" / "test_add.py", "weakened\n")
        world.journal.record("agent", {"agent": "ralph", "task_id": world.card_id, "phase": "end"})
    assert [v.invariant for v in found] == ["G2"]


def test_other_agents_and_harness_tricks_are_not_ralph(world):
    g2 = G2TestsGuard()
    with world.step([g2]) as found, acting_as("poller"), world.journal.agent_run("test", world.card_id):
        write(world.ws / "tests" / "test_add.py", "rewritten by the test agent\n")
    assert found == []
    with world.step([g2], rule="trick", kind="edit", card=world.card_id, path="tests/test_add.py") as found:
        (world.ws / "tests" / "test_add.py").write_text("by hand\n")
    assert found == []


def test_another_agent_writing_tests_after_ralph_in_the_same_step_is_not_ralph(world):
    g2 = G2TestsGuard()
    with world.step([g2]) as found, acting_as("orchestrator"):
        with world.journal.agent_run("ralph", world.card_id):
            honest_fix(world)
        with world.journal.agent_run("test", world.card_id + 1):  # the next card of the pass
            write(world.ws / "tests" / "test_sub.py", "def test_sub(): pass\n")
    assert found == []


def test_a_commit_by_another_runner_in_the_same_step_is_not_ralphs(world):
    g2 = G2TestsGuard()
    with world.step([g2]) as found:
        with acting_as("poller"), world.journal.agent_run("ralph", world.card_id):
            write(world.ws / "src" / "add.py", "def add(a, b):\n    return a + b\n")
        with acting_as("cli"):
            write(world.ws / "tests" / "test_sub.py", "def test_sub(): pass\n")
            git(world.ws, "add", "tests/test_sub.py")
            git(world.ws, "commit", "-q", "-m", "someone else's commit")
    assert found == []
