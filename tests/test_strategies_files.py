"""File tricks: aliases really name the artifact, corruptions really corrupt, test edits
really change what a test checks."""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path

import pytest
from hypothesis import given, settings

from strategies.files import (
    ARTIFACTS,
    CORRUPTIONS,
    DOTDOT_PATTERNS,
    KINDS,
    MANIFEST,
    RENAME_PATTERNS,
    SYMLINK_PATTERNS,
    TEST_EDITS,
    TESTS,
    FileTrick,
    corrupt_manifest_text,
    dirs_needed,
    edit_test_text,
    expand,
    file_tricks,
    trick_args,
)
from strategies.sampling import examples, simplest

PATHS = ("DESIGN.md", "prd.json", "tests/test_atomic_01.py")
MANIFEST_TEXT = json.dumps({"version": "1.0", "artifacts": {"DESIGN.md": {
    "status": "LOCKED", "hash": "ab" * 32}}}, indent=2)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("pattern", DOTDOT_PATTERNS)
def test_dotdot_aliases_resolve_to_the_artifact(tmp_path: Path, path: str, pattern: str) -> None:
    artifact = tmp_path / path
    artifact.parent.mkdir(parents=True, exist_ok=True)
    artifact.write_text("locked")
    alias = expand(pattern, path)
    assert alias != path and os.path.normpath(alias) == os.path.normpath(path)
    for d in dirs_needed(alias):
        (tmp_path / d).mkdir(parents=True, exist_ok=True)
    assert (tmp_path / alias).resolve() == artifact.resolve()
    assert (tmp_path / alias).read_text() == "locked"


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("pattern", SYMLINK_PATTERNS + RENAME_PATTERNS)
def test_other_patterns_name_a_different_file(path: str, pattern: str) -> None:
    other = expand(pattern, path)
    assert os.path.normpath(other) != os.path.normpath(path)
    assert ".." not in other.split("/")


def test_symlink_alias_reaches_the_artifact(tmp_path: Path) -> None:
    trick = FileTrick("symlink_alias", "DESIGN.md", {"alias": "src/{name}"})
    (tmp_path / "DESIGN.md").write_text("locked")
    alias = tmp_path / trick.partner("DESIGN.md")
    alias.parent.mkdir()
    alias.symlink_to(os.path.relpath(tmp_path / "DESIGN.md", alias.parent))
    assert alias.read_text() == "locked" and alias.resolve() == (tmp_path / "DESIGN.md").resolve()
    assert trick.describe() == "file trick: symlink src/DESIGN.md -> DESIGN.md"


@pytest.mark.parametrize("how", CORRUPTIONS)
def test_corruptions_change_what_the_manifest_says(how: str) -> None:
    spoilt = corrupt_manifest_text(MANIFEST_TEXT, how)
    assert spoilt != MANIFEST_TEXT
    try:
        value = json.loads(spoilt)
    except ValueError:
        return  # unreadable: fine
    if how == "tamper_hash":
        assert value["artifacts"]["DESIGN.md"]["hash"] != "ab" * 32
        assert len(value["artifacts"]["DESIGN.md"]["hash"]) == 64
    else:
        assert not (isinstance(value, dict) and value.get("artifacts"))


TEST_TEXT = "from src.m import f\n\n\ndef test_f():\n    assert f() == 2\n"


@pytest.mark.parametrize("how", TEST_EDITS)
def test_test_edits_change_the_test(how: str) -> None:
    edited = edit_test_text(TEST_TEXT, how)
    assert edited != TEST_TEXT
    ast.parse(edited)
    if how == "weaken_asserts":
        namespace: dict = {}
        exec(compile(edited.replace("from src.m import f", "def f():\n    return 3"), "t", "exec"),
             namespace)
        namespace["test_f"]()  # the weakened test passes against wrong code


@settings(max_examples=100, database=None)
@given(file_tricks())
def test_tricks_are_well_formed(trick: FileTrick) -> None:
    assert trick.kind in KINDS
    text = trick.describe()
    assert text.startswith("file trick: ")
    if trick.kind in ("corrupt_manifest", "delete_manifest"):
        assert trick.target == MANIFEST and "lock manifest" in text
    elif trick.kind == "edit_test":
        assert trick.target == TESTS and trick.params["how"] in TEST_EDITS
    else:
        assert trick.target in ARTIFACTS
        if trick.kind != "delete":
            assert trick.partner(trick.target) != trick.target


def test_every_kind_is_generated_and_shrinks_to_deleting_the_design() -> None:
    assert {t.kind for t in examples(file_tricks(), 200)} == set(KINDS)
    assert simplest(file_tricks()) == FileTrick("delete", "DESIGN.md")
    with pytest.raises(ValueError, match="no second path"):
        FileTrick("delete", "DESIGN.md").partner("DESIGN.md")
    with pytest.raises(ValueError, match="unknown or no file trick kinds"):
        file_tricks(kinds=["melt"])


def test_trick_args_speak_the_trick_executor() -> None:
    known = {"delete", "rename_away", "rename_back", "symlink_over", "corrupt_manifest",
             "delete_manifest", "edit"}
    args = examples(trick_args("tests/test_s1.py"), 200)
    assert {a["kind"] for a in args} == known
    for a in args:
        if "path" in a:
            assert a["path"] in ("DESIGN.md", "prd.json", "tests/test_s1.py") or a["kind"] == "symlink_over"
        if a["kind"] == "symlink_over":
            assert a["to"] in ("DESIGN.md", "prd.json", "tests/test_s1.py") and a["path"] != a["to"]
    assert simplest(trick_args()) == {"kind": "delete", "path": "DESIGN.md"}
    with pytest.raises(ValueError, match="no harness/tricks.py equivalent"):
        FileTrick("dotdot_alias", "DESIGN.md", {"alias": "./{path}"}).to_args("DESIGN.md")
