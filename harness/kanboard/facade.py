"""FakeKanboard: one store, one lock, one dispatch (`call`) behind both faces.

Every operation reads the clock once, runs under the store lock, journals what happened
(CALL with its outcome, or HUMAN), journals the webhooks it emitted, then - after the lock
is released - hands them to the immediate sinks. Call hooks run before the lock is taken,
in the thread serving the call, so a scheduler can hold a runner there.
"""

from __future__ import annotations

import hmac
import threading
from collections.abc import Callable
from typing import Any

from harness.journal import (
    CALL,
    ERROR,
    FALSY,
    HUMAN,
    HUMAN_ACTOR,
    LOST,
    OK,
    TIMEOUT,
    Journal,
    current_actor,
    is_system,
)
from harness.kanboard import boards, methods, php, rpc
from harness.kanboard import comments as comment_model
from harness.kanboard import files as file_model
from harness.kanboard import links as link_model
from harness.kanboard import metadata as meta_model
from harness.kanboard import tags as tag_model
from harness.kanboard.clock import StepClock
from harness.kanboard.errors import NotModelled, RpcError
from harness.kanboard.events import Context
from harness.kanboard.faults import UNSET, FaultPlan, TransportFault
from harness.kanboard.human import HumanActions
from harness.kanboard.server import DEFAULT_HTTP_TIMEOUT, KanboardServer
from harness.kanboard.store import Store
from harness.kanboard.webhooks import Webhooks
from harness.where import UNKNOWN, here

DEFAULT_API_TOKEN = "fake-kanboard-api-token"
DEFAULT_WEBHOOK_TOKEN = "webhook-secret"
SYSTEM_ACTOR = "system"

CallHook = Callable[[str, str, Any], None]
# (column titles, metamagik, clock reading) -> (the store just after set-up, its project id)
_BUILT_BOARDS: dict[tuple[tuple[str, ...], bool, int], tuple[Store, int]] = {}


class FakeKanboard:
    """Kanboard + MetaMagik in memory. `board=None`: an empty install (no project)."""

    def __init__(
        self,
        board: tuple[str, ...] | list[str] | None = boards.NEWEST_BOARD,
        *,
        metamagik: bool = True,
        journal: Journal | None = None,
        clock: Callable[[], float] | None = None,
        api_token: str = DEFAULT_API_TOKEN,
        webhook_token: str = DEFAULT_WEBHOOK_TOKEN,
    ) -> None:
        self.metamagik = metamagik
        self.journal = journal if journal is not None else Journal()
        self.clock = clock if clock is not None else StepClock()
        self.api_token = api_token
        self.faults = FaultPlan()
        self.gaps: list[str] = []  # calls real Kanboard answers that the fake does not model
        self.webhooks = Webhooks(self.journal, webhook_token)
        self.human = HumanActions(self)
        self.project_id: int | None = None
        self._lock = threading.RLock()
        self._hooks: list[CallHook] = []
        self._servers: list[Any] = []
        if board is not None:
            self._create_board(tuple(board))
        else:
            self.store = Store()

    @property
    def webhook_token(self) -> str:
        return self.webhooks.token

    # --- set-up -----------------------------------------------------------------------

    def _create_board(self, titles: tuple[str, ...]) -> None:
        """As the recording (and AgentLeeOps' setup script) does: project, clear, add.

        Built once per (board, MetaMagik, time) and copied after: a world is made per example."""
        now = int(self.clock())
        built = _BUILT_BOARDS.get((titles, self.metamagik, now))
        if built is not None:
            self.store, self.project_id = built[0].copy(), built[1]
            return
        self.store = Store()
        ctx = Context(self.store, now, self.metamagik, 0)
        project_id = methods.dispatch(ctx, "createProject", {"name": boards.PROJECT_NAME})
        for column in methods.dispatch(ctx, "getColumns", {"project_id": project_id}):
            methods.dispatch(ctx, "removeColumn", {"column_id": column["id"]})
        for title in titles:
            methods.dispatch(ctx, "addColumn", {"project_id": project_id, "title": title})
        self.project_id = project_id
        if len(_BUILT_BOARDS) >= 16:  # a clock that does not restart per world: no reuse
            _BUILT_BOARDS.clear()
        _BUILT_BOARDS[(titles, self.metamagik, now)] = (self.store.copy(), project_id)

    def add_custom_field(self, name: str, *, required: bool = False, project_id: int = 0) -> int:
        """Declare a MetaMagik custom field (project_id 0: every project)."""
        if not self.metamagik:
            raise ValueError("custom fields need MetaMagik (FakeKanboard(metamagik=True))")
        with self._lock:
            return meta_model.add_custom_field(self.store, name, required=required, project_id=project_id)

    def add_user(self, username: str, password: str, *, role: str = "app-user") -> int:
        """A Kanboard user who may sign JSON-RPC calls with their own name and password."""
        with self._lock:
            user_id = self.store.insert("users", {"username": username, "role": role})
            self.store.passwords[user_id] = password
            return user_id

    def identify(self, username: str, password: str) -> int | None:
        """Who a Basic-auth pair is, as Kanboard's API middleware decides: 0 for the app
        (`jsonrpc` and the API token), a user's id for their own name and password, None
        for nobody (HTTP 401)."""
        if username == boards.API_USER and hmac.compare_digest(password.encode(), self.api_token.encode()):
            return 0
        with self._lock:
            found = self.store["users"].where(username=username, is_active=1)
            if found and hmac.compare_digest(password.encode(), self.store.passwords.get(found[0]["id"], "").encode()):
                return found[0]["id"]
        return None

    def column_id(self, title: str) -> int:
        """The id of the board column with this title."""
        with self._lock:
            found = self.store["columns"].where(project_id=self.project_id, title=title)
        if not found:
            raise ValueError(f"no column titled {title!r} on the board")
        return found[0]["id"]

    def column_title(self, column_id: int) -> str | None:
        with self._lock:
            column = self.store["columns"].get(column_id)
        return column["title"] if column else None

    # --- the one dispatch -------------------------------------------------------------

    def add_call_hook(self, fn: CallHook) -> CallHook:
        """fn(actor, method, params) runs before each call is applied, in the serving thread."""
        self._hooks.append(fn)
        return fn

    def remove_call_hook(self, fn: CallHook) -> None:
        if fn in self._hooks:
            self._hooks.remove(fn)

    def call(self, method: str, params: Any = None, actor: str | None = None, user_id: int = 0) -> Any:
        """Apply one JSON-RPC call as `actor`, signed by the app (`user_id` 0) or a user;
        raises RpcError (an error answer) or TransportFault (planned timeout/lost: the
        client must get no answer)."""
        actor = actor if actor is not None else current_actor()
        for hook in list(self._hooks):
            hook(actor, method, params)
        with self._lock:
            fault = self.faults.consult(method, params)
            kind = fault.kind if fault else None
            ctx = self._context(user_id)
            record: dict[str, Any] = {"method": method, "params": params, "fault": kind}
            where = here() if is_system(actor) else UNKNOWN
            if where != UNKNOWN:  # the target's code that made the call, for findings
                record["where"] = where
            outcome_error: RpcError | None = None
            result: Any = None
            if kind is None or kind == LOST:
                try:
                    result = methods.dispatch(ctx, method, params)
                    record |= {"outcome": LOST if kind else OK, "result": result}
                except RpcError as error:
                    outcome_error = error
                    record |= {"outcome": LOST if kind else ERROR, "error": error.to_json()}
                except NotModelled as gap:  # the machine ends the run on it after the step
                    self.gaps.append(f"{method}: {gap}")
                    self.journal.record(CALL, record | {"outcome": "not modelled"}, actor=actor)
                    raise
            elif kind == ERROR:
                outcome_error = RpcError(fault.code, fault.message, fault.data)
                record |= {"outcome": ERROR, "error": outcome_error.to_json()}
            elif kind == FALSY:
                result = self._falsy(method) if fault.value is UNSET else fault.value
                record |= {"outcome": FALSY, "result": result}
            else:
                record |= {"outcome": TIMEOUT}
            self.journal.record(CALL, record, actor=actor)
            payloads = self._publish(ctx, actor)
        self.webhooks.deliver(payloads)
        if kind in (TIMEOUT, LOST):
            raise TransportFault(kind, result)
        if outcome_error is not None:
            raise outcome_error
        return result

    def handle(self, body: bytes, actor: str, user_id: int | None = 0) -> rpc.Answer:
        """One HTTP request body, answered as Kanboard's jsonrpc.php (both faces use it);
        `user_id` is `identify`'s answer for its credentials (None: HTTP 401)."""
        return rpc.handle(body, user_id is not None,
                          lambda method, params: self.call(method, params, actor, user_id or 0))

    def _falsy(self, method: str) -> Any:
        proc = methods.lookup(method, self.metamagik)
        value = proc.falsy if proc else None
        return value.copy() if isinstance(value, (list, dict)) else value

    def _context(self, user_id: int = 0) -> Context:
        return Context(self.store, int(self.clock()), self.metamagik, user_id)

    def _publish(self, ctx: Context, actor: str) -> list[dict[str, Any]]:
        author = None
        if ctx.logged_in:
            user = self.store["users"].get(ctx.user_id)
            author = user["username"] if user else None
        payloads = [{"event_name": name, "event_data": data, "event_author": author}
                    for name, data in ctx.emitted]
        self.webhooks.record(payloads, actor)
        return payloads

    def _human(self, action: str, task_id: int | None, act: Callable[[Context], Any], **details: Any) -> Any:
        """Run a human action as the logged-in admin; journal it; publish its webhooks."""
        with self._lock:
            ctx = self._context(user_id=boards.ADMIN_USER_ID)
            result = act(ctx)
            record = {"action": action, "task_id": task_id if task_id is not None else result}
            self.journal.record(HUMAN, record | details | {"result": result}, actor=HUMAN_ACTOR)
            payloads = self._publish(ctx, HUMAN_ACTOR)
        self.webhooks.deliver(payloads)
        return result

    # --- the two faces ----------------------------------------------------------------

    def client(self, actor: str | None = SYSTEM_ACTOR) -> Any:
        """Face A: an in-process drop-in for kanboard.Client (actor None: the calling thread's)."""
        from harness.kanboard.client import FakeClient

        return FakeClient(self, actor)

    def client_factory(self, actor: str | None = SYSTEM_ACTOR) -> Callable[..., Any]:
        """A stand-in for the kanboard.Client class: (url, username, password, ...) -> client.
        Wrong credentials give the same 401 errors as over HTTP."""
        from harness.kanboard.client import FakeClient

        def make(url: str = "", username: str = boards.API_USER, password: str = "", *_: Any, **__: Any) -> Any:
            return FakeClient(self, actor, username=username, password=password)

        return make

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> Any:
        """Face B: start a JSON-RPC HTTP server (stop it, or use it as a context manager)."""
        server = KanboardServer(self, host, port)
        self._servers.append(server)
        return server

    def http_client(self, actor: str = SYSTEM_ACTOR, timeout: float = DEFAULT_HTTP_TIMEOUT) -> Any:
        """A real kanboard.Client for the most recently started server."""
        running = [s for s in self._servers if s.running]
        if not running:
            raise RuntimeError("no server running: call FakeKanboard.serve() first")
        return running[-1].http_client(actor, timeout=timeout)

    # --- read-only views for checkers --------------------------------------------------

    def tasks(self, active_only: bool = True) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(t) for t in self.store["tasks"].scan() if not active_only or t["is_active"] == 1]

    def task(self, task_id: int) -> dict[str, Any] | None:
        with self._lock:
            task = self.store["tasks"].get(task_id)
            return dict(task) if task else None

    def tags(self, task_id: int) -> list[str]:
        with self._lock:
            return [php.to_str(name) for name in tag_model.task_tags(self.store, task_id).values()]

    def metadata(self, task_id: int) -> dict[str, str]:
        with self._lock:
            return dict(meta_model.all_metadata(self.store, task_id))

    def links(self, task_id: int) -> list[dict[str, Any]]:
        with self._lock:
            return link_model.links_of(self.store, task_id)

    def comments(self, task_id: int) -> list[dict[str, Any]]:
        with self._lock:
            return comment_model.comments_of(self.store, task_id)

    def files(self, task_id: int) -> list[dict[str, Any]]:
        with self._lock:
            return file_model.files_of(self.store, task_id)

    def method_names(self) -> list[str]:
        """Every JSON-RPC method this fake answers."""
        return methods.names(self.metamagik)
