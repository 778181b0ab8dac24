"""Running the locked test on a scratch copy, so the code under test cannot touch the workspace.

The copy holds the workspace's regular files and directories only (no .git, no symlinks, so
no path leads back); the test runs in a fresh `python -I` with a bounded time, an environment
without the parent's secrets, HOME and TMPDIR inside the scratch, and git unable to find any
repository. Whatever the model's code does on import (write into tests/, run git, swap files
for symlinks, rename temp files over tests) happens to the copy, which is then thrown away.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

OUTPUT_LIMIT = 2000  # characters of test output kept for the next prompt
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,}")
PASS_LINE = "ralph-runner: all passed"

RUNNER = '''\
"""Imports one test module by path and calls its test functions (plain asserts)."""
import importlib.util
import inspect
import os
import sys
import tempfile
import traceback


def cases(module):
    found = []
    for name, value in list(vars(module).items()):
        if name.startswith("test") and inspect.isfunction(value):
            found.append((name, value))
        elif name.startswith("Test") and inspect.isclass(value):
            for attr, method in list(vars(value).items()):
                if attr.startswith("test") and inspect.isfunction(method):
                    found.append((name + "." + attr, (value, attr)))
    return found


def call(case):
    if isinstance(case, tuple):
        owner, attr = case
        return getattr(owner(), attr)()
    params = inspect.signature(case).parameters
    kwargs = {}
    if "tmp_path" in params:
        import pathlib
        kwargs["tmp_path"] = pathlib.Path(tempfile.mkdtemp(prefix="t-"))
    return case(**kwargs)


def main():
    root, test_rel = sys.argv[1], sys.argv[2]
    sys.path[:0] = [os.path.join(root, "src"), root]
    name = os.path.splitext(os.path.basename(test_rel))[0]
    spec = importlib.util.spec_from_file_location(name, os.path.join(root, test_rel))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        traceback.print_exc()
        print("ralph-runner: the test module failed to import")
        return 2
    found = cases(module)
    if not found:
        print("ralph-runner: no test functions found")
        return 3
    failed = 0
    for label, case in found:
        try:
            call(case)
        except BaseException:
            failed += 1
            print("FAILED " + label)
            traceback.print_exc()
        else:
            print("passed " + label)
    if failed:
        print("ralph-runner: %d of %d failed" % (failed, len(found)))
        return 1
    print("%s (%d)" % (PASS_LINE, len(found)))
    return 0


PASS_LINE = "@PASS_LINE@"
sys.exit(main())
'''.replace("@PASS_LINE@", PASS_LINE)


@dataclass(frozen=True)
class TestRun:
    __test__ = False  # not a pytest test class

    passed: bool
    output: str  # the tail of stdout+stderr, scratch paths replaced
    returncode: int | None  # None: killed after the timeout


def copy_workspace(src: Path, dst: Path) -> None:
    """Regular files and real directories only: no .git, no symlinks, no special files."""
    dst.mkdir(parents=True)
    for dirpath, dirnames, filenames in os.walk(src):
        here = Path(dirpath)
        rel = here.relative_to(src)
        keep = []
        for name in sorted(dirnames):
            if rel == Path(".") and name == ".git":
                continue
            if stat.S_ISDIR(os.lstat(here / name).st_mode):
                (dst / rel / name).mkdir()
                keep.append(name)
        dirnames[:] = keep
        for name in sorted(filenames):
            if stat.S_ISREG(os.lstat(here / name).st_mode):
                shutil.copyfile(here / name, dst / rel / name, follow_symlinks=False)


def discard(path: Path) -> None:
    """Remove a scratch tree, even one the code under test made read-only."""
    def _writable(func, p, _exc):
        with contextlib.suppress(OSError):
            os.chmod(os.path.dirname(p), 0o700)
            if not os.path.islink(p):
                os.chmod(p, 0o700)
        with contextlib.suppress(FileNotFoundError):
            func(p)

    if path.is_symlink():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path, onerror=_writable)


def run_test(root: Path, test_rel: str, scratch: Path, timeout: float) -> TestRun:
    """Run `test_rel` against the tree at `root`; `scratch` holds the runner, HOME and TMPDIR.

    git started by the code under test finds no repository at or above `root`'s parent.
    """
    runner = scratch / "ralph_runner.py"
    runner.write_text(RUNNER)
    home, tmp = scratch / "home", scratch / "tmp"
    home.mkdir(exist_ok=True)
    tmp.mkdir(exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(home),
        "TMPDIR": str(tmp),
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "GIT_CEILING_DIRECTORIES": str(root.parent),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
    }
    argv = [sys.executable, "-I", "-B", str(runner), str(root), test_rel]
    proc = subprocess.Popen(argv, cwd=root, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
        code: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        _kill_group(proc.pid)
        out, _ = proc.communicate()
        code = None
    finally:
        _kill_group(proc.pid)  # whatever the code under test left running
    text = out.decode("utf-8", "replace")
    last = (text.rstrip().splitlines() or [""])[-1]
    passed = code == 0 and last.startswith(PASS_LINE)
    if code is None:
        text += f"\nralph: the test run was killed after {timeout:g} s"
    text = text.replace(str(root), "<workspace>").replace(str(scratch), "<scratch>")
    text = _ADDRESS.sub("0x...", text)  # object addresses vary run to run; prompts must not
    return TestRun(passed, text[-OUTPUT_LIMIT:], code)


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
