"""AgentLeeOps's model calls answered by the world's scripted LLM, through either of its paths.

Its agents ask for generic roles ("planner" serves the architect, PM and test writers alike),
so the role we answer is chosen by the agent that is running (set by the agent-run wrapper),
falling back to its role name when no agent is running. Two paths:
- "client": its `LLMClient.complete` is replaced; its config is still loaded and the role
  still resolved, so a broken config fails as it would in production.
- "openrouter": its real client and OpenRouter provider run unchanged, every role routed to
  OpenRouter, and the provider's HTTP (`requests`) answered by `responses`.
Either way a `responses` mock is active while bound, so no `requests` call leaves the process.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import itertools
import json
import re
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import responses
import yaml

from harness.llm import AGENT_ROLES
from targets import base
from targets.agentleeops.checkout import AdapterError
from targets.agentleeops.modules import Loaded
from targets.agentleeops.patches import Patches

TRANSPORTS = ("client", "openrouter")

# Its role names, when no agent of ours is running (a CLI calling its client directly).
ITS_ROLES = {"planner": "architect", "coder": "coder", "reviewer": "review"}

OPENROUTER_TYPE = "openrouter_http"  # its provider type for OpenRouter in config/llm.yaml
SANDBOX_API_KEY = "sk-or-sandbox-not-a-key"

_running = threading.local()


@contextlib.contextmanager
def agent_context(agent: str) -> Iterator[None]:
    """Mark this thread as running one of its agents (for role mapping)."""
    stack = getattr(_running, "stack", None)
    if stack is None:
        stack = _running.stack = []
    stack.append(agent)
    try:
        yield
    finally:
        stack.pop()


def our_role(its_role: str | None) -> str:
    stack = getattr(_running, "stack", None)
    if stack and stack[-1] in AGENT_ROLES:
        return AGENT_ROLES[stack[-1]]
    return ITS_ROLES.get(its_role or "", its_role or "architect")


def prompt_of(messages: Any) -> str:
    """Its chat messages as one prompt text."""
    if isinstance(messages, str):
        return messages
    parts = []
    for message in messages or ():
        content = message.get("content", "") if isinstance(message, Mapping) else message
        parts.append(content if isinstance(content, str) else json.dumps(content))
    return "\n\n".join(parts)


class ModelBridge:
    """Binds its LLM layer to `llm` for one binding, by the chosen transport."""

    def __init__(self, loaded: Loaded, llm: base.LLM, transport: str) -> None:
        if transport not in TRANSPORTS:
            raise ValueError(f"unknown LLM transport {transport!r}; expected one of {', '.join(TRANSPORTS)}")
        self.loaded = loaded
        self.llm = llm
        self.transport = transport
        self._ids = itertools.count(1)
        self._mock: responses.RequestsMock | None = None

    def bind(self, patches: Patches, runtime: Path) -> None:
        """Patch (client) or configure (openrouter); start the `responses` mock either way."""
        config = self._its_config()
        if self.transport == "client":
            self._patch_client(patches)
        else:
            _write_openrouter_config(config, runtime / "config" / "llm.yaml")
        patches.setenv("OPENROUTER_API_KEY", SANDBOX_API_KEY)
        mock = responses.RequestsMock(assert_all_requests_are_fired=False)
        mock.add_callback(responses.POST, _openrouter_url(config), callback=self._openrouter_answer)
        mock.start()
        self._mock = mock

    def unbind(self) -> None:
        mock, self._mock = self._mock, None
        if mock is not None:
            mock.stop()
            mock.reset()

    # -- client path ---------------------------------------------------------------------
    def _patch_client(self, patches: Patches) -> None:
        client_cls = self.loaded.module("lib.llm.client").LLMClient
        resolve_role = self.loaded.module("lib.llm.config").resolve_role
        response_cls = self.loaded.module("lib.llm.response").LLMResponse
        bridge = self

        def complete(client: Any, role: str, messages: Any, *args: Any, **kwargs: Any) -> Any:
            role_cfg, _ = resolve_role(role, client.config)  # unknown role fails as it would
            text = bridge.llm.complete(our_role(role), prompt_of(messages))
            return response_cls(
                text=text,
                provider="scripted",
                model=getattr(role_cfg, "model", None),
                request_id=f"scripted-{next(bridge._ids)}",
            )

        patches.setattr(client_cls, "complete", complete)

    # -- openrouter path -----------------------------------------------------------------
    def _openrouter_answer(self, request: Any) -> tuple[int, dict[str, str], str]:
        try:
            payload = json.loads(request.body or b"{}")
        except ValueError:
            return 400, {}, json.dumps({"error": {"message": "invalid JSON body"}})
        prompt = prompt_of(payload.get("messages"))
        try:
            text = self.llm.complete(our_role(None), prompt)
        except LookupError as exc:  # the scripted model has nothing for this role
            return 500, {}, json.dumps({"error": {"message": str(exc)}})
        body = {
            "id": f"scripted-{next(self._ids)}",
            "model": payload.get("model", ""),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": len(prompt) // 4, "completion_tokens": len(text) // 4,
                      "total_tokens": (len(prompt) + len(text)) // 4},
        }
        return 200, {"Content-Type": "application/json"}, json.dumps(body)

    def _its_config(self) -> dict[str, Any]:
        path = self.loaded.checkout.path / "config" / "llm.yaml"
        try:
            stat = path.stat()
        except OSError:
            return {}
        return copy.deepcopy(_parsed_config(str(path), stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=4)
def _parsed_config(path: str, mtime_ns: int, size: int) -> dict[str, Any]:
    """The checkout's llm.yaml, parsed once per version of the file (every world reads it)."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def _providers(config: Mapping[str, Any]) -> dict[str, Any]:
    llm = config.get("llm") if isinstance(config.get("llm"), Mapping) else {}
    providers = llm.get("providers") if isinstance(llm.get("providers"), Mapping) else {}
    return dict(providers)


def _openrouter_url(config: Mapping[str, Any]) -> re.Pattern[str]:
    """Chat completions at any OpenRouter provider it configures, or at any openrouter.ai host."""
    alternatives = [r"https?://[^/]*openrouter\.ai/.*"]
    for entry in _providers(config).values():
        if isinstance(entry, Mapping) and entry.get("type") == OPENROUTER_TYPE and entry.get("base_url"):
            alternatives.append(re.escape(str(entry["base_url"]).rstrip("/") + "/chat/completions"))
    return re.compile("|".join(f"(?:{a})" for a in alternatives))


def _write_openrouter_config(config: Mapping[str, Any], dest: Path) -> None:
    """Its llm.yaml with every role routed to its OpenRouter provider (models kept)."""
    providers = _providers(config)
    openrouter = next(
        (pid for pid, entry in providers.items()
         if isinstance(entry, Mapping) and entry.get("type") == OPENROUTER_TYPE),
        None,
    )
    if openrouter is None:
        raise AdapterError("its config/llm.yaml has no OpenRouter provider to route roles to")
    data = json.loads(json.dumps(config))  # deep copy of plain YAML data
    for role in (data["llm"].get("roles") or {}).values():
        if isinstance(role, dict):
            role["provider"] = openrouter
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.is_symlink():
        dest.unlink()
    dest.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
