"""The reference Ralph: asks the model for code until the locked test passes (G2).

Hardened where AgentLeeOps is not: the model's code is syntax-checked before it is written,
written only through the workspace guard and only to the story's source file, and run
against a scratch COPY of the workspace, so nothing it does reaches the real tests/ or the
real repository; tests/ is snapshotted (content, staged, unstaged, untracked) around every
iteration and restored if anything changed; the commit names its one path explicitly and
is checked to touch nothing else. Each step is a method so a mutant can replace one.
"""

from __future__ import annotations

import ast
import hashlib
import re
from pathlib import Path
from typing import Any

from harness.journal import NOTE
from targets.reference.cards import card_fields
from targets.reference.context import AgentContext, AgentResult, GuardError
from targets.reference.ralph_git import Git, GitError
from targets.reference.ralph_guard import TESTS, TestSnapshot, restore, snapshot
from targets.reference.ralph_paths import StoryPaths, valid_atomic_id, valid_dirname
from targets.reference.ralph_run import TestRun, copy_workspace, discard, run_test

ROLE = "coder"
MAX_CODE = 200_000  # characters of one answer's code
_FENCE = re.compile(r"```[ \t]*(python3?|py)?[ \t]*\n(.*?)```", re.DOTALL | re.IGNORECASE)


class RalphError(Exception):
    """The run stops; the message goes on the card."""


def extract_code(answer: str) -> tuple[str | None, str]:
    """(code, "") from the first python fence (else the first bare fence), or (None, why)."""
    blocks = _FENCE.findall(answer or "")
    chosen = next((body for lang, body in blocks if lang), None)
    if chosen is None and blocks:
        chosen = blocks[0][1]
    if chosen is None:
        return None, "the answer has no fenced python block; nothing was written"
    if len(chosen) > MAX_CODE:
        return None, f"the code is longer than {MAX_CODE} characters; nothing was written"
    try:
        ast.parse(chosen)
    except SyntaxError as exc:
        return None, f"the code does not parse (line {exc.lineno}: {exc.msg}); nothing was written"
    except ValueError as exc:  # e.g. NUL bytes
        return None, f"the code does not parse ({exc}); nothing was written"
    return chosen, ""


class Ralph:
    """One Ralph run on one child card. `run_ralph(ctx)` is `Ralph(ctx).run()`."""

    max_iterations = 5
    test_timeout = 10.0  # seconds per test run

    def __init__(self, ctx: AgentContext) -> None:
        self.ctx = ctx
        self.card = int(ctx.task["id"])
        self.root = Path(ctx.workspace.root)
        self.scratch = Path(ctx.tmp) / "ralph" / str(self.card)
        self.git = Git(self.root, Path(ctx.tmp) / "ralph-home")
        self.iterations = 0
        self.commit = ""
        self.baseline: TestSnapshot | None = None

    # -- the run ---------------------------------------------------------------------------
    def run(self) -> AgentResult:
        error: Exception | None = None
        message = ""
        try:
            message = self.loop()
        except (RalphError, GitError) as exc:
            error = exc
        finally:
            try:
                unsettled = self.settle()
            finally:
                discard(self.scratch)
        problems = [str(p) for p in (error, unsettled) if p]
        if problems:
            return AgentResult(False, "Ralph: " + "; ".join(problems), self.summary())
        return AgentResult(True, message, self.summary())

    def summary(self) -> dict[str, Any]:
        return {"iterations": self.iterations, "commit": self.commit}

    def loop(self) -> str:
        paths = self.story_paths()
        test_text = self.locked_test(paths)
        self.git.ensure_repo()
        baseline = self.baseline = self.snapshot_tests()
        output = "(not run yet)"
        for iteration in range(1, self.max_iterations + 1):
            self.iterations = iteration
            head = self.git.head()
            answer = self.ctx.llm.complete(ROLE, self.prompt(paths, test_text, output, iteration))
            code, problem = extract_code(answer)
            if code is None:
                output = problem
                # whatever changed tests/ while the model was asked is caught here too
                self.guard(baseline, head, f"iteration {iteration}")
                continue
            self.write_source(paths, code)
            run_dir = self.run_dir(iteration)
            try:
                result = self.run_test(run_dir, paths, iteration)
            finally:
                self.discard(run_dir)
                discard(self.scratch / f"runner-{iteration}")
            self.guard(baseline, head, f"iteration {iteration}")
            if result.passed:
                self.commit = self.commit_source(paths, f"ralph: {paths.atomic_id} passes {paths.test}")
                self.verify_commit(paths, head)
                self.guard(baseline, self.git.head(), "the commit")
                return (f"Ralph: {paths.test} passes after {iteration} iteration(s); "
                        f"committed {paths.source} ({self.commit[:12]})")
            output = result.output
        raise RalphError(f"{paths.test} still fails after {self.max_iterations} iterations")

    # -- inputs ----------------------------------------------------------------------------
    def story_paths(self) -> StoryPaths:
        atomic_id = valid_atomic_id(self.ctx.metadata.get("atomic_id"))
        if atomic_id is None:
            raise RalphError("the card has no valid atomic_id; not a spawned child card")
        fields = self.ctx.fields or card_fields(self.ctx.task, self.ctx.metadata)
        dirname = valid_dirname(fields.get("dirname"))
        if dirname is None:
            raise RalphError("the card has no valid dirname; no source module to write")
        return StoryPaths(atomic_id, dirname)

    def locked_test(self, paths: StoryPaths) -> str:
        """The approved test text; Ralph never runs on a test that is not locked (G3) or no
        longer the bytes that were locked."""
        ws = self.ctx.workspace
        try:
            if not ws.exists(paths.test):
                raise RalphError(f"{paths.test} does not exist; tests were never written")
            if not ws.is_locked(paths.test):
                raise RalphError(f"{paths.test} is not approved (not locked)")
            path = ws.path(paths.test)
            if path.is_symlink() or not path.is_file():
                raise RalphError(f"{paths.test} is not a regular file")
            data = path.read_bytes()
            if hashlib.sha256(data).hexdigest() != ws.locks().get(paths.test):
                raise RalphError(f"{paths.test} differs from its approved (locked) version")
            return data.decode("utf-8")
        except GuardError as exc:
            raise RalphError(f"{paths.test} cannot be read safely ({exc})") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise RalphError(f"{paths.test} cannot be read ({exc})") from None

    def prompt(self, paths: StoryPaths, test_text: str, output: str, iteration: int) -> str:
        try:
            current = self.ctx.workspace.read(paths.source) if self.ctx.workspace.exists(paths.source) else ""
        except (GuardError, OSError, UnicodeDecodeError):
            current = ""
        return "\n".join([
            f"atomic_id: {paths.atomic_id}",
            f"module: {paths.module}",
            f"test_file: {paths.test}",
            f"source_file: {paths.source}",
            f"iteration: {iteration}",
            "",
            f"Make the locked test pass. Only {paths.source} is written; the test cannot change.",
            f"Answer with the whole of {paths.source} in one ```python fenced block.",
            "",
            f"--- {paths.test} ---",
            test_text,
            "--- output of the last run ---",
            output,
            f"Current Code Content ({paths.source}):",
            "```python",
            current,
            "```",
        ])

    # -- effects ---------------------------------------------------------------------------
    def write_source(self, paths: StoryPaths, code: str) -> None:
        """Through the workspace guard, and only if src/ is a real directory of this workspace."""
        src = self.root / "src"
        if src.is_symlink() or (src.exists() and not src.is_dir()):
            raise RalphError("src/ is not a plain directory; refusing to write through it")
        try:
            target = self.ctx.workspace.path(paths.source)
            if target.is_symlink() or target.resolve().parent != src.resolve():
                raise RalphError(f"{paths.source} does not resolve inside src/; refusing")
            self.ctx.workspace.write(paths.source, code)
        except GuardError as exc:
            raise RalphError(f"writing {paths.source} was refused ({exc})") from None

    def run_dir(self, iteration: int) -> Path:
        """A fresh scratch copy of the workspace for this iteration's test run."""
        base = self.scratch / f"iteration-{iteration}"
        discard(base)
        copy_workspace(self.root, base / "ws")
        return base / "ws"

    def discard(self, run_dir: Path) -> None:
        """Throw the scratch copy away (never anything outside the scratch directory)."""
        base = run_dir.parent
        if base.is_relative_to(self.scratch) and base != self.scratch:
            discard(base)

    def run_test(self, run_dir: Path, paths: StoryPaths, iteration: int) -> TestRun:
        """The locked test against `run_dir`; runner, HOME and TMPDIR in a scratch of their own."""
        aux = self.scratch / f"runner-{iteration}"
        discard(aux)
        aux.mkdir(parents=True)
        return run_test(run_dir, paths.test, aux, self.test_timeout)

    # -- the guard -------------------------------------------------------------------------
    def snapshot_tests(self) -> TestSnapshot:
        return snapshot(self.root, self.git)

    def tests_changed(self, baseline: TestSnapshot) -> bool:
        """Anything under tests/ differs: content, new or removed entries, staged or unstaged."""
        return self.snapshot_tests() != baseline

    def guard(self, baseline: TestSnapshot, head: tuple[str, str], when: str) -> None:
        """After each iteration: tests/ as at the start, and no commit Ralph did not make."""
        if self.tests_changed(baseline):
            restored = restore(self.root, self.git, baseline)
            self.note(f"tests/ changed during {when}; restored={restored}")
            raise RalphError(
                f"{TESTS}/ changed during {when} (content, staged or unstaged); "
                + ("restored from the locked version" if restored else "RESTORE FAILED")
                + "; run refused"
            )
        if self.git.head() != head:
            self.note(f"HEAD moved during {when} without Ralph committing")
            raise RalphError(f"a commit or checkout appeared during {when} that Ralph did not "
                             "make; run refused, inspect the repository")

    def settle(self) -> str | None:
        """On every way out of the run, refusals included: tests/ as the run found it. What
        had to be put back, or None."""
        if self.baseline is None or not self.tests_changed(self.baseline):
            return None
        restored = restore(self.root, self.git, self.baseline)
        self.note(f"tests/ changed during the run; restored={restored}")
        return f"{TESTS}/ changed during the run; " + ("restored" if restored else "RESTORE FAILED")

    # -- the commit ------------------------------------------------------------------------
    def commit_source(self, paths: StoryPaths, message: str) -> str:
        """`git add -- src/<module>.py` and a commit of that one path (never `git add .`)."""
        return self.git.commit_only(paths.source, message)

    def verify_commit(self, paths: StoryPaths, before: tuple[str, str]) -> None:
        """The commit touches the source file and nothing else (nothing under tests/)."""
        if not self.commit or self.commit == before[1]:
            return  # the source was already committed as is: no new commit
        touched = self.git.changed_in(self.commit)
        stray = [p for p in touched if p != paths.source]
        if stray:
            self.note(f"commit {self.commit[:12]} touches {stray}")
            raise RalphError(f"commit {self.commit[:12]} touches {', '.join(stray[:5])} besides "
                             f"{paths.source}; inspect the repository")

    def note(self, text: str) -> None:
        self.ctx.journal.record(NOTE, {"text": f"ralph card #{self.card}: {text}"})


def run_ralph(ctx: AgentContext) -> AgentResult:
    """Entry used by the reference runner after the gate and the lease."""
    return Ralph(ctx).run()
