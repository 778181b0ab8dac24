"""Adapter driving a real AgentLeeOps checkout (commit ba02d79 or the newest layout) in-process.

    load(path) -> Target        # --target agentleeops --agentleeops-path PATH (or AGENTLEEOPS_PATH)

A wrong path, a tree that is not a checkout, or a module that fails to import raises
`AdapterError` whose message is one line saying what is wrong.
"""

from __future__ import annotations

from pathlib import Path

from targets.agentleeops.checkout import AdapterError, Checkout, inspect, inspect_once
from targets.agentleeops.target import AgentLeeOpsTarget

__all__ = ["AdapterError", "AgentLeeOpsTarget", "Checkout", "inspect", "load"]


def load(path: str | Path, *, llm_transport: str = "client") -> AgentLeeOpsTarget:
    """A target for the checkout at `path`; its modules are imported once per process.

    `llm_transport`: "client" answers its LLM client directly; "openrouter" runs its real
    client and OpenRouter provider with the HTTP answered by `responses`."""
    from targets.agentleeops import modules, scripts
    from targets.agentleeops.llm import TRANSPORTS

    if llm_transport not in TRANSPORTS:
        raise AdapterError(f"unknown LLM transport {llm_transport!r}; expected one of {', '.join(TRANSPORTS)}")
    checkout = inspect_once(path)
    drivable = tuple(s for s in scripts.available(checkout.path) if s != scripts.ORCHESTRATOR)
    loaded = modules.load(checkout, drivable)
    return AgentLeeOpsTarget(loaded, llm_transport=llm_transport)
