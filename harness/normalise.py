"""Artifacts never name a sandbox: the world's temp root, random for every example, reads
`$SANDBOX` in findings, traces and regression tests, so identical runs write identical bytes."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from typing import Any

from harness.journal import Event
from harness.violation import Violation

PLACEHOLDER = "$SANDBOX"


def sandbox_roots(root: str | os.PathLike[str]) -> list[str]:
    """The root as given and resolved, longest first (one may be a prefix of the other)."""
    text = os.fspath(root)
    return sorted({text, os.path.realpath(text)}, key=len, reverse=True)


def unsandboxed(value: Any, roots: Sequence[str]) -> Any:
    """`value` with every sandbox root in its text replaced by $SANDBOX (events, violations,
    mappings and sequences rebuilt; other values kept)."""
    if not roots:
        return value
    if isinstance(value, str):
        for root in roots:
            value = value.replace(root, PLACEHOLDER)
        return value
    if isinstance(value, Event):
        return dataclasses.replace(value, data=unsandboxed(dict(value.data), roots))
    if isinstance(value, Violation):
        return dataclasses.replace(
            value, message=unsandboxed(value.message, roots),
            evidence=tuple(unsandboxed(e, roots) for e in value.evidence),
            details=unsandboxed(value.details, roots))
    if isinstance(value, Mapping):
        return {unsandboxed(k, roots): unsandboxed(v, roots) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(unsandboxed(v, roots) for v in value)
    return value
