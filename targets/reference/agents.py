"""The reference's own agents (architect, governance, PM, test) and the hand-off to the
spawner and Ralph. The runner has passed the gate and holds the lease when these run; they
touch files only through `ctx.workspace` and the model only through `ctx.llm`.

Prompts start with `key: value` lines (title, dirname, module, atomic_id, test_file, ...) so a
scripted model can answer from facts, then free text.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
from collections.abc import Mapping
from pathlib import Path

from targets.base import Binding
from targets.reference import board
from targets.reference.cards import DESIGN, PRD, lock_key, module_name, story_test_file
from targets.reference.context import AgentContext, AgentResult, GuardError
from targets.reference.spawn_prd import PrdError, parse_prd

# Which artifact governance locks in which column.
LOCKED_IN = {"3. Design Approved": DESIGN, "5. Plan Approved": PRD, "7. Tests Approved": "test"}

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_FENCE = re.compile(r"```([A-Za-z0-9_+-]*)[ \t]*\n(.*?)```", re.DOTALL)
# Extra documents a design may carry: "```file:docs/api.md" ... "```" (model-chosen paths).
_FILE_BLOCK = re.compile(r"```file:([^\n`]+)\n(.*?)```", re.DOTALL)


def prompt(facts: Mapping[str, str], text: str) -> str:
    """Facts as one-line `key: value` lines, a blank line, then the free text."""
    lines = [f"{key}: {_CONTROL.sub(' ', str(value)).strip()[:500]}" for key, value in facts.items()]
    return "\n".join(lines) + "\n\n" + text


def extract_json(answer: str) -> object:
    """The JSON document of an answer: the whole text, a fenced block, or the outer braces."""
    candidates = [answer.strip()] + [body for _, body in _FENCE.findall(answer)]
    start, end = answer.find("{"), answer.rfind("}")
    if 0 <= start < end:
        candidates.append(answer[start:end + 1])
    for text in candidates:
        try:
            return json.loads(text)
        except (ValueError, RecursionError):
            continue
    raise ValueError("the answer holds no JSON document")


def extract_python(answer: str) -> str:
    """The first python block of an answer (or the whole answer when it has none)."""
    blocks = [body for lang, body in _FENCE.findall(answer) if lang.lower() in ("python", "py", "")]
    return blocks[0] if blocks else answer


def test_for(ctx: AgentContext) -> str | None:
    atomic_id = str(ctx.metadata.get("atomic_id") or "").strip()
    return story_test_file(atomic_id) if atomic_id else None


class Agents:
    """Mixed into ReferenceTarget: one method per agent, so a mutant can replace one."""

    binding: Binding

    def agent_architect(self, ctx: AgentContext) -> AgentResult:
        ws, fields = ctx.workspace, ctx.fields
        mode = (fields.get("context_mode") or "NEW").strip().upper()
        if os.path.islink(ws.root):
            raise GuardError(f"workspace {ws.root.name} is a symlink; refusing to use it")
        if mode == "NEW":
            ws.root.mkdir(parents=True, exist_ok=True)
            if not (ws.root / ".git").exists():
                self.init_repo(ws.root)
        elif not ws.root.is_dir():
            return AgentResult(False, f"FEATURE mode needs an existing workspace {ws.root.name}")
        facts = {"title": ctx.task.get("title") or "", "dirname": fields["dirname"],
                 "module": module_name(fields["dirname"]), "context_mode": mode,
                 "acceptance_criteria": fields.get("acceptance_criteria", "")}
        design = ctx.llm.complete("architect", prompt(facts, "Write DESIGN.md for this story."))
        if not design.strip():
            return AgentResult(False, "the model wrote an empty design")
        # Supporting documents first (the design refers to them); their paths come from the
        # model, so they go through the same guarded write as everything else.
        for rel, body in _FILE_BLOCK.findall(design):
            ws.write(rel.strip(), body)
        ws.write(DESIGN, _FILE_BLOCK.sub("", design))
        board.comment(ctx.kb, int(ctx.task["id"]), "**ARCHITECT**: wrote `DESIGN.md`. Review it "
                      "and move the card to 3. Design Approved.")
        return AgentResult(True, "DESIGN.md written")

    def agent_governance(self, ctx: AgentContext) -> AgentResult:
        rel = LOCKED_IN.get(ctx.column)
        if rel == "test":
            rel = test_for(ctx)
        if rel is None:
            return AgentResult(False, f"nothing to lock in column {ctx.column!r}")
        if not ctx.workspace.exists(rel):
            return AgentResult(False, f"`{rel}` is missing; nothing to lock")
        sha = ctx.workspace.lock(rel)
        task_id = int(ctx.task["id"])
        try:
            board.write(ctx.kb, "saveTaskMetadata", task_id=task_id,
                        values={lock_key(rel): f"{ctx.fields['dirname']}:{sha}"})
        except board.KanboardFailure as exc:
            return AgentResult(False, f"`{rel}` is locked in the workspace but the card could "
                                      f"not record it ({exc})")
        board.comment(ctx.kb, task_id, f"**RATCHET**: locked `{rel}` (sha256 {sha[:12]}).")
        return AgentResult(True, f"{rel} locked", {"locked": rel, "sha256": sha})

    def agent_pm(self, ctx: AgentContext) -> AgentResult:
        fields = ctx.fields
        facts = {"title": ctx.task.get("title") or "", "dirname": fields["dirname"],
                 "module": module_name(fields["dirname"])}
        text = ("Write prd.json: a JSON object with a `stories` list; each story has id, "
                "title, description, acceptance_criteria.\n\nDESIGN.md:\n"
                + ctx.workspace.read(DESIGN))
        answer = ctx.llm.complete("pm", prompt(facts, text))
        try:
            doc = extract_json(answer)
        except ValueError as exc:
            return AgentResult(False, f"the model's plan is not JSON ({exc})")
        if not isinstance(doc, dict) or not isinstance(doc.get("stories"), list) or not doc["stories"]:
            return AgentResult(False, "the model's plan has no non-empty `stories` list")
        ctx.workspace.write(PRD, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        board.comment(ctx.kb, int(ctx.task["id"]), f"**PM**: wrote `prd.json` with "
                      f"{len(doc['stories'])} stories. Review it and move the card to 5. Plan Approved.")
        return AgentResult(True, "prd.json written")

    def agent_test(self, ctx: AgentContext) -> AgentResult:
        atomic_id, rel = str(ctx.metadata.get("atomic_id") or "").strip(), test_for(ctx)
        if rel is None:
            return AgentResult(False, "this card has no atomic_id; it is not a story card")
        try:
            story = next(s for s in parse_prd(ctx.workspace.read(PRD)) if s.id == atomic_id)
        except (PrdError, StopIteration, OSError, UnicodeDecodeError):
            return AgentResult(False, f"story {atomic_id} is not in a valid prd.json")
        dirname = ctx.fields["dirname"]
        facts = {"title": story.title, "story_title": story.title, "atomic_id": atomic_id,
                 "dirname": dirname, "module": module_name(dirname), "test_file": rel}
        criteria = "".join(f"\n- {c}" for c in story.criteria)
        text = ("Write a failing pytest file for this story; it imports the code from "
                f"src/{module_name(dirname)}.py.\n\n{story.description}\n\nAcceptance "
                f"criteria:{criteria}")
        code = extract_python(ctx.llm.complete("test", prompt(facts, text)))
        try:
            compile(code, rel, "exec")
        except (SyntaxError, ValueError) as exc:
            return AgentResult(False, f"the model's test is not valid Python ({exc})")
        ctx.workspace.write(rel, code)
        board.comment(ctx.kb, int(ctx.task["id"]), f"**TEST**: wrote `{rel}`. Review it and move "
                      "the card to 7. Tests Approved.")
        return AgentResult(True, f"{rel} written", {"test_file": rel})

    def agent_spawner(self, ctx: AgentContext) -> AgentResult:
        return _delegate("targets.reference.spawner", "run_spawner", ctx)

    def agent_ralph(self, ctx: AgentContext) -> AgentResult:
        return _delegate("targets.reference.ralph", "run_ralph", ctx)

    def init_repo(self, root: Path) -> None:
        """`git init` with no card text in argv (the path goes in as cwd) and no shell."""
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.binding.home),
               "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C", **self.binding.env}
        done = subprocess.run(["git", "init", "-q", "--template="], cwd=root, env=env,
                              capture_output=True, text=True, timeout=60, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"git init failed: {done.stderr.strip()[:200]}")


def _delegate(module: str, function: str, ctx: AgentContext) -> AgentResult:
    """The spawner and Ralph live in their own modules; absent ones fail visibly."""
    if importlib.util.find_spec(module) is None:
        return AgentResult(False, f"{module} is not installed")
    run = getattr(importlib.import_module(module), function)
    return run(ctx)
