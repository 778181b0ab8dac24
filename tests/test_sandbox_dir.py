"""Sandboxes go to a roomy RAM folder when there is one, to FUZZ_SANDBOX_DIR when it is set,
and a wrong FUZZ_SANDBOX_DIR is one clear error line."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import scratch


@pytest.fixture
def fresh_choice(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("FUZZ_SANDBOX_DIR", raising=False)
    scratch.sandbox_base.cache_clear()
    yield
    scratch.sandbox_base.cache_clear()  # the next test's worlds choose again, as a new process


def test_a_named_folder_is_used(fresh_choice: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FUZZ_SANDBOX_DIR", str(tmp_path))
    assert scratch.sandbox_base() == str(tmp_path)


def test_a_named_folder_that_is_not_there_is_refused(fresh_choice: None, monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    monkeypatch.setenv("FUZZ_SANDBOX_DIR", str(tmp_path / "missing"))
    with pytest.raises(scratch.SandboxDirError, match="not a writable directory"):
        scratch.sandbox_base()


def test_a_ram_folder_with_too_little_room_is_passed_over(fresh_choice: None, monkeypatch: pytest.MonkeyPatch,
                                                          tmp_path: Path) -> None:
    monkeypatch.setattr(scratch, "RAM_DIR", str(tmp_path))
    monkeypatch.setattr(scratch, "MIN_FREE_BYTES", 0)
    assert scratch.sandbox_base() == str(tmp_path)
    scratch.sandbox_base.cache_clear()
    monkeypatch.setattr(scratch, "MIN_FREE_BYTES", 1 << 62)
    assert scratch.sandbox_base() == tempfile.gettempdir()
    scratch.sandbox_base.cache_clear()
    monkeypatch.setattr(scratch, "RAM_DIR", str(tmp_path / "missing"))
    monkeypatch.setattr(scratch, "MIN_FREE_BYTES", 0)
    assert scratch.sandbox_base() == tempfile.gettempdir()


def test_worlds_are_made_in_the_chosen_folder(fresh_choice: None, monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    from harness.world import World
    from targets.reference.target import ReferenceTarget

    monkeypatch.setenv("FUZZ_SANDBOX_DIR", str(tmp_path))
    with World(ReferenceTarget(), audit=False) as world:
        assert world.root.parent == tmp_path and world.home.is_dir()


def test_the_cli_says_one_line_for_a_wrong_sandbox_dir(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "harness", "run", "--profile", "ci", "--machines", "webhook",
                          "--reports-dir", str(tmp_path / "r")],
                         env={"FUZZ_SANDBOX_DIR": str(tmp_path / "nowhere"), "PATH": "/usr/bin:/bin"},
                         capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent)
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [f"error: FUZZ_SANDBOX_DIR={str(tmp_path / 'nowhere')!r} "
                                               "is not a writable directory"]
