"""The fake Kanboard: one in-memory store behind two faces, faithful to real Kanboard + MetaMagik.

Public surface (other packages import only these names from `harness.kanboard`):

    FakeKanboard(board=NEWEST_BOARD, *, metamagik=True, journal=None, clock=None,
                 api_token=..., webhook_token=...)
        .project_id                      the project the board was created in
        .column_id(title) / .column_title(column_id)
        .call(method, params, actor)     the one dispatch both faces use (raises RpcError)
        .client(actor)                   Face A: in-process drop-in for kanboard.Client
        .serve() -> KanboardServer       Face B: JSON-RPC over HTTP on 127.0.0.1, free port
                                         (.url, .token, .url_for(actor), .stop(); context manager)
        .faults                          FaultPlan: error / falsy / timeout / lost, by method,
                                         occurrence number or predicate
        .add_call_hook(fn)               fn(actor, method, params) before each call is applied,
                                         in the thread that serves the call (the scheduler's turn)
        .human                           HumanActions: move, tags, metadata, delete card/link,
                                         edit title/description, create card; journaled as human
        .webhooks                        Webhooks: outbox of emitted payloads, subscribe(fn),
                                         set_url(url) (POST with ?token=)
        read-only views for checkers:    tasks(), task(id), tags(id), metadata(id), links(id),
                                         comments(id), files(id)
    NEWEST_BOARD, BA02D79_BOARD          the two AgentLeeOps boards (column titles)
"""
