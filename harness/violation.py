"""A broken invariant, as a claim about someone's code with its evidence.

Checkers produce these; the machines raise them as test failures; reports turn them into
findings. Kept apart from checkers so reports and replay need not import the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.journal import Event

SEVERITY = {"G1": "P0", "G2": "P0", "G4": "P0", "I1": "P0", "I2": "P0", "G3": "P1", "I3": "P1", "I4": "P1"}

TITLES = {
    "G1": "Approved artifacts cannot be silently overwritten",
    "G2": "Ralph cannot change tests",
    "G3": "Governance holds whichever entrypoint triggers the work",
    "G4": "Card content cannot escape the workspace or reach a shell",
    "I1": "Duplicate webhook deliveries change nothing",
    "I2": "The spawner is idempotent, also after partial failure",
    "I3": "Flood control",
    "I4": "Concurrent runners do not duplicate work",
}


@dataclass(frozen=True)
class Violation:
    invariant: str  # "G1".."G4", "I1".."I4"
    message: str  # one line: what broke, in the board's language
    component: str  # the target module/function closest to the first bad effect
    evidence: tuple[Event, ...] = ()  # first bad effect first
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def severity(self) -> str:
        return SEVERITY[self.invariant]

    @property
    def title(self) -> str:
        return TITLES[self.invariant]

    def headline(self) -> str:
        return f"{self.invariant} ({self.severity}) {self.title}: {self.message} [{self.component}]"

    def to_json(self) -> dict[str, Any]:
        return {
            "invariant": self.invariant,
            "severity": self.severity,
            "title": self.title,
            "message": self.message,
            "component": self.component,
            "evidence": [e.to_json() for e in self.evidence],
            "details": self.details,
        }


class InvariantViolation(AssertionError):
    """Raised inside a state machine so Hypothesis treats it as a failure and shrinks it."""

    def __init__(self, violation: Violation) -> None:
        super().__init__(violation.headline())
        self.violation = violation


# One subclass per invariant: Hypothesis tells failures apart by exception type, so a G1
# failure never shrinks into an I4 one and the report names the invariant first found.
_PER_INVARIANT = {
    name: type(f"{name}Violation", (InvariantViolation,), {"__module__": __name__}) for name in SEVERITY
}
globals().update({cls.__name__: cls for cls in _PER_INVARIANT.values()})


def violation_error(violation: Violation) -> InvariantViolation:
    """The exception to raise for `violation`, typed by its invariant."""
    return _PER_INVARIANT[violation.invariant](violation)
