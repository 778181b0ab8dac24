"""Observation that cannot be bypassed: a PEP 578 audit hook journaling the system's effects.

Whatever helper a target writes through (`open`, `pathlib`, `os.replace`, `shutil`, a
symlink), CPython raises an audit event, so the journal sees every file effect and every
subprocess launch made in-process by a *system* actor (journal.current_actor()). Child
processes raise no events in our interpreter: snapshots (harness/snapshot.py) cover them.
A thread the target starts carries no actor; its effects count as the system's (actor
"thread:<name>") when the target's code is on its stack, so a helper thread bypasses nothing.

`sys.addaudithook` cannot be undone, so the hook is installed once per process and forwards
to the innermost active `AuditRecorder`; with none active it costs one list test.

FILE event data: {"op", "path", "literal", "event", "where", ...}
    op "write"    open for writing/appending/creating/truncating (+ "mode", "flags")
    op "truncate" os.truncate / ftruncate
    op "rename"   os.rename / os.replace / shutil.move (+ "dst", "dst_literal")
    op "remove"   os.remove / unlink / rmdir ("dir": True) / shutil.rmtree ("tree": True)
    op "symlink"  "path" is the link created, "target" what it points to (literal)
    op "link"     hard link: "path" is the new name, "src" the resolved source
    op "mkdir"
    op "chmod"    any metadata change: chmod, chown, utime, xattrs (see "event")
  "path" is resolved: content ops (write, truncate, chmod) follow symlinks to the file really
  touched; entry ops (rename, remove, symlink, link, mkdir) resolve the parent directory and
  keep the last name, because they act on the directory entry, not on what it points to.
LISTEN event data: {"host", "port", "refused", "where"}: a socket bound by the system. A bind
  beyond loopback is refused (SandboxRefusal), the only effect the hook has on the target.
PROC event data: {"argv": list|str as given, "shell": bool, "cwd", "event", "where",
  "command"? (the text a shell runs), "const_args": indexes of argv items that are literal
  constants of the code on the stack (so G4 can tell the program's own options from card text)}
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import weakref
from collections.abc import Iterable, Iterator
from types import CodeType, FrameType
from typing import Any

from harness import journal as jr
from harness.where import CodeRoots, Roots, component, using_roots

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
_SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "ash", "fish", "csh", "tcsh"})
IGNORED_PARTS = frozenset({"__pycache__"})

_active: list[AuditRecorder] = []
_state = threading.local()
_install_lock = threading.Lock()
_installed = False


def install() -> None:
    """Install the process-wide hook (idempotent; it can never be removed)."""
    global _installed
    with _install_lock:
        if not _installed:
            sys.addaudithook(_hook)
            _installed = True


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if not _active:
        return
    handler = _HANDLERS.get(event)
    if handler is None or getattr(_state, "busy", False):
        return
    try:
        recorder = _active[-1]
    except IndexError:
        return
    actor = jr.current_actor()
    if not jr.is_system(actor):
        if getattr(jr._local, "stack", None) or threading.get_ident() == recorder.owner:
            return  # the harness or a human, explicitly or in the harness's own thread
        actor = ""  # a thread with no actor: the system's only if its code is on the stack
    _state.busy = True
    try:
        if not actor:
            actor = recorder.orphan_actor()
            if not actor:
                return
        handler(recorder, event, args, actor)
    except SandboxRefusal:
        raise  # the one thing the hook does to the target: no listening beyond loopback
    except Exception as exc:  # never raise into the target
        recorder.errors.append(f"{event}: {exc!r}")
    finally:
        _state.busy = False


class AuditRecorder:
    """Journal the system's file effects and launches while active (a context manager).

    `roots` names the target's code (directories, module prefixes or a frame predicate); the
    innermost frame under them becomes the event's "where". Entering also makes them the
    roots of `harness.where.here()`, so other observers attribute the same way.
    """

    def __init__(self, journal: jr.Journal, roots: Roots = None,
                 ignore_parts: Iterable[str] = IGNORED_PARTS, *, code_roots: Roots = None) -> None:
        self.journal = journal
        self.roots = CodeRoots(roots if roots is not None else code_roots)
        self.ignore_parts = frozenset(ignore_parts)
        self.errors: list[str] = []  # exceptions swallowed inside the hook, for debugging
        self.owner = threading.get_ident()
        self._roots_cm: contextlib.AbstractContextManager[Any] | None = None

    def __enter__(self) -> AuditRecorder:
        install()
        self.owner = threading.get_ident()
        self._roots_cm = using_roots(self.roots)
        self._roots_cm.__enter__()
        _active.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(ValueError):
            _active.remove(self)
        if self._roots_cm is not None:
            self._roots_cm.__exit__(None, None, None)
            self._roots_cm = None

    @property
    def active(self) -> bool:
        return self in _active

    # -- helpers used by the handlers ------------------------------------------------------
    def orphan_actor(self) -> str:
        """A thread the target started (no actor set) acts for the system: name it."""
        frame: FrameType | None = sys._getframe(2)
        while frame is not None:
            if self.roots.owns(frame):
                return f"thread:{threading.current_thread().name}"
            frame = frame.f_back
        return ""

    def where(self) -> str:
        return component(sys._getframe(1), self.roots)

    def ignored(self, *paths: str | None) -> bool:
        return any(path and self.ignore_parts.intersection(path.split(os.sep)) for path in paths)

    def file(self, actor: str, data: dict[str, Any]) -> None:
        if self.ignored(data.get("path"), data.get("dst"), data.get("literal")):
            return
        data["where"] = self.where()
        self.journal.record(jr.FILE, data, actor=actor)

    def proc(self, actor: str, data: dict[str, Any]) -> None:
        data["where"] = self.where()
        self.journal.record(jr.PROC, data, actor=actor)


# -- path resolution -------------------------------------------------------------------------
def _text(path: Any) -> str | None:
    if isinstance(path, int):
        return None
    try:
        return os.fsdecode(os.fspath(path))
    except TypeError:
        return None


def _fd_path(fd: int) -> str | None:
    """The path an open descriptor names (Linux /proc), or None."""
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return None


def _absolute(literal: str, dir_fd: Any = None) -> str:
    if os.path.isabs(literal):
        return literal
    base = None
    if isinstance(dir_fd, int) and dir_fd >= 0:
        base = _fd_path(dir_fd)
    return os.path.join(base or os.getcwd(), literal)


def resolve_content(path: Any, dir_fd: Any = None) -> tuple[str | None, str | None]:
    """(literal, resolved following every symlink) for ops acting on a file's content."""
    if isinstance(path, int):
        target = _fd_path(path)
        # not the number: it depends on what else the process has open (threads, servers),
        # and the same seed must write the same journal
        return ("fd", os.path.realpath(target) if target else None)
    literal = _text(path)
    if literal is None:
        return None, None
    return literal, os.path.realpath(_absolute(literal, dir_fd))


def resolve_entry(path: Any, dir_fd: Any = None) -> tuple[str | None, str | None]:
    """(literal, resolved parent + last name) for ops acting on a directory entry."""
    literal = _text(path)
    if literal is None:
        return None, None
    full = _absolute(literal, dir_fd).rstrip(os.sep) or os.sep
    head, tail = os.path.split(full)
    if tail in ("", ".", ".."):
        return literal, os.path.realpath(full)
    return literal, os.path.join(os.path.realpath(head), tail)


# -- handlers: (recorder, event, args, actor) ----------------------------------------------
def _on_open(rec: AuditRecorder, event: str, args: tuple[Any, ...], actor: str) -> None:
    path, mode, flags = (tuple(args) + (None, None, None))[:3]
    if not isinstance(flags, int) or not flags & _WRITE_FLAGS:
        return
    literal, resolved = resolve_content(path)
    if resolved is None:
        return
    rec.file(actor, {"op": "write", "path": resolved, "literal": literal, "event": event,
                     "mode": mode if isinstance(mode, str) else None,
                     "flags": _flag_names(flags)})


def _flag_names(flags: int) -> list[str]:
    names = ("O_WRONLY", "O_RDWR", "O_APPEND", "O_CREAT", "O_TRUNC", "O_EXCL")
    return [n for n in names if flags & getattr(os, n)]


def _on_rename(rec: AuditRecorder, event: str, args: tuple[Any, ...], actor: str) -> None:
    src, dst, src_fd, dst_fd = (tuple(args) + (None,) * 4)[:4]
    literal, resolved = resolve_entry(src, src_fd)
    dst_literal, dst_resolved = resolve_entry(dst, dst_fd)
    if resolved is None and dst_resolved is None:
        return
    rec.file(actor, {"op": "rename", "path": resolved, "literal": literal, "dst": dst_resolved,
                     "dst_literal": dst_literal, "event": event})


def _entry_op(op: str, **extra: Any) -> Any:
    def handler(rec: AuditRecorder, event: str, args: tuple[Any, ...], actor: str) -> None:
        path = args[0] if args else None
        dir_fd = args[-1] if len(args) > 1 else None
        literal, resolved = resolve_entry(path, dir_fd)
        if resolved is None:
            return
        rec.file(actor, {"op": op, "path": resolved, "literal": literal, "event": event, **extra})

    return handler


def _content_op(op: str) -> Any:
    def handler(rec: AuditRecorder, event: str, args: tuple[Any, ...], actor: str) -> None:
        path = args[0] if args else None
        dir_fd = args[-1] if event in ("os.chmod", "os.chown", "os.utime") and len(args) > 2 else None
        literal, resolved = resolve_content(path, dir_fd)
        if resolved is None:
            return
        rec.file(actor, {"op": op, "path": resolved, "literal": literal, "event": event})

    return handler


def _on_symlink(rec: AuditRecorder, event: str, args: tuple[Any, ...], actor: str) -> None:
    src, dst, dir_fd = (tuple(args) + (None,) * 3)[:3]
    literal, resolved = resolve_entry(dst, dir_fd)
    if resolved is None:
        return
    rec.file(actor, {"op": "symlink", "path": resolved, "literal": literal,
                     "target": _text(src), "event": event})


def _on_link(rec: AuditRecorder, event: str, args: tuple[Any, ...], actor: str) -> None:
    src, dst, src_fd, dst_fd = (tuple(args) + (None,) * 4)[:4]
    literal, resolved = resolve_entry(dst, dst_fd)
    _, src_resolved = resolve_content(src, src_fd)
    if resolved is None:
        return
    rec.file(actor, {"op": "link", "path": resolved, "literal": literal, "src": src_resolved,
                     "event": event})


# -- subprocesses ------------------------------------------------------------------------
def shell_command(argv: Any) -> str | None:
    """The command text if argv is the `<shell> -c TEXT` form, else None."""
    if not isinstance(argv, (list, tuple)) or len(argv) < 3:
        return None
    prog = _text(argv[0]) or ""
    flag = _text(argv[1]) or ""
    if os.path.basename(prog) in _SHELLS and flag.startswith("-") and "c" in flag[1:]:
        return _text(argv[2])
    return None


def _popen_frame() -> FrameType | None:
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        code = frame.f_code
        if code.co_name == "__init__" and code.co_filename.endswith("subprocess.py"):
            return frame
        frame = frame.f_back
    return None


def _constants_on_stack(roots: CodeRoots) -> set[int]:
    """Ids of string constants of the target's frames on the stack (code and module globals).

    Identity, not equality: a card title "-m" is never the same object as the literal "-m"
    in `["git", "commit", "-m", msg]`. Only the target's frames count (all frames when no
    roots are known), so the harness's own constants can never hide card text.
    """
    ids: set[int] = set()
    seen_globals: set[int] = set()
    frame: FrameType | None = sys._getframe(2)
    while frame is not None:
        if roots and not roots.owns(frame):
            frame = frame.f_back
            continue
        ids |= _code_constants(frame.f_code)
        g = frame.f_globals
        if id(g) not in seen_globals:
            seen_globals.add(id(g))
            for value in list(g.values()):
                if isinstance(value, (str, bytes, tuple, list, frozenset)):
                    _collect(value, ids)
        frame = frame.f_back
    return ids


_CODE_CONSTANTS: weakref.WeakKeyDictionary[CodeType, frozenset[int]] = weakref.WeakKeyDictionary()


def _code_constants(code: CodeType) -> frozenset[int]:
    """Ids of a code object's string constants: they live and stay as long as the code does,
    so they are collected once per code object, not at every launch."""
    found = _CODE_CONSTANTS.get(code)
    if found is None:
        ids: set[int] = set()
        for const in code.co_consts:
            _collect(const, ids)
        found = _CODE_CONSTANTS[code] = frozenset(ids)
    return found


def _collect(value: Any, ids: set[int], depth: int = 0) -> None:
    if isinstance(value, (str, bytes)):
        ids.add(id(value))
    elif depth < 2 and isinstance(value, (tuple, list, frozenset)):
        for item in value:
            _collect(item, ids, depth + 1)


def _proc(rec: AuditRecorder, actor: str, event: str, argv: Any, shell: bool,
          cwd: Any = None, executable: Any = None) -> None:
    given = argv
    if isinstance(argv, bytes):
        given = os.fsdecode(argv)
    elif isinstance(argv, (list, tuple)):
        given = [_text(a) if not isinstance(a, str) else a for a in argv]
    const_args: list[int] = []
    if isinstance(argv, (list, tuple)):
        constants = _constants_on_stack(rec.roots)
        const_args = [i for i, a in enumerate(argv) if id(a) in constants]
    command = given if shell and isinstance(given, str) else shell_command(given)
    if command is not None:
        shell = True
    cwd_text = _text(cwd) if cwd is not None else None
    data: dict[str, Any] = {
        "argv": given,
        "shell": bool(shell),
        "cwd": os.path.realpath(_absolute(cwd_text)) if cwd_text else os.getcwd(),
        "event": event,
        "const_args": const_args,
    }
    if command is not None:
        data["command"] = command
    if executable is not None:
        data["executable"] = _text(executable)
    data.update(_test_inputs(data["cwd"], given))
    rec.proc(actor, data)


_TEST_TOOLS = frozenset({"pytest", "py.test", "unittest", "nose2"})


def _test_inputs(cwd: str, argv: Any) -> dict[str, Any]:
    """What a test run could read under tests/, as it was at launch: whether the launch is a
    test run ("test_run"), the tests/ files argv names ("test_args", rel to their tests/
    directory) and, for a test run, the files under `<cwd>/tests` ("tests": rel -> file
    state). G2 uses these to tell whether a run ran the tests while a person's change to
    them was in place (only test runs count)."""
    from harness.snapshot import snapshot

    found: dict[str, Any] = {}
    if not isinstance(argv, (list, tuple)):
        return found
    named: list[str] = []
    tool = False
    for item in argv[1:]:
        if not isinstance(item, str) or not item:
            continue
        if os.path.basename(item) in _TEST_TOOLS:
            tool = True
            continue
        given = item if os.path.isabs(item) else os.path.join(cwd, item)
        if not os.path.exists(given):  # one stat; most items (options, refs) name no file
            continue
        path = os.path.realpath(given)
        marker = f"{os.sep}tests{os.sep}"
        if marker in path + os.sep:
            rel = (path + os.sep).rsplit(marker, 1)[1].rstrip(os.sep)
            named.append(rel.replace(os.sep, "/") or ".")
    if os.path.basename(str(argv[0] if argv else "")) in _TEST_TOOLS:
        tool = True
    if named or tool:
        found["test_run"] = True
        found["test_args"] = named
        # only here: hashing tests/ at every launch (each `git` too) was 6% of Ralph's time
        tests_dir = os.path.join(cwd, "tests")
        if os.path.isdir(tests_dir) and not os.path.islink(tests_dir):
            found["tests"] = snapshot(tests_dir)
    return found


def _on_popen(rec: AuditRecorder, event: str, args: tuple[Any, ...], actor: str) -> None:
    executable, argv, cwd = (tuple(args) + (None,) * 3)[:3]
    shell = False
    frame = _popen_frame()
    if frame is not None:
        local = frame.f_locals
        if "args" in local:
            argv = local["args"]
        shell = bool(local.get("shell", False))
    _proc(rec, actor, event, argv, shell, cwd, executable)


def _on_system(rec: AuditRecorder, event: str, args: tuple[Any, ...], actor: str) -> None:
    _proc(rec, actor, event, args[0] if args else "", True)


def _on_exec(rec: AuditRecorder, event: str, args: tuple[Any, ...], actor: str) -> None:
    # os.exec: (path, args, env); os.posix_spawn[p]: (path, argv, env); os.spawn: (mode, path, args, env)
    argv = args[2] if event == "os.spawn" else args[1]
    executable = args[1] if event == "os.spawn" else args[0]
    _proc(rec, actor, event, list(argv) if isinstance(argv, tuple) else argv, False,
          None, executable)


# -- sockets ---------------------------------------------------------------------------------
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


class SandboxRefusal(PermissionError):
    """The sandbox refused a bind beyond loopback (nothing here may listen on a network)."""


def _on_bind(rec: AuditRecorder, event: str, args: tuple[Any, ...], actor: str) -> None:
    address = args[1] if len(args) > 1 else None
    if not isinstance(address, tuple) or len(address) < 2:
        return  # a Unix socket: no network
    host, port = str(address[0]), address[1]
    refused = host not in LOOPBACK
    rec.journal.record(jr.LISTEN, {"host": host, "port": port, "refused": refused,
                                   "where": rec.where()}, actor=actor)
    if refused:
        raise SandboxRefusal(f"sandbox: binding {host}:{port} refused (only loopback may listen here)")


_HANDLERS: dict[str, Any] = {
    "socket.bind": _on_bind,
    "open": _on_open,
    "os.rename": _on_rename,
    "os.remove": _entry_op("remove"),
    "os.rmdir": _entry_op("remove", dir=True),
    "shutil.rmtree": _entry_op("remove", tree=True),
    "os.mkdir": _entry_op("mkdir"),
    "os.symlink": _on_symlink,
    "os.link": _on_link,
    "os.truncate": _content_op("truncate"),
    "os.chmod": _content_op("chmod"),
    "os.chown": _content_op("chmod"),
    "os.utime": _content_op("chmod"),
    "os.setxattr": _content_op("chmod"),
    "os.removexattr": _content_op("chmod"),
    "subprocess.Popen": _on_popen,
    "os.system": _on_system,
    "os.exec": _on_exec,
    "os.posix_spawn": _on_exec,
    "os.posix_spawnp": _on_exec,
    "os.spawn": _on_exec,
}


@contextlib.contextmanager
def recording(journal: jr.Journal, roots: Roots = None) -> Iterator[AuditRecorder]:
    """`with recording(journal, roots) as rec:` — shorthand for AuditRecorder."""
    with AuditRecorder(journal, roots) as rec:
        yield rec
