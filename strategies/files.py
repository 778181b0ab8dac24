"""File tricks the harness plays on a card's workspace, as data.

A trick names a target artifact (`DESIGN.md`, `prd.json`, the story tests
`tests/test_*.py`, or the target's lock manifest `@manifest`) and how to meddle with it. The
machine resolves the target to a real workspace-relative path and then asks the trick for
the other path involved (`partner`) or the new content (`corrupt_manifest_text`,
`edit_test_text`); all of that is pure, so replays do the same thing.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from hypothesis import strategies as st

DESIGN = "DESIGN.md"
PRD = "prd.json"
TESTS = "tests/test_*.py"  # the machine picks a locked test file
MANIFEST = "@manifest"  # the target's lock manifest (Target.lock_manifest)
ARTIFACTS = (DESIGN, PRD, TESTS)
TARGETS = (*ARTIFACTS, MANIFEST)

# Trick kinds, simplest first.
KINDS = ("delete", "rename", "rename_back", "symlink_alias", "dotdot_alias", "corrupt_manifest",
         "delete_manifest", "edit_test")

# Patterns over a target path: {path}, {dir} (with trailing "/", or ""), {name}, {stem}, {suffix}.
RENAME_PATTERNS = ("{path}.bak", "{dir}.{name}.swp", "{dir}old-{name}", "{dir}{stem}.orig{suffix}")
SYMLINK_PATTERNS = ("{dir}alias-{name}", "src/{name}", "{dir}{stem}.link{suffix}")
DOTDOT_PATTERNS = ("./{path}", "src/../{path}", "tests/../{path}", "a/b/../../{path}",
                   "{dir}./{name}", ".//{path}")
CORRUPTIONS = ("truncated", "empty", "garbage", "null", "wrong_type", "empty_object",
               "tamper_hash")
TEST_EDITS = ("append_comment", "always_pass", "weaken_asserts", "empty")

_PATTERN_PARAM = {"rename": "to", "rename_back": "from", "symlink_alias": "alias",
                  "dotdot_alias": "alias"}


def expand(pattern: str, path: str) -> str:
    """Fill a pattern from a workspace-relative path ("tests/test_a.py" -> dir "tests/", ...)."""
    directory, name = posixpath.split(path)
    stem, suffix = posixpath.splitext(name)
    return pattern.format(path=path, dir=f"{directory}/" if directory else "", name=name,
                          stem=stem, suffix=suffix)


def dirs_needed(alias: str) -> list[str]:
    """Directories that must exist for a `..` alias to resolve (each one a `..` climbs out of)."""
    parts = alias.split("/")
    needed = []
    for i, part in enumerate(parts):
        if part == ".." and i > 0:
            base = posixpath.normpath("/".join(parts[:i]))
            if base not in (".", "") and not base.startswith(".."):
                needed.append(base)
    return sorted(set(needed))


@dataclass(frozen=True)
class FileTrick:
    """Meddle with `target` the way `kind` says; `params` carry the pattern or variant."""

    kind: str
    target: str
    params: Mapping[str, str] = field(default_factory=dict)

    def partner(self, path: str) -> str:
        """The other path: where a rename goes (or comes back from), or the alias's path."""
        key = _PATTERN_PARAM.get(self.kind)
        if key is None:
            raise ValueError(f"a {self.kind} trick involves no second path")
        return expand(self.params[key], path)

    def to_args(self, path: str, original: str = "") -> dict[str, str]:
        """The trick as `harness/tricks.py` arguments, for the artifact at `path` (its current
        text `original` feeds content-derived variants). Raises ValueError where that executor
        has no equivalent (`..` aliases, renames other than `.bak`)."""
        if self.kind == "delete":
            return {"kind": "delete", "path": path}
        if self.kind in ("rename", "rename_back"):
            if self.partner(path) != f"{path}.bak":
                raise ValueError(f"the trick executor only renames to .bak, not {self.partner(path)}")
            return {"kind": "rename_away" if self.kind == "rename" else "rename_back", "path": path}
        if self.kind == "symlink_alias":
            return {"kind": "symlink_over", "path": self.partner(path), "to": path}
        if self.kind == "corrupt_manifest":
            return {"kind": "corrupt_manifest",
                    "content": corrupt_manifest_text(original, self.params["how"])}
        if self.kind == "delete_manifest":
            return {"kind": "delete_manifest"}
        if self.kind == "edit_test":
            return {"kind": "edit", "path": path, "content": edit_test_text(original, self.params["how"])}
        raise ValueError(f"a {self.kind} trick has no harness/tricks.py equivalent")

    def describe(self) -> str:
        """E.g. "file trick: DESIGN.md renamed to DESIGN.md.bak"."""
        name = "the lock manifest" if self.target == MANIFEST else self.target
        path = self.target
        if self.kind == "delete":
            return f"file trick: {name} deleted"
        if self.kind == "rename":
            return f"file trick: {name} renamed to {self.partner(path)}"
        if self.kind == "rename_back":
            return f"file trick: {self.partner(path)} renamed back to {name}"
        if self.kind == "symlink_alias":
            return f"file trick: symlink {self.partner(path)} -> {name}"
        if self.kind == "dotdot_alias":
            return f"file trick: {name} named as {self.partner(path)}"
        if self.kind == "corrupt_manifest":
            return f"file trick: lock manifest corrupted ({self.params['how'].replace('_', ' ')})"
        if self.kind == "delete_manifest":
            return "file trick: lock manifest deleted"
        if self.kind == "edit_test":
            return f"file trick: {name} edited ({self.params['how'].replace('_', ' ')})"
        raise ValueError(f"unknown file trick {self.kind!r}; known: {', '.join(KINDS)}")


def corrupt_manifest_text(text: str, how: str) -> str:
    """The manifest's text spoilt as `how` says; `tamper_hash` rewrites every sha256 in it."""
    if how == "truncated":
        return text[: len(text) // 2]
    if how == "empty":
        return ""
    if how == "garbage":
        return "not json {"
    if how == "null":
        return "null"
    if how == "wrong_type":
        return "[]"
    if how == "empty_object":
        return "{}"
    if how == "tamper_hash":
        return re.sub(r"\b[0-9a-f]{64}\b",
                      lambda m: hashlib.sha256(m.group(0).encode()).hexdigest(), text)
    raise ValueError(f"unknown manifest corruption {how!r}; known: {', '.join(CORRUPTIONS)}")


def edit_test_text(text: str, how: str) -> str:
    """A locked test as a careless human (or a shortcut-seeking model) would leave it."""
    if how == "append_comment":
        return text + "\n# edited by a human\n"
    if how == "always_pass":
        return "def test_always_passes():\n    assert True\n"
    if how == "weaken_asserts":
        return re.sub(r"^(\s*)assert\b", r"\1assert True or", text, flags=re.MULTILINE)
    if how == "empty":
        return ""
    raise ValueError(f"unknown test edit {how!r}; known: {', '.join(TEST_EDITS)}")


def _patterned(kind: str, patterns: Sequence[str],
               targets: Sequence[str]) -> st.SearchStrategy[FileTrick]:
    key = _PATTERN_PARAM[kind]
    return st.builds(lambda t, p: FileTrick(kind, t, {key: p}),
                     st.sampled_from(tuple(targets)), st.sampled_from(patterns))


def file_tricks(targets: Sequence[str] = ARTIFACTS,
                kinds: Sequence[str] = KINDS) -> st.SearchStrategy[FileTrick]:
    """File tricks that set up G1/G2 situations; shrinks to deleting DESIGN.md.

    Manifest tricks hit the lock manifest, test edits the story tests, the rest `targets`.
    """
    targets = tuple(targets)
    if not targets:
        raise ValueError("file_tricks needs at least one target")
    unknown = [k for k in kinds if k not in KINDS]
    if unknown or not kinds:
        raise ValueError(f"unknown or no file trick kinds {unknown!r}; known: {', '.join(KINDS)}")
    table = {
        "delete": st.sampled_from(targets).map(lambda t: FileTrick("delete", t)),
        "rename": _patterned("rename", RENAME_PATTERNS, targets),
        "rename_back": _patterned("rename_back", RENAME_PATTERNS, targets),
        "symlink_alias": _patterned("symlink_alias", SYMLINK_PATTERNS, targets),
        "dotdot_alias": _patterned("dotdot_alias", DOTDOT_PATTERNS, targets),
        "corrupt_manifest": st.sampled_from(CORRUPTIONS).map(
            lambda how: FileTrick("corrupt_manifest", MANIFEST, {"how": how})),
        "delete_manifest": st.just(FileTrick("delete_manifest", MANIFEST)),
        "edit_test": st.sampled_from(TEST_EDITS).map(
            lambda how: FileTrick("edit_test", TESTS, {"how": how})),
    }
    # The simplest trick first, on its own: failures shrink to exactly it.
    first = [st.just(FileTrick("delete", targets[0]))] if "delete" in kinds else []
    return st.one_of(*first, *(table[k] for k in KINDS if k in kinds))


# Variants `to_args` can express without the artifact's current text.
_ARGS_CORRUPTIONS = ("empty", "garbage", "null", "wrong_type", "empty_object")
_ARGS_EDITS = ("always_pass", "empty")


def trick_args(test_path: str = "tests/test_atomic_01.py") -> st.SearchStrategy[dict[str, str]]:
    """File tricks as `harness/tricks.py` argument dicts; shrinks to deleting DESIGN.md.

    Only the subset that executor can carry out; the story tests live at `test_path`.
    """
    concrete = {DESIGN: DESIGN, PRD: PRD, TESTS: test_path}
    targets = st.sampled_from(ARTIFACTS)
    tricks = st.one_of(
        st.just(FileTrick("delete", DESIGN)),
        targets.map(lambda t: FileTrick("delete", t)),
        targets.map(lambda t: FileTrick("rename", t, {"to": "{path}.bak"})),
        targets.map(lambda t: FileTrick("rename_back", t, {"from": "{path}.bak"})),
        _patterned("symlink_alias", SYMLINK_PATTERNS, ARTIFACTS),
        st.sampled_from(_ARGS_CORRUPTIONS).map(
            lambda how: FileTrick("corrupt_manifest", MANIFEST, {"how": how})),
        st.just(FileTrick("delete_manifest", MANIFEST)),
        st.sampled_from(_ARGS_EDITS).map(lambda how: FileTrick("edit_test", TESTS, {"how": how})),
    )
    return tricks.map(lambda t: t.to_args(concrete.get(t.target, t.target)))
