"""What a system under test offers the harness, and what the harness gives it.

One interface for the reference, its mutants and the real AgentLeeOps, so every machine and
invariant drives all of them the same way. A target only acts through its entrypoints; the
harness only observes through the world (board, files, journal).
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from harness.journal import Journal

# Agent names used in journal AGENT events and in `Target.triggers`. A target maps its own
# agents onto these so invariants speak one language.
ARCHITECT = "architect"
GOVERNANCE = "governance"
PM = "pm"
SPAWNER = "spawner"
TEST = "test"
TEST_CODE = "test_code"
RALPH = "ralph"
CODE_REVIEW = "code_review"
AGENTS = (ARCHITECT, GOVERNANCE, PM, SPAWNER, TEST, TEST_CODE, RALPH, CODE_REVIEW)

# Entrypoint kinds (G3 compares them).
WEBHOOK = "webhook"
ORCHESTRATOR = "orchestrator"
POLL = "poll"
CLI = "cli"
AGENT = "agent"


class KanboardClient(Protocol):
    """A drop-in for `kanboard.Client`: execute(method, **params) and snake_case calls."""

    def execute(self, method: str, **params: Any) -> Any: ...

    def __getattr__(self, name: str) -> Callable[..., Any]: ...


class LLM(Protocol):
    """The scripted model: answers a role's prompt from drawn outputs."""

    def complete(self, role: str, prompt: str) -> str: ...


@dataclass
class Binding:
    """Everything a target is bound to: the world it must use and nothing else."""

    kanboard: Callable[[str], KanboardClient]  # actor name -> client for that runner
    kanboard_url: str | None  # the HTTP face's endpoint, when the world serves one
    kanboard_token: str
    project_id: int
    home: Path  # sandbox HOME: workspaces live at home / "projects" / dirname
    tmp: Path  # sandbox temp dir, an allowed root for file effects
    llm: LLM
    clock: Callable[[], float]  # seconds since the epoch, the world's clock
    journal: Journal
    webhook_token: str = "webhook-secret"
    env: Mapping[str, str] = field(default_factory=dict)  # extra environment for the target


@dataclass(frozen=True)
class WebhookRequest:
    """A raw HTTP delivery, as Kanboard sends it (path carries `?token=`)."""

    path: str
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    method: str = "POST"


@dataclass(frozen=True)
class WebhookResponse:
    status: int
    body: bytes = b""
    error: str | None = None  # an exception the handler let out to its HTTP server
    where: str | None = None  # the target's code it came out of


# MetaMagik custom fields of an AgentLeeOps install, (name, required), as on the measured one:
# the web UI's forms refuse a card without a dirname, API createTask returns false for one
# (why AgentLeeOps' spawner makes children by duplicating), and every form save writes both.
AGENTLEEOPS_FIELDS: tuple[tuple[str, bool], ...] = (("dirname", True), ("context_mode", False))


class Target(abc.ABC):
    """A system under test. Subclasses set the class attributes and implement entrypoints."""

    name: str = ""
    description: str = ""
    version: str = ""
    columns: tuple[str, ...] = ()  # the board it expects, in order
    custom_fields: tuple[tuple[str, bool], ...] = ()  # MetaMagik fields of its install: (name, required)
    triggers: Mapping[str, str] = {}  # column title -> agent name (one of AGENTS)
    lock_manifest: str | None = None  # workspace-relative path of its ratchet manifest
    fanout_cap: int = 20  # children per epic, across runs
    cli_scripts: tuple[str, ...] = ()  # names accepted by `cli`
    listen_hosts: tuple[str, ...] = ("127.0.0.1",)  # where its webhook server is configured to listen
    webhook_concurrency: int = 1  # requests its webhook server handles at once (HTTPServer: 1)
    # agents a person can run directly on a card with the target's own tools (a manual
    # script that calls the agent); None: every agent. A hand run of any other agent is
    # not an entrypoint of the target, so the harness never makes one (no claim without it)
    manual_agents: tuple[str, ...] | None = None

    def __init__(self) -> None:
        self.binding: Binding | None = None

    # -- lifecycle -----------------------------------------------------------------------
    def bind(self, binding: Binding) -> None:
        """Attach to a world. Called once per world, before any entrypoint."""
        self.binding = binding

    def unbind(self) -> None:
        """Stop whatever bind started (servers, patches). Must be safe to call twice."""
        self.binding = None

    # -- entrypoints ---------------------------------------------------------------------
    @abc.abstractmethod
    def deliver_webhook(self, request: WebhookRequest) -> WebhookResponse:
        """Hand a raw HTTP request to the target's webhook handler and wait for it."""

    @abc.abstractmethod
    def handle_event(self, event: Mapping[str, Any]) -> None:
        """Process an already-parsed webhook event (the handler minus HTTP and token)."""

    @abc.abstractmethod
    def orchestrator_pass(self) -> None:
        """One orchestrator pass (`--once`)."""

    @abc.abstractmethod
    def poll(self, ticks: int) -> None:
        """Run the polling loop for `ticks` iterations, with no real sleeping."""

    @abc.abstractmethod
    def cli(self, script: str, args: Sequence[str]) -> int:
        """Run a manual CLI script in-process; returns its exit status."""

    @abc.abstractmethod
    def run_agent(self, agent: str, task_id: int) -> Any:
        """Run one agent directly on a card, as its runner would (spawner, Ralph, ...)."""

    def serve_webhook(self) -> bool:
        """Start the target's own webhook server as its deployment does (its own code chooses
        where to listen), then stop it. False when it has no server of its own to start."""
        return False

    def cli_argv(self, script: str, task_id: int) -> list[str]:
        """Arguments a human would give `script` to act on card `task_id` (for generated runs)."""
        return [str(task_id)]

    def unlock(self, task_id: int, rel: str, reason: str) -> bool:
        """The explicit unlock a person uses to reopen an approved artifact of a card.

        Runs as the human who asked for it (not a system runner). True when the ratchet now
        leaves `rel` writable; False when there was no such lock or the target has no
        unlock tool, in which case the harness keeps treating the artifact as locked.
        """
        return False

    # -- what it declares about files ---------------------------------------------------
    def workspace(self, dirname: str) -> Path:
        """Where the card with this `dirname` keeps its artifacts."""
        assert self.binding is not None, "target is not bound"
        return self.binding.home / "projects" / dirname

    def locked_artifacts(self, workspace: Path) -> dict[str, str]:
        """What its ratchet currently says is locked: workspace-relative path -> sha256.

        Read from the target's own manifest, so the harness learns of a lock when the system
        records one. A missing or unreadable manifest gives {} (the invariant remembers).
        """
        return {}
