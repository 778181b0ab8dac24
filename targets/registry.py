"""Targets by the name `--target` takes: reference, mutant:<name>, agentleeops."""

from __future__ import annotations

import os

from targets.base import Target

AGENTLEEOPS = "agentleeops"
AGENTLEEOPS_ENV = "AGENTLEEOPS_PATH"


class TargetError(Exception):
    """A target name or path the harness cannot use; the message is one line for the user."""


def list_targets() -> list[tuple[str, str]]:
    """(name, one-line description) of every target, the default first."""
    from targets.mutants import mutants
    from targets.reference import ReferenceTarget

    rows = [(ReferenceTarget.name, ReferenceTarget.description)]
    rows += [(name, cls.description) for name, cls in mutants().items()]
    rows.append((AGENTLEEOPS, "a real AgentLeeOps checkout (--agentleeops-path PATH or "
                              f"{AGENTLEEOPS_ENV}); its board and lanes are detected"))
    return rows


def get_target(name: str, agentleeops_path: str | None = None) -> Target:
    """A fresh, unbound target for `name`; TargetError (one line) when there is none."""
    from targets.mutants import PREFIX, mutants
    from targets.reference import ReferenceTarget

    if name == ReferenceTarget.name:
        return ReferenceTarget()
    if name.startswith(PREFIX):
        known = mutants()
        if name not in known:
            names = ", ".join(n[len(PREFIX):] for n in known)
            raise TargetError(f"unknown mutant {name[len(PREFIX):]!r}; known mutants: {names}")
        return known[name]()
    if name == AGENTLEEOPS:
        path = agentleeops_path or os.environ.get(AGENTLEEOPS_ENV)
        if not path:
            raise TargetError(f"--target agentleeops needs --agentleeops-path PATH "
                              f"(or {AGENTLEEOPS_ENV}) naming an AgentLeeOps checkout")
        try:
            from targets.agentleeops import AdapterError, load
        except ImportError as exc:
            raise TargetError(f"the AgentLeeOps adapter is not available ({exc})") from None
        try:
            return load(path)
        except AdapterError as exc:  # already one line saying what is wrong with the path
            raise TargetError(str(exc).strip().splitlines()[0] if str(exc).strip() else
                              f"{path} cannot be used as an AgentLeeOps checkout") from None
    valid = ", ".join(n for n, _ in list_targets())
    raise TargetError(f"unknown target {name!r}; valid targets: {valid}")
