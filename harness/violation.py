"""A broken invariant, as a claim about someone's code with its evidence.

Checkers produce these; the machines raise them as test failures; reports turn them into
findings. Kept apart from checkers so reports and replay need not import the engine.

A violation's `signature` (invariant, kind of first bad effect, component) names the defect it
evidences: a run reports each signature once and only counts later hits. The entrypoint is
kept beside it (the same code reached from the poller and the CLI is one defect, not two).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

from harness.journal import Event

INVARIANT_ORDER = ("G1", "G2", "G3", "G4", "I1", "I2", "I3", "I4", "R1", "R2", "K1")

SEVERITY = {
    "G1": "P0", "G2": "P0", "G4": "P0", "I1": "P0", "I2": "P0", "R2": "P0",
    "G3": "P1", "I3": "P1", "I4": "P1", "R1": "P1",
    "K1": "P2",
}

TITLES = {
    "G1": "Approved artifacts cannot be silently overwritten",
    "G2": "Ralph cannot change tests",
    "G3": "Governance holds whichever entrypoint triggers the work",
    "G4": "Card content cannot escape the workspace or reach a shell",
    "I1": "Duplicate webhook deliveries change nothing",
    "I2": "The spawner is idempotent, also after partial failure",
    "I3": "Flood control",
    "I4": "Concurrent runners do not duplicate work",
    "R1": "A bad card or a failing model never takes the pipeline down or loops",
    "R2": "Only authentic deliveries act",
    "K1": "Every Kanboard call the system makes is accepted as meant",
}

Signature = tuple[str, str, str]  # (invariant, kind, component)
DefectKey = tuple[str, str]  # (invariant, kind): the places (components) of one defect share it


def defect_of(signature: Signature) -> DefectKey:
    """The defect a signature is one place of: a report row, shrunk once for all its places."""
    return signature[0], signature[1]


@dataclass(frozen=True)
class Violation:
    invariant: str  # one of INVARIANT_ORDER
    message: str  # one line: what broke, in the board's language
    component: str  # the target module/function closest to the first bad effect
    evidence: tuple[Event, ...] = ()  # first bad effect first
    details: dict[str, Any] = field(default_factory=dict)
    # the kind of first bad effect, short and free of ids and paths ("overwrote a missing")
    kind: str = ""
    entrypoint: str = ""  # webhook, orchestrator, poll, cli, agent; "" when none applies

    @property
    def severity(self) -> str:
        return SEVERITY[self.invariant]

    @property
    def title(self) -> str:
        return TITLES[self.invariant]

    @property
    def signature(self) -> Signature:
        """What makes two violations the same defect: never ids, paths or counts."""
        return (self.invariant, self.kind or _generic_kind(self.message), self.component)

    def headline(self) -> str:
        return f"{self.invariant} ({self.severity}) {self.title}: {self.message} [{self.component}]"

    def to_json(self) -> dict[str, Any]:
        return {
            "invariant": self.invariant,
            "severity": self.severity,
            "title": self.title,
            "message": self.message,
            "component": self.component,
            "kind": self.kind,
            "entrypoint": self.entrypoint,
            "evidence": [e.to_json() for e in self.evidence],
            "details": self.details,
        }


def _generic_kind(message: str) -> str:
    """A message with its numbers, quoted values and parentheses blanked (checkers name
    their kinds; this only keeps hand-built violations comparable)."""
    text = re.sub(r"\([^)]*\)", "", message)
    text = re.sub(r"'[^']*'|\"[^\"]*\"|`[^`]*`", "…", text)
    return re.sub(r"#?\d+", "N", text).strip()


def signature_text(signature: Signature) -> str:
    """One line naming a signature, for progress lines and findings."""
    invariant, kind, component = signature
    return f"{invariant} {kind} in {component}"


class InvariantViolation(AssertionError):
    """Raised inside a state machine so Hypothesis treats it as a failure and shrinks it."""

    def __init__(self, violation: Violation) -> None:
        super().__init__(violation.headline())
        self.violation = violation


# One subclass per invariant, and below it one per signature: Hypothesis tells failures apart
# by exception type (with report_multiple_bugs it shrinks each type on its own), so a finding
# keeps its signature while it shrinks and several defects of one run are all reported.
_PER_INVARIANT = {
    name: type(f"{name}Violation", (InvariantViolation,), {"__module__": __name__}) for name in SEVERITY
}
globals().update({cls.__name__: cls for cls in _PER_INVARIANT.values()})
_PER_SIGNATURE: dict[Signature, type[InvariantViolation]] = {}
_PER_SIGNATURE_LOCK = threading.Lock()


def violation_error(violation: Violation) -> InvariantViolation:
    """The exception to raise for `violation`, typed by its signature (a subclass of its
    invariant's type)."""
    signature = violation.signature
    with _PER_SIGNATURE_LOCK:
        cls = _PER_SIGNATURE.get(signature)
        if cls is None:
            base = _PER_INVARIANT[violation.invariant]
            cls = type(base.__name__, (base,), {"__module__": __name__, "signature": signature})
            _PER_SIGNATURE[signature] = cls
    return cls(violation)
