"""G4: the system's file effects stay in allowed roots; card text never reaches a shell or an option."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from harness.invariants.containment import G4Containment, contains_token
from harness.invariants.testing import MiniWorld, write
from harness.journal import acting_as


@pytest.fixture()
def world(tmp_path):
    w = MiniWorld(tmp_path, state_roots=[tmp_path / "state"])
    w.card_id = w.card("--upload-pack=touch pwned", dirname="calc", description="Build it\n-rf everything")
    w.ws = w.workspace("calc")
    return w


def system(world, g4, action, actor="webhook"):
    with world.step([g4]) as found, acting_as(actor):
        action()
    return found


def card_title(world) -> str:
    return world.kanboard.task(world.card_id)["title"]  # a fresh object, as a target would read it


def test_writes_in_the_workspace_tmp_and_state_roots_are_allowed(world):
    g4 = G4Containment()

    def act():
        write(world.ws / "src" / "a.py", "a")
        write(world.tmp / "scratch", "t")
        write(world.root / "state" / "leases" / "x", "l")
        os.makedirs(world.home / "projects" / "calc", exist_ok=True)  # the workspace's own mkdir
        subprocess.run(["true"], stdout=subprocess.DEVNULL, check=True)  # opens /dev/null for writing

    assert system(world, g4, act) == []


@pytest.mark.parametrize("where", ["home", "dotdot", "other-projects-dir", "symlink-out"])
def test_effects_outside_every_allowed_root_are_caught(world, where):
    g4 = G4Containment()
    outside = world.root / "outside"
    outside.mkdir()
    os.symlink(outside, world.ws / "link")

    def act():
        if where == "home":
            write(world.home / ".bashrc", "x")
        elif where == "dotdot":
            write(world.ws / ".." / ".." / "escaped.txt", "x")
        elif where == "other-projects-dir":
            write(world.home / "projects" / "not-a-card" / "f", "x")
        else:
            write(world.ws / "link" / "f", "x")

    found = system(world, g4, act)
    assert [v.invariant for v in found] == ["G4"]
    assert "lands outside the card workspaces" in found[0].message
    assert found[0].component.startswith("tests.test_invariants_g4:")


@pytest.mark.skipif(not os.path.isdir("/dev/shm"), reason="no /dev/shm on this machine")
def test_an_escape_is_caught_when_the_sandbox_lives_in_dev_shm():
    """Sandboxes go to /dev/shm when it is roomy (harness/scratch.py): its files are files,
    not the device files (/dev/null) a system may write to."""
    import shutil
    import tempfile
    from pathlib import Path

    root = Path(tempfile.mkdtemp(prefix="alfuzz-g4-", dir="/dev/shm"))
    try:
        w = MiniWorld(root)
        w.card("calc card", dirname="calc")
        ws = w.workspace("calc")
        g4 = G4Containment()
        assert system(w, g4, lambda: write(ws / "in.txt", "x")) == []
        found = system(w, g4, lambda: write(ws / ".." / ".." / "escaped.txt", "x"))
        assert [v.invariant for v in found] == ["G4"], found
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_a_hostile_dirname_never_becomes_an_allowed_root(world):
    g4 = G4Containment()
    world.card("evil", dirname="../../escape")
    found = system(world, g4, lambda: write(world.home / "projects" / ".." / ".." / "escape" / "f", "x"))
    assert [v.invariant for v in found] == ["G4"]


def test_a_dirname_the_description_declares_beside_the_metadatas_is_the_cards_too(world):
    """A person typed "dirname: calc2" into a card whose metadata says calc: a target that
    reads the description (its metadata unreadable) works in the card's own workspace; a
    hostile dirname there is still no root."""
    g4 = G4Containment()
    with acting_as("human"):
        world.kanboard.human.edit_description(world.card_id, "dirname: calc2\n\nBuild it")
    assert system(world, g4, lambda: os.makedirs(world.home / "projects" / "calc2")) == []
    with acting_as("human"):
        world.kanboard.human.edit_description(world.card_id, "dirname: ../../escape2")
    found = system(world, g4, lambda: write(world.home / "projects" / ".." / ".." / "escape2" / "f", "x"))
    assert [v.invariant for v in found] == ["G4"]


def test_a_rename_out_of_the_workspace_is_caught_by_its_destination(world):
    g4 = G4Containment()
    src = write(world.ws / "DESIGN.md", "d")
    found = system(world, g4, lambda: os.rename(src, world.home / "stolen.md"))
    assert [v.invariant for v in found] == ["G4"] and found[0].details["path"] == str(world.home / "stolen.md")


def test_any_shell_launch_is_caught_with_or_without_card_text(world):
    g4 = G4Containment()
    found = system(world, g4, lambda: subprocess.run("true", shell=True, check=True))
    assert [v.invariant for v in found] == ["G4"] and "no card text" in found[0].message
    title = card_title(world)
    found = system(world, g4, lambda: subprocess.run(["sh", "-c", f"echo '{title}' >/dev/null"], check=True))
    assert [v.invariant for v in found] == ["G4"] and "carrying card text" in found[0].message
    found = system(world, g4, lambda: os.system("true"))
    assert [v.invariant for v in found] == ["G4"]


def test_a_single_command_string_carrying_card_text_is_caught(world):
    g4 = G4Containment()
    world.card("deploy", dirname="deploy-app")

    def launch(text):
        def act():
            with pytest.raises(OSError):
                subprocess.run(text, check=False)
        return act

    found = system(world, g4, launch("no-such-program --dir deploy-app"))
    assert [v.invariant for v in found] == ["G4"] and "deploy-app" in found[0].message
    assert system(world, g4, launch("no-such-program --dir elsewhere")) == []


def test_card_text_read_as_an_option_is_caught(world):
    g4 = G4Containment()
    found = system(world, g4, lambda: subprocess.run(["true", "clone", card_title(world), "x"], check=True))
    assert [v.invariant for v in found] == ["G4"]
    assert "reaches a command as an option" in found[0].message and found[0].details["index"] == 2


def test_a_description_line_starting_with_a_dash_is_card_text(world):
    g4 = G4Containment()
    line = world.kanboard.task(world.card_id)["description"].splitlines()[1]
    found = system(world, g4, lambda: subprocess.run(["true", line], check=True))
    assert [v.invariant for v in found] == ["G4"]


def test_options_of_the_program_itself_and_card_text_after_double_dash_are_fine(world):
    g4 = G4Containment()
    title = card_title(world)

    def act():
        subprocess.run(["true", "-q", "--upload-pack=/usr/bin/git-upload-pack", "-rf"], check=True)
        subprocess.run(["true", "commit", "-m", f"Story: {title}"], check=True)
        subprocess.run(["true", "add", "--", title], check=True)

    assert system(world, g4, act) == []


def test_a_program_option_equal_to_card_text_is_told_apart_by_identity(world):
    g4 = G4Containment()
    world.card("".join(["-", "m"]), dirname="m-card")  # built at run time, as parsed card text is
    hostile = world.kanboard.task(world.card_id + 1)["title"]
    assert hostile == "-m"
    assert system(world, g4, lambda: subprocess.run(["true", "commit", "-m", "msg"], check=True)) == []
    found = system(world, g4, lambda: subprocess.run(["true", "commit", "-m", hostile], check=True))
    assert [v.invariant for v in found] == ["G4"] and found[0].details["index"] == 3


def test_story_ids_from_prd_json_are_card_text(world):
    g4 = G4Containment()
    write(world.ws / "prd.json", json.dumps({"stories": [{"id": "--exec=rm", "title": "t"}]}))
    story = json.loads((world.ws / "prd.json").read_text())["stories"][0]["id"]
    found = system(world, g4, lambda: subprocess.run(["true", "checkout", "-b", story], check=True))
    assert [v.invariant for v in found] == ["G4"]


def test_the_harness_launching_a_shell_is_not_the_system(world):
    g4 = G4Containment()
    with world.step([g4]) as found:
        subprocess.run("true", shell=True, check=True)
    assert found == []


def test_contains_token_respects_word_boundaries():
    assert contains_token("git commit -m calc", "calc")
    assert not contains_token("git commit -m calculator", "calc")
    assert contains_token("x;rm -rf ~", ";rm -rf ~")
    assert contains_token("echo 'Build it'", "Build it")
