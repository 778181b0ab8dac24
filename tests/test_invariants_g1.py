"""G1: a locked artifact is never written, replaced, moved, removed or aliased over by the system."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from harness.invariants.locks import G1Locks
from harness.invariants.testing import MANIFEST, MiniWorld, write
from harness.journal import HUMAN, TRICK, acting_as


@pytest.fixture()
def world(tmp_path, monkeypatch):
    w = MiniWorld(tmp_path)
    w.card_id = w.card("Calculator", dirname="calc")
    w.ws = w.workspace("calc")
    monkeypatch.chdir(w.ws)
    return w


def locked_design(world: MiniWorld) -> G1Locks:
    """A first system step writes DESIGN.md and locks it; nothing is wrong yet."""
    g1 = G1Locks()
    with world.step([g1]) as found, acting_as("webhook"):
        write(world.ws / "DESIGN.md", "approved design")
        world.lock(world.ws, "DESIGN.md")
    assert found == []
    assert str(world.ws / "DESIGN.md") in g1.locks
    return g1


def system_step(world: MiniWorld, g1: G1Locks, action, actor: str = "poller"):
    with world.step([g1]) as found, acting_as(actor):
        action()
    return found


def test_writing_a_locked_file_is_caught_writing_another_is_not(world):
    g1 = locked_design(world)
    assert system_step(world, g1, lambda: write(world.ws / "src" / "app.py", "ok")) == []
    found = system_step(world, g1, lambda: write(world.ws / "DESIGN.md", "rewritten"))
    assert [v.invariant for v in found] == ["G1"]
    assert "locked DESIGN.md" in found[0].message and "card #1" in found[0].message
    assert found[0].evidence[0].data["op"] == "write"
    assert found[0].component.startswith("tests.test_invariants_g1:")


@pytest.mark.parametrize("alias", ["./DESIGN.md", "src/../DESIGN.md", ".//DESIGN.md"])
def test_path_aliases_resolve_to_the_locked_file(world, alias):
    (world.ws / "src").mkdir()
    g1 = locked_design(world)
    found = system_step(world, g1, lambda: open(alias, "a").close())
    assert [v.invariant for v in found] == ["G1"] and alias in found[0].message


def test_a_symlink_alias_to_the_locked_file_is_the_locked_file(world):
    g1 = locked_design(world)
    os.symlink("DESIGN.md", world.ws / "notes.md")  # the harness's trick
    found = system_step(world, g1, lambda: write(world.ws / "notes.md", "through the alias"))
    assert [v.invariant for v in found] == ["G1"]
    # removing the alias link itself does not touch the artifact
    assert system_step(world, g1, lambda: os.remove(world.ws / "notes.md")) == []


@pytest.mark.parametrize("how", ["rename away", "rename onto", "remove", "symlink over", "rmtree", "truncate"])
def test_every_kind_of_overwrite_is_caught(world, how):
    g1 = locked_design(world)
    design = world.ws / "DESIGN.md"
    other = write(world.ws / "draft.md", "draft")

    def act():
        if how == "rename away":
            os.rename(design, world.ws / "old.md")
        elif how == "rename onto":
            os.replace(other, design)
        elif how == "remove":
            design.unlink()
        elif how == "symlink over":
            design.unlink()
            os.symlink("draft.md", design)
        elif how == "rmtree":
            shutil.rmtree(world.ws)
        else:
            os.truncate(design, 0)

    found = system_step(world, g1, act)
    assert [v.invariant for v in found] == ["G1"]


def test_chmod_of_a_locked_file_is_not_an_overwrite(world):
    g1 = locked_design(world)
    assert system_step(world, g1, lambda: os.chmod(world.ws / "DESIGN.md", 0o444)) == []


def test_a_subprocess_rewrite_is_caught_by_the_content_hash(world):
    g1 = locked_design(world)

    def child_writes(name):
        code = f"open({str(world.ws / name)!r}, 'w').write('by a child process')"
        return lambda: subprocess.run([sys.executable, "-c", code], check=True)

    assert system_step(world, g1, child_writes("src.py")) == []
    found = system_step(world, g1, child_writes("DESIGN.md"))
    assert [v.invariant for v in found] == ["G1"]
    assert "changed during a system step" in found[0].message
    assert found[0].evidence[0].kind == "proc"


def test_delete_then_recreate_is_caught_the_trick_itself_is_not(world):
    g1 = locked_design(world)
    with world.step([g1], rule="trick", kind="delete", card=world.card_id, path="DESIGN.md") as found:
        (world.ws / "DESIGN.md").unlink()  # the harness (a careless human)
    assert found == []
    found = system_step(world, g1, lambda: write(world.ws / "DESIGN.md", "regenerated"))
    assert [v.invariant for v in found] == ["G1"]


def test_a_corrupt_manifest_does_not_make_the_harness_forget(world):
    g1 = locked_design(world)
    with world.step([g1], rule="trick", kind="corrupt_manifest", card=world.card_id) as found:
        (world.ws / MANIFEST).write_text("{ not json")
    assert found == [] and world.target.locked_artifacts(world.ws) == {}
    found = system_step(world, g1, lambda: write(world.ws / "DESIGN.md", "while the manifest is broken"))
    assert [v.invariant for v in found] == ["G1"]


def test_restoring_a_tricked_file_is_still_a_system_rewrite(world):
    g1 = locked_design(world)
    with world.step([g1], rule="trick", kind="edit", card=world.card_id, path="DESIGN.md") as found:
        (world.ws / "DESIGN.md").write_text("edited by hand")
    assert found == []
    found = system_step(world, g1, lambda: subprocess.run(
        [sys.executable, "-c", f"open({str(world.ws / 'DESIGN.md')!r}, 'w').write('approved design')"],
        check=True))
    assert [v.invariant for v in found] == ["G1"]


def test_an_explicit_unlock_releases_the_lock(world):
    g1 = locked_design(world)
    world.journal.record(HUMAN, {"action": "unlock", "task_id": world.card_id}, actor="human")
    (world.ws / MANIFEST).unlink()
    assert system_step(world, g1, lambda: write(world.ws / "DESIGN.md", "new version")) == []
    assert g1.locks == {}


def test_an_unlock_of_another_card_does_not(world):
    g1 = locked_design(world)
    world.journal.record(HUMAN, {"action": "unlock", "task_id": 99}, actor="human")
    found = system_step(world, g1, lambda: write(world.ws / "DESIGN.md", "new version"))
    assert [v.invariant for v in found] == ["G1"]


def test_a_lock_whose_file_was_rewritten_in_the_locking_step_is_caught(world):
    g1 = G1Locks()

    def lock_then_rewrite():
        write(world.ws / "DESIGN.md", "approved design")
        world.lock(world.ws, "DESIGN.md")
        write(world.ws / "DESIGN.md", "quietly replaced")

    found = system_step(world, g1, lock_then_rewrite)
    assert [v.invariant for v in found] == ["G1"]
    assert "no longer matches" in found[0].message


def test_a_dirname_changed_after_locking_keeps_the_old_lock(world):
    g1 = locked_design(world)
    with acting_as("human"):
        world.kanboard.human.set_metadata(world.card_id, {"dirname": "calc2"})
    world.workspace("calc2")
    found = system_step(world, g1, lambda: write(world.ws / "DESIGN.md", "old workspace"))
    assert [v.invariant for v in found] == ["G1"]


def test_harness_writes_are_not_the_system(world):
    g1 = locked_design(world)
    with world.step([g1]) as found:
        (world.ws / "DESIGN.md").write_text("the harness")  # no actor: the harness
    assert found == []  # no system actor acted in that step
    # a system step that leaves it alone is clean; one that puts it back is not
    assert system_step(world, g1, lambda: write(world.ws / "x.txt", "x")) == []
    found = system_step(world, g1, lambda: subprocess.run(
        [sys.executable, "-c", f"open({str(world.ws / 'DESIGN.md')!r}, 'w').write('approved design')"],
        check=True))
    assert [v.invariant for v in found] == ["G1"]


def test_a_lock_forged_into_the_manifest_by_a_trick_is_not_the_systems(world):
    g1 = locked_design(world)
    write(world.ws / "src.py", "code")
    with world.step([g1], rule="trick", kind="corrupt_manifest", card=world.card_id):
        world.lock(world.ws, "src.py")  # the harness writes a valid-looking lock
    assert system_step(world, g1, lambda: write(world.ws / "src.py", "new code")) == []
    found = system_step(world, g1, lambda: write(world.ws / "DESIGN.md", "still locked"))
    assert [v.invariant for v in found] == ["G1"]


def _edited_mid_step(world: MiniWorld) -> None:
    """A person edits the locked DESIGN.md while a system runner is in the middle of a step."""
    with acting_as("human"):
        (world.ws / "DESIGN.md").write_text("edited by hand")
        world.journal.record(TRICK, {"kind": "edit", "card": world.card_id, "path": "DESIGN.md"})


def test_putting_back_the_locked_bytes_after_a_mid_step_edit_is_a_restore(world):
    g1 = locked_design(world)

    def restore() -> None:
        _edited_mid_step(world)
        write(world.ws / "DESIGN.md", "approved design")

    assert system_step(world, g1, restore) == []


def test_writing_other_bytes_after_a_mid_step_edit_is_still_an_overwrite(world):
    g1 = locked_design(world)

    def rewrite() -> None:
        _edited_mid_step(world)
        write(world.ws / "DESIGN.md", "the system's own version")

    assert [v.invariant for v in system_step(world, g1, rewrite)] == ["G1"]


def test_an_unlock_the_manifest_carried_out_makes_relocking_the_same_bytes_a_new_lock(world):
    g1 = locked_design(world)
    with world.step([g1], rule="unlock", card=world.card_id, path="DESIGN.md") as found, acting_as("human"):
        (world.ws / MANIFEST).unlink()  # the target's unlock tool dropped the entry
        world.journal.record(HUMAN, {"action": "unlock", "task_id": world.card_id, "paths": ["DESIGN.md"]})
    assert found == [] and g1.locks == {}
    assert system_step(world, g1, lambda: world.lock(world.ws, "DESIGN.md")) == []
    assert str(world.ws / "DESIGN.md") in g1.locks  # locked again: the same bytes, a new lock
    found = system_step(world, g1, lambda: write(world.ws / "DESIGN.md", "after re-approval"))
    assert [v.invariant for v in found] == ["G1"]


def test_recreating_the_same_bytes_after_a_delete_step_is_still_an_overwrite(world):
    """Checked once over a machine rule (a trick step, then the re-triggered agent): the
    approved bytes written again are a recreation, not a restore."""
    g1 = locked_design(world)
    with world.step([g1], rule="trick", kind="delete", card=world.card_id, path="DESIGN.md") as found:
        (world.ws / "DESIGN.md").unlink()
        with acting_as("poller"):
            write(world.ws / "DESIGN.md", "approved design")
    assert [v.invariant for v in found] == ["G1"]
