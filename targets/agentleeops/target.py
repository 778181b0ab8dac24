"""The real AgentLeeOps, driven in-process behind the harness's Target interface.

Its modules are imported once per process (modules.py); each `bind()` installs them, rebinds
their globals to the new world (Kanboard client of the calling actor, HOME, LLM, sleeping,
argv) and starts its webhook handler on 127.0.0.1; `unbind()` undoes all of it. Nothing of its
behaviour is changed: its defects must show up exactly as they would in production.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import threading
import time
import traceback
from collections.abc import Iterator, Mapping, Sequence
from http.server import HTTPServer
from pathlib import Path
from typing import Any

import kanboard

from harness.audit import SandboxRefusal
from harness.journal import ENTRY, NOTE, acting_as, current_actor, is_system
from harness.steps import raised_in_target
from targets import base
from targets.agentleeops import agents, scripts
from targets.agentleeops.checkout import AdapterError, Checkout
from targets.agentleeops.llm import ModelBridge
from targets.agentleeops.modules import Loaded
from targets.agentleeops.patches import Patches
from targets.agentleeops.runtime import StopPolling, ThreadArgv, TickingTime, WorkingDir
from targets.agentleeops.webhook import WebhookPort

KB_USER = "jsonrpc"
INPROC_URL = "fake-kanboard://in-process/jsonrpc.php"  # never dialled: its Client is replaced
GIT_NAME, GIT_EMAIL = "AgentLeeOps Sandbox", "agentleeops@sandbox.invalid"
CLI_POLL_TICKS = 1  # `orchestrator.py` without --once polls; a CLI run gets this many ticks
# Outer settings that would redirect its git or its pytest subprocesses out of the sandbox.
SCRUBBED_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
                "GIT_ALTERNATE_OBJECT_DIRECTORIES", "PYTEST_ADDOPTS", "PYTEST_PLUGINS")
SINGLE_CARD_ENV = "AGENTLEEOPS_SINGLE_CARD_MODE"
# The runner an entrypoint acts as when called outside any system actor, so its work is
# never attributed to the harness (invariants only judge system actors).
DEFAULT_ACTORS = {base.WEBHOOK: "webhook", base.ORCHESTRATOR: "orchestrator", base.POLL: "poller",
                  base.CLI: "cli", base.AGENT: "cli"}

_bound_lock = threading.Lock()
_bound: AgentLeeOpsTarget | None = None  # its modules are process-wide: one bound target


class AgentLeeOpsTarget(base.Target):
    """A real AgentLeeOps checkout (either known layout) as a harness target."""

    name = "agentleeops"

    def __init__(self, loaded: Loaded, *, llm_transport: str = "client") -> None:
        super().__init__()
        checkout: Checkout = loaded.checkout
        self.loaded = loaded
        self.llm_transport = llm_transport
        self.checkout = checkout
        self.version = checkout.version
        self.description = f"real AgentLeeOps checkout at {checkout.path} ({checkout.version})"
        self.columns = checkout.columns
        self.custom_fields = base.AGENTLEEOPS_FIELDS  # the MetaMagik fields of its install (measured)
        self.triggers = checkout.triggers
        self.lock_manifest = str(loaded.module("lib.ratchet").RATCHET_FILE)
        self.fanout_cap = int(loaded.module("agents.spawner").MAX_CHILDREN_PER_EPIC)
        self.cli_scripts = (scripts.ORCHESTRATOR, *loaded.scripts)
        self.agents = agents.available(loaded)
        self.manual_agents = tuple(a for a in scripts.manual_agents(checkout.path, loaded.scripts, agents.FUNCTIONS)
                                   if a in self.agents)
        self.code_roots = (str(checkout.path),)  # the audit hook names components inside it
        self._patches = Patches()
        self._webhook: WebhookPort | None = None
        self._bridge: ModelBridge | None = None
        self._cwd: WorkingDir | None = None
        self._time = TickingTime(time)
        self._argv: ThreadArgv | None = None
        self._urls: dict[str, tuple[str, Any]] = {}

    # -- lifecycle -----------------------------------------------------------------------
    def bind(self, binding: base.Binding) -> None:
        global _bound
        if self.binding is not None:
            self.unbind()
        with _bound_lock:
            if _bound is not None:
                raise AdapterError(
                    f"another AgentLeeOps target ({_bound.checkout.path}) is bound in this "
                    "process; its modules are process-wide, unbind it first"
                )
            _bound = self
        try:
            self._bind(binding)
        except BaseException:
            self.unbind()
            raise

    def _bind(self, binding: base.Binding) -> None:
        super().bind(binding)
        self._urls = {}
        patches = self._patches
        self.loaded.install(patches)
        runtime = self._runtime_dir(binding)
        self._cwd = WorkingDir(runtime)
        self._set_env(patches, binding)
        self._rebind_globals(patches, binding)
        agents.wrap_all(self.loaded, patches, binding.journal)
        self._bridge = ModelBridge(self.loaded, binding.llm, self.llm_transport)
        self._bridge.bind(patches, runtime)
        self._argv = ThreadArgv(list(sys.argv))
        patches.setattr(sys, "argv", self._argv)
        ws = self.loaded.module("webhook_server")
        server_cls = getattr(ws, "QuietHTTPServer", None) or HTTPServer
        self._webhook = WebhookPort(server_cls, ws.WebhookHandler)

    def unbind(self) -> None:
        global _bound
        webhook, self._webhook = self._webhook, None
        bridge, self._bridge = self._bridge, None
        try:
            if webhook is not None:
                webhook.close()
            if bridge is not None:
                bridge.unbind()
        finally:
            self._patches.restore()
            self._cwd = None
            self._argv = None
            with _bound_lock:
                if _bound is self:
                    _bound = None
            super().unbind()

    @property
    def webhook_url(self) -> str | None:
        """Where its handler listens while bound (127.0.0.1, a free port). Only deliveries
        made through `deliver_webhook` are served: no thread accepts anything else."""
        return self._webhook.url if self._webhook is not None else None

    # -- entrypoints ---------------------------------------------------------------------
    def deliver_webhook(self, request: base.WebhookRequest) -> base.WebhookResponse:
        with self._entry(base.WEBHOOK) as outcome:
            assert self._webhook is not None
            response = self._webhook.deliver(request)
            if response.error:  # its handler let an exception out to the HTTP server
                outcome.update(error=response.error, where=response.where)
            return response

    def serve_webhook(self) -> bool:
        """Its own `run_server`, as `python webhook_server.py` starts it: where it binds is its
        choice (the sandbox refuses anything beyond loopback, and R2 judges the address);
        serving stops at once."""
        module = self.loaded.module("webhook_server")
        run_server = getattr(module, "run_server", None)
        server_cls = getattr(module, "QuietHTTPServer", None) or HTTPServer
        if run_server is None:
            return False
        port = 0  # the OS picks a free one: no clash, and the journal records the same every run
        with self._entry(base.WEBHOOK, server=True):
            saved = server_cls.serve_forever
            server_cls.serve_forever = lambda server, *a, **k: server.server_close()
            try:
                run_server(port=port)
            except SandboxRefusal:
                return False
            finally:
                server_cls.serve_forever = saved
        return True

    def handle_event(self, event: Mapping[str, Any]) -> None:
        with self._entry(base.WEBHOOK, contain=True, parsed=True):
            handler_cls = self.loaded.module("webhook_server").WebhookHandler
            handler_cls.process_event(handler_cls.__new__(handler_cls), event)

    def orchestrator_pass(self) -> None:
        with self._entry(base.ORCHESTRATOR, contain=True):
            orchestrator = self.loaded.module("orchestrator")
            orchestrator.run_once(orchestrator.connect_kb(), project_id=self._binding().project_id)

    def poll(self, ticks: int) -> None:
        if ticks <= 0:
            return
        with self._entry(base.POLL, contain=True, ticks=ticks):
            orchestrator = self.loaded.module("orchestrator")
            kb = orchestrator.connect_kb()
            with self._time.budget(ticks), contextlib.suppress(StopPolling):
                orchestrator.run_polling(kb, project_id=self._binding().project_id)

    def cli(self, script: str, args: Sequence[str]) -> int:
        if script not in self.cli_scripts:
            reason = scripts.NOT_DRIVABLE.get(script)
            why = f"not driven: {reason}" if reason else f"drivable scripts: {', '.join(self.cli_scripts)}"
            raise AdapterError(f"AgentLeeOps {self.version} script {script!r} {why}")
        module = (
            self.loaded.module("orchestrator") if script == scripts.ORCHESTRATOR
            else self.loaded.scripts[script]
        )
        with self._entry(base.CLI, script=script, args=list(args)) as outcome:
            assert self._argv is not None
            with self._argv.using([script, *args]), self._time.budget(CLI_POLL_TICKS):
                status, crash = _exit_status(module.main)
            if crash is not None:  # the script died of an exception (a traceback, exit 1)
                outcome.update(error=_error_line(crash), where=raised_in_target(crash) or "?")
            return status

    def cli_argv(self, script: str, task_id: int) -> list[str]:
        return scripts.default_argv(script, task_id, self._binding().project_id)

    def run_agent(self, agent: str, task_id: int) -> Any:
        binding = self._binding()
        if agent not in self.agents:
            binding.journal.record(NOTE, {"text": f"AgentLeeOps {self.version} has no {agent} agent; nothing run"})
            return None
        with self._entry(base.AGENT, contain=True, agent=agent, task_id=task_id):
            kb = self.loaded.module("orchestrator").connect_kb()
            kwargs = agents.call_args(self.loaded, agent, kb, int(task_id), binding.project_id)
            if kwargs is None:
                binding.journal.record(NOTE, {"text": f"card #{task_id} missing or without valid fields; {agent} not run"})
                return None
            module, fn = agents.FUNCTIONS[agent]
            return getattr(self.loaded.module(module), fn)(**kwargs)

    def unlock(self, task_id: int, rel: str, reason: str) -> bool:
        """Its own explicit unlock, `lib.ratchet.unlock_artifact`, on the card's workspace
        (only one that resolves inside the sandbox's projects folder)."""
        binding = self._binding()
        fields_mod = self.loaded.module("lib.task_fields")
        try:
            dirname = str(fields_mod.get_task_fields(binding.kanboard(current_actor()), int(task_id))["dirname"])
        except Exception:  # its own field errors, or Kanboard failing: nothing unlocked
            return False
        projects = (binding.home / "projects").resolve()
        workspace = (projects / dirname).resolve()
        if not dirname or not workspace.is_relative_to(projects) or workspace == projects:
            return False
        return bool(self.loaded.module("lib.ratchet").unlock_artifact(workspace, rel, reason))

    # -- declarations --------------------------------------------------------------------
    def locked_artifacts(self, workspace: Path) -> dict[str, str]:
        """Entries its ratchet manifest marks LOCKED, with their recorded sha256."""
        try:
            data = json.loads((workspace / self.lock_manifest).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        artifacts = data.get("artifacts") if isinstance(data, dict) else None
        if not isinstance(artifacts, dict):
            return {}
        return {
            str(rel): entry["hash"]
            for rel, entry in sorted(artifacts.items())
            if isinstance(entry, dict) and entry.get("status") == "LOCKED" and isinstance(entry.get("hash"), str)
        }

    # -- binding the world ---------------------------------------------------------------
    def _binding(self) -> base.Binding:
        if self.binding is None:
            raise AdapterError("AgentLeeOps target is not bound to a world (call bind first)")
        return self.binding

    @contextlib.contextmanager
    def _entry(self, entrypoint: str, contain: bool = False, **detail: Any) -> Iterator[dict[str, Any]]:
        """Around every entrypoint: journal it, date git by the world's clock, enter the runtime dir.

        `contain`: an Exception (or SystemExit) escaping its code ends that runner the way it
        ends its process: traceback on stderr, the error's last line in the ENTRY end event,
        and the harness carries on. Other BaseExceptions (the scheduler aborting a run,
        KeyboardInterrupt) always propagate."""
        binding = self._binding()
        assert self._cwd is not None
        stamp = f"{int(binding.clock())} +0000"
        os.environ["GIT_AUTHOR_DATE"] = os.environ["GIT_COMMITTER_DATE"] = stamp
        actor = current_actor() if is_system(current_actor()) else DEFAULT_ACTORS[entrypoint]
        outcome: dict[str, Any] = {}
        with acting_as(actor):
            binding.journal.record(ENTRY, {"entrypoint": entrypoint, "phase": "start", **detail})
            try:
                with self._cwd.inside():
                    yield outcome
            except BaseException as exc:
                escaped = isinstance(exc, (Exception, SystemExit))
                if escaped:  # a scheduler abort or a Ctrl-C is not the target's doing
                    outcome.update(error=_error_line(exc), where=raised_in_target(exc) or "?")
                if not (contain and escaped):
                    raise
                traceback.print_exc()
            finally:
                binding.journal.record(ENTRY, {"entrypoint": entrypoint, "phase": "end", **outcome})

    def _runtime_dir(self, binding: base.Binding) -> Path:
        """Its working directory in the sandbox: its prompts/ and config/ files, linked in.

        Relative writes it makes (work-packages/, .agentleeops/ traces without a workspace)
        land here, inside the sandbox temp, instead of in the checkout."""
        runtime = binding.tmp / "agentleeops-runtime"
        if runtime.exists():
            shutil.rmtree(runtime)
        runtime.mkdir(parents=True)
        root = self.checkout.path
        if (root / "prompts").is_dir():
            (runtime / "prompts").symlink_to(root / "prompts", target_is_directory=True)
        config = runtime / "config"
        config.mkdir()
        if (root / "config").is_dir():
            for item in sorted((root / "config").iterdir()):
                (config / item.name).symlink_to(item)
        return runtime

    def _set_env(self, patches: Patches, binding: base.Binding) -> None:
        gitconfig = binding.tmp / "agentleeops-gitconfig"
        gitconfig.write_text(
            f"[user]\n\tname = {GIT_NAME}\n\temail = {GIT_EMAIL}\n"
            "[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n",
            encoding="utf-8",
        )
        stamp = f"{int(binding.clock())} +0000"
        venv_bin = os.path.dirname(sys.executable)  # its pytest subprocess runs `python3`
        for name in SCRUBBED_ENV:
            patches.delenv(name)
        env = {
            "HOME": str(binding.home),
            "KANBOARD_URL": binding.kanboard_url or INPROC_URL,
            "KANBOARD_USER": KB_USER,
            "KANBOARD_TOKEN": binding.kanboard_token,
            SINGLE_CARD_ENV: "0",
            "GIT_CONFIG_GLOBAL": str(gitconfig),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_TERMINAL_PROMPT": "0",
            # A workspace without .git must not find a repository above the sandbox.
            "GIT_CEILING_DIRECTORIES": os.pathsep.join([str(binding.home), str(binding.tmp)]),
            "GIT_AUTHOR_DATE": stamp,
            "GIT_COMMITTER_DATE": stamp,
            "TMPDIR": str(binding.tmp),
            # Its pytest subprocesses must not load our venv's plugins (hypothesis, xdist,
            # pyfakefs): its requirements have bare pytest, and autoloading costs ~1.5 s a run.
            "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
            # No CA bundle: nothing in the sandbox may speak TLS, and the kanboard library
            # builds an SSL context per call even for http:// (40-60 ms each with the bundle).
            "SSL_CERT_FILE": str(binding.tmp / "no-ca-bundle.pem"),
            "SSL_CERT_DIR": str(binding.tmp / "no-ca-dir"),
            "PATH": os.pathsep.join([venv_bin, os.environ.get("PATH", "")]),
            **dict(binding.env),
        }
        for name, value in env.items():
            patches.setenv(name, str(value))
        if shutil.which("git") is None:
            raise AdapterError("git is not on PATH; AgentLeeOps runs git for workspaces and Ralph")

    def _rebind_globals(self, patches: Patches, binding: base.Binding) -> None:
        """Module globals it read from the environment at import, and its Kanboard client."""
        single_card = os.environ.get(SINGLE_CARD_ENV, "0").strip().lower() in {"1", "true", "yes", "on"}
        factory = self._client_factory
        for module in self.loaded.every_module():
            own = vars(module)
            for name, value in (("KB_URL", os.environ["KANBOARD_URL"]), ("KB_USER", KB_USER),
                                ("KB_TOKEN", binding.kanboard_token)):
                if name in own:
                    patches.setattr(module, name, value)
            if own.get("Client") is kanboard.Client:
                patches.setattr(module, "Client", factory)
        orchestrator = self.loaded.module("orchestrator")
        patches.setattr(orchestrator, "time", self._time)
        if "SINGLE_CARD_MODE" in vars(orchestrator):
            patches.setattr(orchestrator, "SINGLE_CARD_MODE", single_card)
            patches.setattr(orchestrator, "_SINGLE_CARD_ADAPTER", None)
        logger_mod = self.loaded.modules.get("lib.logger")
        handler = getattr(logger_mod, "handler", None)
        if handler is not None and hasattr(handler, "stream"):
            patches.setattr(handler, "stream", _CurrentStdout())

    def _client_factory(self, url: str, username: str, password: str, *args: Any, **kwargs: Any) -> Any:
        """Stands in for `kanboard.Client` in its modules: the client of the calling actor.

        HTTP face: the real `kanboard` library, with the user and token its code passes, to the
        fake's endpoint for this actor. In-process face: the fake's drop-in client."""
        binding = self._binding()
        actor = current_actor()
        if binding.kanboard_url:
            endpoint, timeout = self._http_endpoint(binding, actor)
            if not args and "timeout" not in kwargs and timeout is not None:
                kwargs["timeout"] = timeout
            return kanboard.Client(endpoint, username, password, *args, **kwargs)
        return binding.kanboard(actor)

    def _http_endpoint(self, binding: base.Binding, actor: str) -> tuple[str, Any]:
        """The fake's endpoint that attributes calls to `actor`, and the world's client timeout.

        Read from the world's own HTTP client for that actor, so no URL scheme is assumed.
        Its code passes no timeout (the library's 30 s); the world's is used instead, so a
        planned timeout fault costs seconds, not half a minute."""
        found = self._urls.get(actor)
        if found is None:
            probe = binding.kanboard(actor)
            url = getattr(probe, "_url", None)
            found = self._urls[actor] = (
                url if isinstance(url, str) and url else str(binding.kanboard_url),
                getattr(probe, "_timeout", None),
            )
        return found


class _CurrentStdout:
    """Its logger writes to the stdout of the moment (not the one captured at import)."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


def _exit_status(main: Any) -> tuple[int, BaseException | None]:
    """Run a script's main() as `python script.py` would end: its exit status, and the
    exception it died of (the traceback Python would print), if any."""
    try:
        code = main()
    except SystemExit as exc:
        code = exc.code
    except StopPolling:
        return 0, None  # the polling loop was stopped after its ticks, like Ctrl+C
    except Exception as exc:
        traceback.print_exc()
        return 1, exc
    if code is None:
        return 0, None
    if isinstance(code, bool):
        return int(code), None
    if isinstance(code, int):
        return code, None
    print(code, file=sys.stderr)
    return 1, None


def _error_line(exc: BaseException) -> str:
    return traceback.format_exception_only(type(exc), exc)[-1].strip()
