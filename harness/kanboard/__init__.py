"""The fake Kanboard: one in-memory store behind two faces, faithful to real Kanboard + MetaMagik.

Public surface (other packages import only these names from `harness.kanboard`):

    FakeKanboard(board=NEWEST_BOARD, *, metamagik=True, journal=None, clock=None,
                 api_token=DEFAULT_API_TOKEN, webhook_token=DEFAULT_WEBHOOK_TOKEN)
        board=None gives an empty install (no project); clock() -> epoch seconds, read once
        per operation (default: StepClock, deterministic, never the wall clock)
        .project_id                      the project the board was created in
        .column_id(title) / .column_title(column_id)
        .add_custom_field(name, required=False, project_id=0)   MetaMagik custom field
        .add_user(username, password, role="app-user") -> id
                                         a user who may sign calls with their own name and
                                         password (admin/admin exists); such calls carry the
                                         user as event_author and reach only projects the
                                         user is a member of (else HTTP 403)
        .identify(username, password)    0 (app token), a user id, or None (HTTP 401)
        .call(method, params=None, actor=None, user_id=0)
                                         the one dispatch both faces use; returns the result,
                                         raises RpcError (an error answer) or TransportFault
                                         (planned timeout/lost); journals a CALL event
        .client(actor="system")          Face A: in-process drop-in for kanboard.Client
                                         (actor=None: the calling thread's current_actor())
        .client_factory(actor)           stand-in for the kanboard.Client class (url, user, token)
        .serve(host="127.0.0.1", port=0) -> KanboardServer
                                         Face B: JSON-RPC over HTTP (.url, .token, .user,
                                         .url_for(actor), .http_client(actor, timeout), .stop(),
                                         context manager)
        .http_client(actor, timeout=DEFAULT_HTTP_TIMEOUT)  real kanboard.Client, last server
        .faults                          FaultPlan: .error/.falsy/.timeout/.lost(method, nth=,
                                         when=predicate(method, params), times=1, ...)
        .add_call_hook(fn) / .remove_call_hook(fn)
                                         fn(actor, method, params) before each call is applied,
                                         in the thread that serves the call (the scheduler's turn)
        .human                           HumanActions: move, set/add/remove_tags, set/delete_metadata,
                                         delete_card, delete_link, edit_title, edit_description,
                                         close_card, open_card, create_card; journaled as "human";
                                         forms post what the web UI posts (HumanRefused: the
                                         UI refuses, nothing changes)
        .webhooks                        Webhooks: .drain()/.outbox of emitted payloads,
                                         .subscribe(fn), .set_url(url) (POST with ?token=)
        .journal                         the Journal it writes CALL/HUMAN/WEBHOOK events to
        read-only views for checkers:    tasks(active_only=True), task(id), tags(id) -> [str],
                                         metadata(id) -> {str: str}, links(id), comments(id),
                                         files(id); method_names()
    NEWEST_BOARD, BA02D79_BOARD          the two AgentLeeOps boards (column titles)
    RpcError, TransportFault, FaultPlan, KanboardServer, StepClock, DEFAULT_HTTP_TIMEOUT

HTTP clients made by the harness use DEFAULT_HTTP_TIMEOUT (1 s): a planned `timeout` over
HTTP withholds the answer until that client gives up (then the real client raises
ClientError("timed out") from TimeoutError; a `lost` answer: ClientError from
http.client.RemoteDisconnected; Face A raises exactly the same).
`harness.kanboard.server.plain_http_only()` makes the real client ~10x faster against the
fake (kanboard 1.1.8 loads the CA bundle on every call, even for http://).
"""

from harness.kanboard.boards import BA02D79_BOARD, NEWEST_BOARD
from harness.kanboard.clock import StepClock
from harness.kanboard.errors import RpcError
from harness.kanboard.facade import (
    DEFAULT_API_TOKEN,
    DEFAULT_HTTP_TIMEOUT,
    DEFAULT_WEBHOOK_TOKEN,
    FakeKanboard,
)
from harness.kanboard.faults import FaultPlan, TransportFault
from harness.kanboard.human import HumanRefused
from harness.kanboard.server import KanboardServer

__all__ = [
    "BA02D79_BOARD",
    "DEFAULT_API_TOKEN",
    "DEFAULT_HTTP_TIMEOUT",
    "DEFAULT_WEBHOOK_TOKEN",
    "NEWEST_BOARD",
    "FakeKanboard",
    "FaultPlan",
    "HumanRefused",
    "KanboardServer",
    "RpcError",
    "StepClock",
    "TransportFault",
]
