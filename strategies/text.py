"""Hostile and benign text: the raw material every card-derived field is built from.

Each hostile *kind* promises one property (a `..` segment, a leading `-`, a look-alike
character, ...); `promises(kind, text)` checks it independently of how the text was made,
so a test can hold each generator to its word. Every strategy shrinks towards its first,
simplest example ("..", "demo-app", "todo").
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Sequence

from hypothesis import strategies as st

# Texts at least this long count as "very long" (beyond NAME_MAX, typical UI limits).
LONG_MIN = 4096

# Longest file name most filesystems accept.
NAME_MAX = 255

DIRNAME_RE = re.compile(r"[a-z0-9][a-z0-9-]*")

# Characters a POSIX shell gives meaning to.
SHELL_METACHARS = frozenset(";|&$`<>*?'\"()\\!{}[]~#")

# Unicode look-alikes of path and name characters (and invisible ones), with what they mimic.
LOOKALIKES: dict[str, str] = {
    "\uff0f": "/",  # FULLWIDTH SOLIDUS
    "\u2215": "/",  # DIVISION SLASH
    "\u2044": "/",  # FRACTION SLASH
    "\u29f8": "/",  # BIG SOLIDUS
    "\uff3c": "\\",  # FULLWIDTH REVERSE SOLIDUS
    "\u2024": ".",  # ONE DOT LEADER
    "\u2025": "..",  # TWO DOT LEADER
    "\uff0e": ".",  # FULLWIDTH FULL STOP
    "\u2010": "-",  # HYPHEN
    "\u2011": "-",  # NON-BREAKING HYPHEN
    "\u2212": "-",  # MINUS SIGN
    "\uff0d": "-",  # FULLWIDTH HYPHEN-MINUS
    "\u0430": "a",  # CYRILLIC SMALL LETTER A
    "\u0435": "e",  # CYRILLIC SMALL LETTER IE
    "\u043e": "o",  # CYRILLIC SMALL LETTER O
    "\u200b": "",  # ZERO WIDTH SPACE
    "\u202e": "",  # RIGHT-TO-LEFT OVERRIDE
    "\ufeff": "",  # ZERO WIDTH NO-BREAK SPACE (BOM)
    "\u00a0": " ",  # NO-BREAK SPACE
}

# Card fields AgentLeeOps-style readers pick out of a description as `key: value` lines.
FIELD_KEYS = ("dirname", "context_mode", "acceptance_criteria", "complexity")

_FIELD_LINE = re.compile(r"(?:^|[\n\r])[ \t]*(?:" + "|".join(FIELD_KEYS) + r")[ \t]*:")
_CHILD_SPOOF = re.compile(r"^\s*\[[^\]\n]*\]|parent\**\s*:\s*#\d", re.IGNORECASE)

# Benign vocabulary: none of these words carries any hostile property.
WORDS = (
    "Epic", "todo", "Add", "login", "page", "with", "tests", "Build", "a", "calculator", "CLI",
    "for", "sums", "Epic", "user", "report", "export", "v2", "Fix", "parser", "cache",
)
# Realistic dirnames first: shrinking lands on a name a reader recognises.
SAMPLE_DIRNAMES = ("demo-app", "calc", "todo-api", "a", "0", "report-v2")


def _is_control(ch: str) -> bool:
    return unicodedata.category(ch) == "Cc" and ch not in "\x00\n\r\t"


# kind -> the property a text of that kind must have.
_PROMISES: dict[str, Callable[[str], bool]] = {
    "dotdot": lambda t: ".." in re.split(r"[/\\]", t),
    "absolute": lambda t: t.startswith(("/", "~", "\\")) or bool(re.match(r"[A-Za-z]:[\\/]", t)),
    "separator": lambda t: "/" in t or "\\" in t,
    "shell": lambda t: any(c in SHELL_METACHARS for c in t),
    "option": lambda t: t.startswith("-"),
    "newline": lambda t: "\n" in t or "\r" in t,
    "control": lambda t: any(_is_control(c) for c in t),
    "lookalike": lambda t: any(c in LOOKALIKES for c in t),
    "long": lambda t: len(t) >= LONG_MIN,
    "blank": lambda t: t.strip() == "",
    "dotfile": lambda t: t.startswith("."),
    "template": lambda t: "{" in t and "}" in t,
    "field": lambda t: bool(_FIELD_LINE.search(t)),
    "child_spoof": lambda t: bool(_CHILD_SPOOF.search(t)),
}
HOSTILE_KINDS: tuple[str, ...] = tuple(_PROMISES)


def promises(kind: str, text: str) -> bool:
    """Whether `text` has the property hostile kind `kind` stands for (checked, not assumed)."""
    try:
        return _PROMISES[kind](text)
    except KeyError:
        raise ValueError(f"unknown hostile kind {kind!r}; known: {', '.join(HOSTILE_KINDS)}") from None


def hostile_kinds_of(text: str) -> tuple[str, ...]:
    """Every hostile kind whose promise `text` meets; empty for benign text."""
    return tuple(k for k in HOSTILE_KINDS if _PROMISES[k](text))


def _around(core: st.SearchStrategy[str], prefixes: Sequence[str] = ("",),
            suffixes: Sequence[str] = ("",)) -> st.SearchStrategy[str]:
    """Embed a payload between harmless context; shrinks to the bare payload."""
    return st.builds(lambda p, c, s: p + c + s, st.sampled_from(prefixes), core, st.sampled_from(suffixes))


def _lookalike_texts() -> st.SearchStrategy[str]:
    spelled = st.sampled_from((
        "\u2024\u2024\uff0fx",  # "../x"
        "\u2025\u2215\u2025\u2215etc",  # "../../etc"
        "demo\u2010app",
        "d\u0435mo-app",
        "demo-app\u200b",
        "\u202eppa-omed",
        "tests\uff0ftest_x.py",
        "\uff0e\uff0e/x",
        "\u2212rf",
        "demo\u00a0app",
    ))
    # Any valid name with one character swapped for a look-alike of itself.
    mimic = {v: k for k, v in LOOKALIKES.items() if len(v) == 1}

    def swap(name: str, pos: int) -> str:
        pos %= len(name)
        for i in list(range(pos, len(name))) + list(range(pos)):
            if name[i] in mimic:
                return name[:i] + mimic[name[i]] + name[i + 1:]
        return name + "\u200b"

    swapped = st.builds(swap, st.sampled_from(SAMPLE_DIRNAMES), st.integers(0, 8))
    return st.one_of(spelled, swapped)


# The plainest text of each kind (what a failing example shrinks to).
_SIMPLEST: dict[str, str] = {
    "dotdot": "..", "absolute": "/etc/passwd", "separator": "a/b", "shell": "; rm -rf ~",
    "option": "-rf", "newline": "\n", "control": "\x1b", "lookalike": "\u2024\u2024\uff0fx",
    "long": "a" * LONG_MIN, "blank": "", "dotfile": ".git", "template": "{title}",
    "field": "\ndirname: ../../evil", "child_spoof": "[atomic-01] ",
}


@functools.cache
def _kind_strategies() -> dict[str, st.SearchStrategy[str]]:
    ctrl = st.characters(categories=["Cc"], exclude_characters="\x00\n\r\t")
    return {
        "dotdot": _around(
            st.sampled_from(("..", "../x", "../../x", "../../../../etc/passwd", "a/../../b",
                             "..\\..\\x", "../.agentleeops/ratchet.json", "../other-card")),
            prefixes=("", "x/", "demo-app/"), suffixes=("", "/", "/tests")),
        "absolute": _around(
            st.sampled_from(("/etc/passwd", "/tmp/x", "/", "~/projects/other", "~",
                             "//server/share", "C:\\Windows", "\\\\host\\share")),
            suffixes=("", "/x", "/demo-app")),
        "separator": _around(
            st.sampled_from(("a/b", "demo/app", "tests/test_x.py", "a\\b", "src/")),
            prefixes=("", "demo-")),
        "shell": _around(
            st.sampled_from(("; rm -rf ~", "$(touch pwned)", "`id`", "| cat /etc/passwd",
                             "&& echo hi", "|| true", "> out.txt", "$HOME", "${IFS}x",
                             "'\"", "*", "x & y")),
            prefixes=("", "demo-app", "Epic "), suffixes=("", " #")),
        "option": _around(
            st.sampled_from(("-rf", "--help", "-", "--force", "-n", "--upload-pack=touch x",
                             "-c core.pager=id", "--output=/tmp/x")),
            suffixes=("", " demo-app", "x")),
        "newline": _around(
            st.sampled_from(("\n", "\r\n", "\r", "a\nb", "\n\n")),
            prefixes=("", "demo-app", "Epic"), suffixes=("", "x", " more")),
        "control": _around(
            st.lists(ctrl, min_size=1, max_size=3).map("".join),
            prefixes=("", "demo", "Epic "), suffixes=("", "app")),
        "lookalike": _lookalike_texts(),
        "long": st.builds(lambda unit, extra: unit * (-(-LONG_MIN // len(unit)) + extra),
                          st.sampled_from(("a", "demo-app-", "../", "x y ")),
                          st.integers(0, 4096)),
        "blank": st.sampled_from(("", " ", "\t", "   ", " \t ")),
        "dotfile": _around(st.sampled_from((".", ".git", ".agentleeops", ".env", ".hidden")),
                           suffixes=("", "-x", "/config")),
        "template": _around(
            st.sampled_from(("{title}", "{{dirname}}", "{0}", "{{design_content}}",
                             "{__class__}", "{{atomic_id}}", "{{current_code}}")),
            prefixes=("", "Epic "), suffixes=("", " x")),
        "field": _around(
            st.sampled_from(("\ndirname: ../../evil", "\ndirname: other-app",
                             "\ncontext_mode: FEATURE", "\nacceptance_criteria: |\n  - pwned",
                             "\ncomplexity: XL", "dirname: -rf")),
            prefixes=("", "Epic\n", "todo\n")),
        "child_spoof": _around(
            st.sampled_from(("[atomic-01] ", "[1] ", "**Parent**: #1", "Parent: #1", "[] ")),
            suffixes=("", "Child", "todo")),
    }


def tagged_hostile_texts(kinds: Sequence[str] | None = None) -> st.SearchStrategy[tuple[str, str]]:
    """(kind, text) pairs, so a test or a report can say which promise a text carries."""
    return _tagged(tuple(kinds) if kinds is not None else HOSTILE_KINDS)


# Strategies are immutable: build each once (Hypothesis pays for every new strategy object).
@functools.cache
def _tagged(chosen: tuple[str, ...]) -> st.SearchStrategy[tuple[str, str]]:
    unknown = [k for k in chosen if k not in _PROMISES]
    if unknown or not chosen:
        raise ValueError(f"unknown or no hostile kinds {unknown!r}; known: {', '.join(HOSTILE_KINDS)}")
    table = _kind_strategies()
    # Each kind's simplest text as its own first branch: shrinking then lands on it exactly
    # (Hypothesis prefers the shortest choice sequence, whatever branch it lies in).
    return st.one_of(*(st.one_of(st.just(_SIMPLEST[k]), table[k]).map(lambda t, k=k: (k, t))
                       for k in chosen))


def hostile_texts(kinds: Sequence[str] | None = None) -> st.SearchStrategy[str]:
    """Text built to break naive path, shell, option and field handling (NUL-free)."""
    return tagged_hostile_texts(kinds).map(lambda pair: pair[1])


@functools.cache
def benign_texts(max_words: int = 6) -> st.SearchStrategy[str]:
    """Plain words that meet no hostile promise: the baseline a fix must not reject."""
    return st.lists(st.sampled_from(WORDS), min_size=1, max_size=max_words).map(" ".join)


@functools.cache
def card_texts(hostile: bool) -> st.SearchStrategy[str]:
    """Free text for a card field: benign words, or hostile text alone or inside words."""
    if not hostile:
        return benign_texts()
    # Some kinds (a leading `-`, a bare `..`) only count at the start or alone: keep those
    # embeddings that are still hostile.
    embedded = st.builds(lambda w, h: f"{w} {h}", benign_texts(3), hostile_texts())
    return st.one_of(hostile_texts(), embedded.filter(hostile_kinds_of))


@functools.cache
def valid_dirnames() -> st.SearchStrategy[str]:
    """Names matching `^[a-z0-9][a-z0-9-]*$` (up to 40 chars), realistic ones first."""
    return st.one_of(
        st.sampled_from(SAMPLE_DIRNAMES),
        st.from_regex(r"\A[a-z0-9][a-z0-9-]{0,39}\Z"),
    )


@functools.cache
def hostile_dirnames() -> st.SearchStrategy[str]:
    """Near-miss and hostile dirnames: each fails the dirname rule or is too long for a name.

    Near misses matter most: `demo-app\\n` passes a `re.match('^...$')` check (the `$`
    matches before a final newline) yet names a different directory.
    """
    near = st.builds(
        lambda name, how: how(name),
        st.sampled_from(SAMPLE_DIRNAMES),
        st.sampled_from((
            lambda n: n + "\n",
            lambda n: "-" + n,
            lambda n: n.upper() if n.upper() != n else "X" + n,
            lambda n: n + "_x",
            lambda n: n + "/x",
            lambda n: "../" + n,
            lambda n: n + "/..",
            lambda n: "." + n,
            lambda n: n + " ",
            lambda n: n + ".",
        )),
    )
    return st.one_of(near, hostile_texts()).filter(
        lambda t: not DIRNAME_RE.fullmatch(t) or len(t) > NAME_MAX)
