"""The procedure table and Kanboard's argument binding (the JsonRPC library's rules).

A procedure is a Python function whose parameters mirror the PHP method's, names and
defaults alike, registered with `@procedure`. Binding is the library's: count the given
params (names included, known or not) against required/declared, then take a list as
positional, an object by name ("Missing argument: x" when a required name is absent).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from harness.kanboard import errors, php


@dataclass(frozen=True)
class Procedure:
    name: str
    fn: Callable[..., Any]
    params: tuple[str, ...]
    required: int
    arrays: frozenset[str]  # PHP `array $x`: anything else is a TypeError (HTTP 500)
    falsy: Any  # what the method returns when it fails quietly (used by planned faults)
    metamagik: bool  # exists only with the MetaMagik plugin


_REGISTRY: dict[str, Procedure] = {}  # lower-cased name -> procedure (PHP names are case-blind)
_EXACT: dict[str, Procedure] = {}  # plugin procedures bound by exact name


def procedure(
    name: str, *, falsy: Any = None, arrays: tuple[str, ...] = (), metamagik: bool = False
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register `fn(ctx, <PHP params>)` as the JSON-RPC method `name`."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        params = list(inspect.signature(fn).parameters.values())[1:]
        required = sum(1 for p in params if p.default is inspect.Parameter.empty)
        proc = Procedure(
            name, fn, tuple(p.name for p in params), required, frozenset(arrays), falsy, metamagik
        )
        if metamagik:
            _EXACT[name] = proc
        else:
            _REGISTRY[name.lower()] = proc
        return fn

    return register


def find(method: Any, metamagik: bool) -> Procedure | None:
    """The procedure a method name reaches (PHP's method_exists ignores case)."""
    if not isinstance(method, str):
        return None
    if metamagik and method in _EXACT:
        return _EXACT[method]
    return _REGISTRY.get(method.lower())


def names(metamagik: bool = True) -> list[str]:
    """Every method the fake answers, in Kanboard's spelling."""
    found = [p.name for p in _REGISTRY.values()]
    if metamagik:
        found += list(_EXACT)
    return sorted(found)


def bind(proc: Procedure, params: Any) -> tuple[list[Any], dict[str, Any]]:
    """(args, kwargs) for `proc.fn`, or RpcError as Kanboard's JsonRPC server would raise."""
    if php.empty(params):
        params = []
    count = len(params)
    if count < proc.required:
        raise errors.invalid_params("Wrong number of arguments")
    if count > len(proc.params):
        raise errors.invalid_params("Too many arguments")
    if php.is_list_like(params):
        args = php.array_values(params)
        given = dict(zip(proc.params, args, strict=False))
        _check_arrays(proc, given)
        return args, {}
    named: dict[str, Any] = {}
    keys = dict(zip(php.php_keys(params), params.values(), strict=True)) if params else {}
    for position, name in enumerate(proc.params):
        if name in keys:
            named[name] = keys[name]
        elif position < proc.required:
            raise errors.invalid_params(f"Missing argument: {name}")
    _check_arrays(proc, named)
    return [], named


def _check_arrays(proc: Procedure, given: dict[str, Any]) -> None:
    for name in proc.arrays:
        if name in given and not isinstance(given[name], (list, dict)):
            raise errors.fatal()
