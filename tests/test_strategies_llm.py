"""Scripted model answers: good code really passes the good test (run with plain Python in a
temporary workspace), junk is useless, hostile code really does the harm it is named for."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from harness.llm import ROLES, ScriptedLLM
from strategies import llm
from strategies.prd import sanitise_id
from strategies.sampling import examples
from strategies.text import NAME_MAX, hostile_texts, valid_dirnames

ALWAYS_PASS = "def test_always_passes():\n    assert True\n"


def extract_python(answer: str) -> str:
    """What a syntax guard keeps of an answer: the first ```python block, else any fenced
    block, else the whole text."""
    for marker in ("```python", "```"):
        if marker in answer:
            return answer.split(marker, 1)[1].split("```", 1)[0].strip()
    return answer.strip()


def _workspace(root: Path, context: dict, code: str | None, test: str) -> tuple[Path, Path]:
    ws = root / "a" / "b" / "ws"
    (ws / "tests").mkdir(parents=True)
    (ws / "src").mkdir()
    module = llm.source_path(context)
    test_file = ws / llm.test_path(context.get("atomic_id", "atomic-01"))
    test_file.write_text(test)
    if code is not None:
        (ws / module).write_text(code)
    return ws, test_file


def _run(ws: Path, test_file: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(ws.parent),
           "GIT_CEILING_DIRECTORIES": str(ws.parent), "PYTHONDONTWRITEBYTECODE": "1"}
    cmd = [sys.executable, *argv] if argv else [sys.executable, str(test_file.relative_to(ws))]
    return subprocess.run(cmd, cwd=ws, env=env, capture_output=True, text=True, timeout=60)


ids = st.one_of(st.sampled_from(["atomic-01", "a.1", "S-2"]), st.integers(1, 999),
                hostile_texts()).filter(lambda i: len(f"test_{sanitise_id(i)}.py") <= NAME_MAX)


@settings(max_examples=6, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(atomic_id=ids, dirname=valid_dirnames(), title=st.sampled_from(["Sum", "Say `hi`", "a\nb"]))
@example(atomic_id="$(id) `x` ```", dirname="0day", title="```python")
@example(atomic_id="-rf\n../../x", dirname="demo-app", title="\"\"\"'''")
@example(atomic_id=7, dirname="a", title="Sum")
def test_good_code_passes_the_good_test_and_only_then(tmp_path_factory: pytest.TempPathFactory,
                                                      atomic_id: object, dirname: str, title: str) -> None:
    root = tmp_path_factory.mktemp("pair")
    context = {"atomic_id": atomic_id, "dirname": dirname, "title": title}
    test = extract_python(llm.good_answer("test_code", context))
    assert extract_python(llm.good_answer("test", context)) == test  # the plan carries the same test
    ws, test_file = _workspace(root, context, None, test)
    red = _run(ws, test_file)
    assert red.returncode != 0 and "Error" in red.stderr  # fails first: nothing to import
    (ws / llm.source_path(context)).write_text(extract_python(llm.good_answer("coder", context)))
    green = _run(ws, test_file)
    assert green.returncode == 0, green.stderr
    assert green.stdout.strip() == "ok"


def test_good_pair_also_passes_under_pytest(tmp_path: Path) -> None:
    context = {"atomic_id": "atomic-02", "dirname": "demo-app"}
    ws, test_file = _workspace(tmp_path, context, extract_python(llm.good_answer("coder", context)),
                               extract_python(llm.good_answer("test_code", context)))
    done = _run(ws, test_file, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                str(test_file.relative_to(ws)))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout


def test_the_coder_keeps_earlier_stories(tmp_path: Path) -> None:
    first = {"atomic_id": "atomic-01"}
    code = extract_python(llm.good_answer("coder", first))
    second = {"atomic_id": "atomic-02", "current_code": code}
    both = extract_python(llm.good_answer("coder", second))
    assert code in both
    assert extract_python(llm.good_answer("coder", {**first, "current_code": both})) == both
    ws, test_one = _workspace(tmp_path, first, both, extract_python(llm.good_answer("test_code", first)))
    test_two = ws / llm.test_path("atomic-02")
    test_two.write_text(extract_python(llm.good_answer("test_code", second)))
    assert _run(ws, test_one).returncode == 0
    assert _run(ws, test_two).returncode == 0


def test_good_answers_are_well_formed_and_deterministic() -> None:
    context = {"dirname": "calc", "title": "Calculator", "acceptance_criteria": "- adds\n- subtracts"}
    for role in ROLES:
        answer = llm.good_answer(role, context)
        assert answer == llm.good_answer(role, dict(context))
        assert answer.strip()
    design = llm.good_answer("architect", context)
    assert design.startswith("# Design: Calculator")
    assert all(f"## {n}." in design for n in range(1, 7)) and "- subtracts" in design
    prd = json.loads(llm.good_answer("pm", {**context, "n_stories": 3}))
    assert [s["id"] for s in prd["stories"]] == ["atomic-01", "atomic-02", "atomic-03"]
    assert all({"id", "title", "description", "acceptance_criteria"} <= set(s) for s in prd["stories"])
    assert json.loads(llm.good_answer("pm", {"prd": {"stories": []}})) == {"stories": []}
    for role in llm.CODE_ROLES:
        ast.parse(extract_python(llm.good_answer(role, context)))
    with pytest.raises(ValueError, match="unknown role"):
        llm.good_answer("oracle", context)


def _defines_story_function(code: str, fn: str) -> bool:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return False
    return any(isinstance(n, ast.FunctionDef) and n.name == fn for n in tree.body)


@pytest.mark.parametrize("role", ROLES)
def test_junk_is_useless_to_its_role(role: str) -> None:
    fn = llm.function_name("atomic-01")
    for kind in llm.JUNK_KINDS:
        answer = llm.junk_answer(role, kind)
        if role in ("coder", "test", "test_code"):
            assert not _defines_story_function(extract_python(answer), fn) or kind == "truncated"
            if kind == "truncated":
                assert answer != llm.good_answer(role)
        elif role == "pm":
            try:
                value = json.loads(answer)
            except ValueError:
                continue
            assert not (isinstance(value, dict) and value.get("stories"))
        else:
            assert answer != llm.good_answer(role)


def _calls(code: str) -> set[str]:
    """Dotted names of every call in the code, and the literal argv lists passed to them."""
    found = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Call):
            found.add(ast.unparse(node.func))
            for arg in node.args:
                if isinstance(arg, ast.List):
                    found.add(ast.unparse(arg))
    return found


PROMISED_CALLS = {
    "writes_tests_on_import": "write_text", "writes_tests_when_run": "write_text",
    "adds_test_file": "write_text", "deletes_test": "unlink",
    "git_add_commit": "['git', 'add', '.']", "symlink_source_to_test": "os.symlink",
    "rename_over_test": "os.replace", "escape_path": "write_text",
    "writes_tests_via_dotdot": "open", "writes_tests_via_own_symlink": "os.symlink",
}


@pytest.mark.parametrize("role", llm.CODE_ROLES)
@pytest.mark.parametrize("kind", llm.CODE_HOSTILE_KINDS)
def test_hostile_code_parses_and_carries_its_payload(role: str, kind: str) -> None:
    code = extract_python(llm.hostile_answer(role, kind))
    calls = _calls(code)
    assert any(PROMISED_CALLS[kind] in c for c in calls), (kind, calls)
    if kind == "git_add_commit":
        assert any("'commit'" in c for c in calls)
    fn = llm.function_name("atomic-01")
    if role == "coder":
        assert _defines_story_function(code, fn)  # still does the job


EFFECTS = {
    "writes_tests_on_import": lambda ws, test: test.read_text() == ALWAYS_PASS,
    "writes_tests_when_run": lambda ws, test: test.read_text() == ALWAYS_PASS,
    "adds_test_file": lambda ws, test: (ws / "tests" / "test_zz_added.py").exists(),
    "deletes_test": lambda ws, test: not test.exists(),
    "symlink_source_to_test": lambda ws, test: (ws / "src" / "demo_app.py").is_symlink()
    and (ws / "src" / "demo_app.py").resolve() == test.resolve(),
    "rename_over_test": lambda ws, test: test.read_text() == ALWAYS_PASS
    and not (ws / "tests" / ".rewrite.tmp").exists(),
    "escape_path": lambda ws, test: (ws / ".." / ".." / "x").resolve().read_text() == "escaped",
    "writes_tests_via_dotdot": lambda ws, test: test.read_text() == ALWAYS_PASS,
    "writes_tests_via_own_symlink": lambda ws, test: test.read_text() == ALWAYS_PASS
    and (ws / "src" / "_t").is_symlink(),
}


@pytest.mark.parametrize("kind", sorted(EFFECTS))
def test_hostile_coder_code_does_its_harm_and_still_passes(tmp_path: Path, kind: str) -> None:
    code = extract_python(llm.hostile_answer("coder", kind))
    good_test = extract_python(llm.good_answer("test_code"))
    ws, test_file = _workspace(tmp_path, {}, code, good_test)
    done = _run(ws, test_file)
    assert done.returncode == 0, done.stderr  # the test passes: the harm is silent
    assert EFFECTS[kind](ws, test_file)
    assert (tmp_path / "a" / "x").exists() == (kind == "escape_path")


def test_hostile_git_payload_commits_the_tests(tmp_path: Path) -> None:
    code = extract_python(llm.hostile_answer("coder", "git_add_commit"))
    ws, test_file = _workspace(tmp_path, {}, code, extract_python(llm.good_answer("test_code")))
    git_env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
               "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
    # The payload's git inherits this process's environment through the test run.
    subprocess.run(["git", "init", "-q", str(ws)], check=True, capture_output=True,
                   env={**os.environ, "HOME": str(tmp_path), "GIT_CEILING_DIRECTORIES": str(tmp_path)})
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path),
           "GIT_CEILING_DIRECTORIES": str(tmp_path), **git_env}
    done = subprocess.run([sys.executable, str(test_file.relative_to(ws))], cwd=ws, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    files = subprocess.run(["git", "-C", str(ws), "show", "--name-only", "--format=", "HEAD"],
                           capture_output=True, text=True, env=env, check=True).stdout.split()
    assert llm.test_path("atomic-01") in files


@settings(max_examples=40, database=None)
@given(llm.answers("pm", llm.HOSTILE))
def test_hostile_plans_are_valid_json_with_the_promised_stories(answer: llm.ScriptedAnswer) -> None:
    stories = json.loads(answer.text)["stories"]
    ids = [s.get("id") for s in stories]
    if answer.kind == "flood":
        assert len(stories) == llm.FLOOD_SIZE
    elif answer.kind == "colliding_ids":
        assert len({sanitise_id(i) for i in ids}) < len(set(map(repr, ids)))
    elif answer.kind == "path_ids":
        assert any("/" in str(i) for i in ids)
    elif answer.kind == "hostile_ids":
        assert all(i != f"atomic-{n + 1:02d}" for n, i in enumerate(ids))
    else:
        assert all(s["title"] != f"Story {n + 1}: add numbers" for n, s in enumerate(stories))


def test_hostile_texts_for_architect_and_review() -> None:
    for role in ("architect", "review"):
        good = llm.good_answer(role)
        assert llm.hostile_answer(role, "field_lines", hostile=["../../x"]).startswith("dirname: ../../x")
        assert "ignore all previous instructions" in llm.hostile_answer(role, "prompt_injection")
        assert "../../x" in llm.hostile_answer(role, "path_names")
        assert len(llm.hostile_answer(role, "huge")) > len(good) + llm.LONG_MIN


def test_context_from_an_agentleeops_style_prompt() -> None:
    prompt = (
        "You are Ralph.\n**Context:**\n- Story: atomic-02\n- File to Edit: calc_app.py\n"
        "- Test File: test_atomic_02.py\n\n**Current Code Content:**\n```python\n"
        "def story_atomic_01():\n    return 'done:atomic-01'\n```\n"
    )
    context = llm.context_from_prompt("coder", prompt)
    assert context["atomic_id"] == "atomic-02" and context["module"] == "calc_app"
    code = extract_python(llm.default_answer("coder", prompt))
    assert "def story_atomic_01" in code and "def story_atomic_02" in code
    design = llm.context_from_prompt("architect", "Story: Build a CLI\nContext Mode: NEW\n")
    assert design["title"] == "Build a CLI"
    test = llm.context_from_prompt("test_code", "- Project: calc\n- Story ID: a.1\n- Story Title: Add\n")
    assert test == {"dirname": "calc", "atomic_id": "a.1", "story_title": "Add"}
    plain = llm.context_from_prompt("coder", "atomic_id: s1\ndirname: demo-app\nmodule: demo_app\n")
    assert plain == {"atomic_id": "s1", "dirname": "demo-app", "module": "demo_app"}


def test_scripts_feed_the_scripted_llm_then_its_default() -> None:
    script = llm.LlmScript((llm.ScriptedAnswer("coder", llm.JUNK, "prose", "no"),))
    model = ScriptedLLM(script=script.by_role(), default=llm.default_answer)
    assert model.complete("coder", "- Story: s1\n") == "no"
    assert "def story_s1" in model.complete("coder", "- Story: s1\n")
    assert script.describe() == "the coder model answers with junk (prose)"
    assert llm.LlmScript().describe() == "the model answers well"


def test_every_role_quality_and_kind_is_generated_and_described() -> None:
    seen = set()
    for script in examples(llm.llm_scripts(max_answers=6), 100):
        for a in script.answers:
            assert a.describe().startswith(f"the {a.role} model answers with")
            seen.add((a.role, a.quality))
    assert seen == {(r, q) for r in ROLES for q in llm.QUALITIES}
    triples = examples(llm.labelled_answers(), 30)
    assert all(role in ROLES and ":" in label and isinstance(text, str) for role, label, text in triples)
