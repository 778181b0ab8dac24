"""A run as one stream of events: the engine emits them, every report listens.

A campaign (or, in a parallel run, the main process on behalf of its workers) emits what the
run does; the console, the run folder (findings.md, traces, regression tests, report.html),
Hypothesis's observability records and the statistics `pytest --hypothesis-show-statistics`
prints are listeners, the same whichever front (CLI or pytest) ran. Steps, Kanboard calls
and file effects are not events here: each finding's trace carries them in order (the
journal), and `--observe` records each test case; a listener per step would cost the
throughput a night depends on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from harness.campaign import CampaignResult, MachineReport
    from harness.ledger import Finding


@dataclass(frozen=True)
class FindingMade:
    """A new distinct finding, or news of one held unshrunk: its shrunk example now;
    `machines` is every machine's work so far (all workers')."""

    finding: Finding
    machines: tuple[MachineReport, ...]


@dataclass(frozen=True)
class TurnEnded:
    """A machine's turn ended; `machines` is every machine's work so far (all workers')."""

    report: MachineReport
    machines: tuple[MachineReport, ...]


@dataclass(frozen=True)
class SliceEnded:
    """One Hypothesis run of a machine ended, with Hypothesis's own statistics of it."""

    machine: str
    statistics: dict[str, Any]


@dataclass(frozen=True)
class Progress:
    """How far the run is, at most every few seconds while it fuzzes."""

    machine: str  # whose turn it is ("all" for a parallel run's workers together)
    test_cases: int  # examples built so far: generated, shrinks and replays alike
    steps: int


@dataclass(frozen=True)
class RunEnded:
    result: CampaignResult


Event = FindingMade | TurnEnded | SliceEnded | Progress | RunEnded


class Listener(Protocol):
    def handle(self, event: Event) -> None: ...


class Stream:
    """Sends each event to every listener, in the order they were added."""

    def __init__(self, listeners: Sequence[Listener] = ()) -> None:
        self.listeners = list(listeners)

    def add(self, listener: Listener) -> Listener:
        self.listeners.append(listener)
        return listener

    def emit(self, event: Event) -> None:
        for listener in self.listeners:
            listener.handle(event)


E = TypeVar("E")


class On:
    """A listener calling `act` with each event of one type (a test's or a script's hook)."""

    def __init__(self, kind: type[E], act: Callable[[E], None]) -> None:
        self.kind, self.act = kind, act

    def handle(self, event: Event) -> None:
        if isinstance(event, self.kind):
            self.act(event)
