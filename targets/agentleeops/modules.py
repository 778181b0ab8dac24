"""Importing a checkout's modules in-process, once, without letting it touch this process.

Its modules are top-level names (`lib`, `agents`, `orchestrator`, ...) that it re-imports
lazily inside functions, so while a target is bound they must sit in `sys.modules` under those
names; while no target is bound they are kept aside, so the names never shadow anything else
and two checkouts can be driven one after the other in the same process.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import shutil
import socketserver
import sys
import tempfile
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from types import ModuleType
from typing import Any

import dotenv

from targets.agentleeops.checkout import AdapterError, Checkout
from targets.agentleeops.patches import Patches

TOP_LEVEL = ("lib", "agents", "orchestrator", "webhook_server")
CLI_PREFIX = "_agentleeops_cli_"  # scripts are imported under private names (no __main__ run)

# Never imported: runs its doctor's main() at import.
SKIP = frozenset({"lib.llm.__main__"})

# What its modules patch in the standard library at import (webhook_server quiets
# BrokenPipeError process-wide); held aside and applied only while a target is bound.
STDLIB_HOOKS = ((socketserver.BaseServer, "handle_error"), (BaseHTTPRequestHandler, "handle_one_request"))

# The environment its modules see at import; bind() sets the real values before any call.
IMPORT_ENV = {
    "KANBOARD_URL": "fake-kanboard://unbound/jsonrpc.php",
    "KANBOARD_USER": "jsonrpc",
    "KANBOARD_TOKEN": "unbound",
    "AGENTLEEOPS_SINGLE_CARD_MODE": "0",
}


@dataclass
class Loaded:
    """A checkout's imported modules, ready to be installed while a target is bound."""

    checkout: Checkout
    modules: dict[str, ModuleType]  # its module name -> module
    scripts: dict[str, ModuleType]  # CLI script (relative path) -> its module
    stdlib_hooks: list[tuple[Any, str, Any]] = field(default_factory=list)

    def module(self, name: str) -> ModuleType:
        return self.modules[name]

    def has(self, name: str) -> bool:
        return name in self.modules

    def every_module(self) -> list[ModuleType]:
        """Its modules and its scripts, in a stable order (patches scan them all)."""
        return [self.modules[n] for n in sorted(self.modules)] + [
            self.scripts[n] for n in sorted(self.scripts)
        ]

    def install(self, patches: Patches) -> None:
        """Put its modules into sys.modules under their own names (undone by `patches`)."""
        for name in sorted(self.modules):
            patches.setitem(sys.modules, name, self.modules[name])
        for owner, attr, value in self.stdlib_hooks:
            patches.setattr(owner, attr, value)


_CACHE: dict[Path, Loaded] = {}


def load(checkout: Checkout, scripts: tuple[str, ...]) -> Loaded:
    """Import a checkout once per process (cached by its resolved path)."""
    cached = _CACHE.get(checkout.path)
    if cached is None:
        cached = _CACHE[checkout.path] = _import(checkout, scripts)
    return cached


def module_names(root: Path) -> list[str]:
    """Every module of its `lib` and `agents` packages, parents first, then its entry modules."""
    names: set[str] = set()
    for package in ("lib", "agents"):
        for path in (root / package).rglob("*.py"):
            rel = path.relative_to(root).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts.pop()
            if any(not p.isidentifier() for p in parts):
                continue
            name = ".".join(parts)
            if name not in SKIP:
                names.add(name)
    ordered = sorted(names, key=lambda n: (n.count("."), n))
    return ordered + ["orchestrator", "webhook_server"]


def _import(checkout: Checkout, scripts: tuple[str, ...]) -> Loaded:
    root = checkout.path
    stash = {n: m for n, m in sys.modules.items() if _is_ours(n)}
    for name in stash:
        del sys.modules[name]
    before = set(sys.modules)
    hooks_before = [(owner, attr, vars(owner)[attr]) for owner, attr in STDLIB_HOOKS]
    try:
        with _import_conditions(root):
            for name in module_names(root):
                _import_one(root, name, lambda n=name: importlib.import_module(n))
            loaded_scripts = {}
            for rel in scripts:
                loaded_scripts[rel] = _import_one(root, rel, lambda r=rel: _import_script(root, r))
        hooks = [(owner, attr, vars(owner)[attr]) for owner, attr, _ in hooks_before]
        modules = {n: sys.modules[n] for n in set(sys.modules) - before if _is_ours(n)}
        return Loaded(checkout, modules, loaded_scripts, stdlib_hooks=hooks)
    finally:
        for owner, attr, original in hooks_before:
            setattr(owner, attr, original)
        for name in [n for n in sys.modules if _is_ours(n)]:
            del sys.modules[name]
        sys.modules.update(stash)


def _is_ours(name: str) -> bool:
    return name.split(".", 1)[0] in TOP_LEVEL or name.startswith(CLI_PREFIX)


def _import_one(root: Path, what: str, do: Any) -> ModuleType:
    try:
        return do()
    except BaseException as exc:  # a module may sys.exit() or raise anything at import
        if isinstance(exc, KeyboardInterrupt):
            raise
        last = traceback.format_exception_only(type(exc), exc)[-1].strip()
        raise AdapterError(f"{root}: cannot import {what}: {last}") from None


def _import_script(root: Path, rel: str) -> ModuleType:
    """Import a CLI script by file under a private name (its `__main__` block does not run)."""
    name = CLI_PREFIX + rel.removesuffix(".py").replace("/", "_").replace("-", "_")
    spec = importlib.util.spec_from_file_location(name, root / rel)
    if spec is None or spec.loader is None:
        raise ImportError(f"no loader for {rel}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def _import_conditions(root: Path) -> Iterator[None]:
    """Checkout on sys.path, a throwaway HOME, fixed Kanboard settings, no `.env` read, and
    no bytecode written into the checkout."""
    saved_path = list(sys.path)
    saved_env = {k: os.environ.get(k) for k in (*IMPORT_ENV, "HOME")}
    saved_dotenv = dotenv.load_dotenv
    saved_bytecode = sys.dont_write_bytecode
    home = tempfile.mkdtemp(prefix="agentleeops-import-home-")
    try:
        sys.dont_write_bytecode = True  # the checkout is read-only to us: no __pycache__ in it
        sys.path.insert(0, str(root))
        os.environ.update(IMPORT_ENV)
        os.environ["HOME"] = home
        dotenv.load_dotenv = _no_dotenv  # modules bind this name at import, for good
        importlib.invalidate_caches()
        yield
    finally:
        dotenv.load_dotenv = saved_dotenv
        sys.dont_write_bytecode = saved_bytecode
        sys.path[:] = saved_path  # some scripts insert their root into sys.path at import
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(home, ignore_errors=True)


def _no_dotenv(*args: Any, **kwargs: Any) -> bool:
    """Stands in for `load_dotenv`: a checkout's `.env` may hold real endpoints and keys."""
    return False
