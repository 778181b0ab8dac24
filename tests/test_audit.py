"""The audit hook journals the system's file effects and launches, whatever helper it uses."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys

import pytest

from harness import audit
from harness.audit import AuditRecorder
from harness.journal import FILE, PROC, Journal, acting_as
from harness.where import component, frame_name

ROOTS = ["tests"]  # frames of this test module are "the target's code"


def record(fn, actor: str = "webhook", roots=ROOTS):
    journal = Journal()
    with AuditRecorder(journal, roots) as rec, acting_as(actor):
        fn()
    assert rec.errors == []
    return journal


def files(journal: Journal) -> list[dict]:
    return [dict(e.data) for e in journal.events(FILE)]


def procs(journal: Journal) -> list[dict]:
    return [dict(e.data) for e in journal.events(PROC)]


@pytest.fixture()
def ws(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return pathlib.Path(os.path.realpath(tmp_path))


def test_open_for_writing_appending_creating_is_recorded_reading_is_not(ws):
    (ws / "r.txt").write_text("x")  # harness actor: not recorded

    def system():
        open("w.txt", "w").close()
        with open("r.txt") as handle:
            handle.read()
        open("r.txt", "a").close()
        open("x.txt", "x").close()
        os.close(os.open("o.txt", os.O_WRONLY | os.O_CREAT))

    got = [(f["op"], os.path.basename(f["path"]), f["literal"]) for f in files(record(system))]
    assert got == [("write", "w.txt", "w.txt"), ("write", "r.txt", "r.txt"),
                   ("write", "x.txt", "x.txt"), ("write", "o.txt", "o.txt")]


def test_pathlib_replace_shutil_and_links_are_recorded_with_resolved_paths(ws):
    (ws / "sub").mkdir()
    (ws / "keep").write_text("k")

    def system():
        pathlib.Path("sub/../p.txt").write_text("p")
        os.replace("p.txt", "./q.txt")
        pathlib.Path("q.txt").rename("sub/q.txt")
        os.symlink("keep", "alias")
        os.link("keep", "hard")
        os.truncate("keep", 0)
        os.chmod("keep", 0o644)
        os.makedirs("t/u")
        shutil.rmtree("t")
        os.remove("hard")

    data = files(record(system))
    ops = [(d["op"], d["path"]) for d in data]
    assert ("write", str(ws / "p.txt")) in ops  # "sub/../p.txt" resolved
    renames = [d for d in data if d["op"] == "rename"]
    assert [(r["path"], r["dst"]) for r in renames] == [
        (str(ws / "p.txt"), str(ws / "q.txt")), (str(ws / "q.txt"), str(ws / "sub" / "q.txt"))]
    symlink = next(d for d in data if d["op"] == "symlink")
    assert (symlink["path"], symlink["target"]) == (str(ws / "alias"), "keep")
    link = next(d for d in data if d["op"] == "link")
    assert (link["path"], link["src"]) == (str(ws / "hard"), str(ws / "keep"))
    assert ("truncate", str(ws / "keep")) in ops and ("chmod", str(ws / "keep")) in ops
    assert ("mkdir", str(ws / "t" / "u")) in ops
    tree = next(d for d in data if d.get("tree"))
    assert tree["op"] == "remove" and tree["path"] == str(ws / "t")
    assert ("remove", str(ws / "t" / "u")) in ops  # rmtree's own rmdir through a dir fd
    assert ops[-1] == ("remove", str(ws / "hard"))
    assert all(d["where"] == f"{__name__}:test_pathlib_replace_shutil_and_links_are_recorded_with_resolved_paths.<locals>.system"
               for d in data)


def test_a_write_through_a_symlink_resolves_to_the_file_really_written(ws):
    (ws / "DESIGN.md").write_text("approved")
    os.symlink("DESIGN.md", ws / "alias.md")

    def system():
        with open("alias.md", "w") as handle:
            handle.write("changed")
        os.remove("alias.md")  # removes the link, not what it points to

    data = files(record(system))
    assert (data[0]["op"], data[0]["path"], data[0]["literal"]) == ("write", str(ws / "DESIGN.md"), "alias.md")
    assert (data[1]["op"], data[1]["path"]) == ("remove", str(ws / "alias.md"))


def test_remove_relative_to_a_dir_fd_resolves_against_that_directory(ws):
    (ws / "d").mkdir()
    (ws / "d" / "f").write_text("x")

    def system():
        fd = os.open("d", os.O_RDONLY)
        try:
            os.unlink("f", dir_fd=fd)
        finally:
            os.close(fd)

    assert [(d["op"], d["path"]) for d in files(record(system))] == [("remove", str(ws / "d" / "f"))]


def test_subprocess_list_versus_shell_and_single_strings(ws):
    title = "".join(["-", "rf"])  # not a code constant: stands for card text

    def system():
        subprocess.run(["true", "-m", title], cwd=str(ws), check=False)
        subprocess.run("true one", shell=True, check=False)
        subprocess.run(["/bin/sh", "-c", "true two"], check=False)
        subprocess.run("true", check=False)
        os.system("true three")

    got = procs(record(system))
    assert got[0]["argv"] == ["true", "-m", "-rf"] and got[0]["shell"] is False
    assert got[0]["cwd"] == str(ws)
    assert got[0]["const_args"] == [0, 1]  # "-m" is the program's own; the title is not
    assert (got[1]["argv"], got[1]["shell"], got[1]["command"]) == ("true one", True, "true one")
    assert (got[2]["shell"], got[2]["command"]) == (True, "true two")
    assert (got[3]["argv"], got[3]["shell"]) == ("true", False)
    assert (got[4]["argv"], got[4]["shell"], got[4]["event"]) == ("true three", True, "os.system")


def test_a_test_run_carries_the_tests_it_could_read_other_launches_do_not(ws):
    """G2 needs tests/ as a test run found it; hashing tests/ for every other launch (each
    `git` command) was pure cost."""
    (ws / "tests").mkdir()
    (ws / "tests" / "test_a.py").write_text("def test_a(): pass\n")
    (ws / "tests" / "link.py").symlink_to(ws / "tests" / "test_a.py")

    def system():
        subprocess.run(["true", "status", "--short", "-c", "core.x=y"], cwd=str(ws), check=False)
        subprocess.run(["true", "-m", "pytest", "-q"], cwd=str(ws), check=False)
        subprocess.run(["true", "tests/link.py", "missing.py"], cwd=str(ws), check=False)

    plain, tool, named = procs(record(system))
    assert "tests" not in plain and "test_run" not in plain
    assert tool["test_run"] is True and tool["test_args"] == []
    assert set(tool["tests"]) == {"test_a.py", "link.py"}
    # a tests/ path argv names counts (through a symlink, as where it resolves to)
    assert named["test_run"] is True and named["test_args"] == ["test_a.py"]
    assert "tests" in named


def test_only_system_actors_are_recorded(ws):
    journal = Journal()
    with AuditRecorder(journal, ROOTS):
        open("harness.txt", "w").close()  # the harness (default actor)
        with acting_as("human"):
            open("human.txt", "w").close()
        with acting_as("poller"):
            open("poller.txt", "w").close()
            with acting_as("harness"):
                open("nested.txt", "w").close()
    assert [(e.actor, os.path.basename(e.data["path"])) for e in journal.events(FILE)] == [
        ("poller", "poller.txt")]


def test_bytecode_cache_writes_are_ignored(ws):
    def system():
        os.makedirs("__pycache__", exist_ok=True)
        open("__pycache__/m.cpython-311.pyc", "wb").close()
        open("real.py", "w").close()

    assert [os.path.basename(d["path"]) for d in files(record(system))] == ["real.py"]


def test_an_import_of_written_code_journals_only_the_source_write(ws):
    sys.path.insert(0, str(ws))
    try:
        def system():
            pathlib.Path("generated_mod_for_audit.py").write_text("VALUE = 1\n")
            __import__("generated_mod_for_audit")

        data = files(record(system))
    finally:
        sys.path.remove(str(ws))
        sys.modules.pop("generated_mod_for_audit", None)
    assert [os.path.basename(d["path"]) for d in data] == ["generated_mod_for_audit.py"]


def test_nothing_is_recorded_outside_a_recorder_and_the_hook_stays_installed(ws):
    journal = Journal()
    with AuditRecorder(journal, ROOTS):
        pass
    with acting_as("webhook"):
        open("after.txt", "w").close()
    assert len(journal) == 0
    assert audit._installed and audit._active == []


def test_the_innermost_recorder_gets_the_events(ws):
    outer, inner = Journal(), Journal()
    with AuditRecorder(outer, ROOTS), acting_as("cli"):
        with AuditRecorder(inner, ROOTS):
            open("in.txt", "w").close()
        open("out.txt", "w").close()
    assert [os.path.basename(e.data["path"]) for e in inner.events(FILE)] == ["in.txt"]
    assert [os.path.basename(e.data["path"]) for e in outer.events(FILE)] == ["out.txt"]


def test_a_failing_observer_never_raises_into_the_target(ws, monkeypatch):
    journal = Journal()

    def broken(*args, **kwargs):
        raise RuntimeError("observer bug")

    monkeypatch.setattr(journal, "record", broken)
    with AuditRecorder(journal, ROOTS) as rec, acting_as("webhook"), open("still-written.txt", "w") as handle:
        handle.write("ok")
    assert (ws / "still-written.txt").read_text() == "ok"
    assert rec.errors and "observer bug" in rec.errors[0]


def test_where_names_the_innermost_frame_of_the_code_roots():
    def helper():
        return component(sys._getframe(), ["tests"])

    assert helper() == f"{__name__}:test_where_names_the_innermost_frame_of_the_code_roots.<locals>.helper"
    assert component(sys._getframe(), ["no_such_package"]) == "?"
    assert component(sys._getframe(), lambda f: f.f_code.co_name.startswith("test_where")) == frame_name(sys._getframe())
    assert component(sys._getframe(), [os.path.dirname(__file__)]).startswith(__name__ + ":")


def test_a_thread_the_target_starts_acts_for_the_system(ws):
    import threading

    def target_worker():
        open("from-thread.txt", "w").close()

    def system():
        worker = threading.Thread(target=target_worker, name="helper")
        worker.start()
        worker.join()

    journal = record(system)
    assert [(e.actor, os.path.basename(e.data["path"])) for e in journal.events(FILE)] == [
        ("thread:helper", "from-thread.txt")]


def test_a_thread_running_no_target_code_is_not_recorded(ws):
    import threading

    journal = Journal()
    with AuditRecorder(journal, ["no_such_target_package"]):
        worker = threading.Thread(target=open, args=("plain.txt", "w"))
        worker.start()
        worker.join()
    assert journal.events(FILE) == []
