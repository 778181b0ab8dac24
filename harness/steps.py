"""Steps: the harness's actions as plain data, applied to a World.

Machines draw steps; replay files store them; regression tests re-apply them. Keeping the
action language apart from Hypothesis is what makes a shrunk failure replayable without
Hypothesis and readable in the board's own words.
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import time_machine

from harness import tricks
from harness.journal import ENTRY, HUMAN, HUMAN_ACTOR, NOTE, STEP, TRICK, acting_as, current_actor
from harness.kanboard import HumanRefused
from harness.kanboard.errors import FakeGap, NotModelled
from harness.snapshot import file_state
from harness.world import World
from targets.base import WebhookRequest

TRIGGER_EVENTS = ("task.move.column", "task.create")


@dataclass(frozen=True)
class Step:
    rule: str
    args: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "args": dict(self.args)}


@dataclass
class Applied:
    """What a step did: its board-language line, and values later steps may refer to."""

    text: str
    card: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class StepError(Exception):
    """A step that cannot be applied to this world (e.g. a replay file for another board)."""


Action = Callable[[World, Mapping[str, Any]], Applied]
ACTIONS: dict[str, Action] = {}


def action(name: str) -> Callable[[Action], Action]:
    def register(fn: Action) -> Action:
        ACTIONS[name] = fn
        return fn

    return register


def recorded_args(args: Mapping[str, Any]) -> dict[str, Any]:
    """A step's arguments as traces and the journal keep them: live ones (a race's `choose`)
    are how a step runs, not what it was, and cannot cross a process or go into JSON."""
    return {k: v for k, v in args.items() if not callable(v)}


def apply(world: World, step: Step) -> Applied:
    """Apply one step: tick the clock, journal it, run it as its actor, return its line."""
    fn = ACTIONS.get(step.rule)
    if fn is None:
        raise StepError(f"unknown step {step.rule!r}; known: {', '.join(sorted(ACTIONS))}")
    world.clock.tick()
    world.journal.step += 1
    event = world.journal.record(STEP, {"rule": step.rule, "args": recorded_args(step.args)})
    try:
        # the target's own clock reads the world's (dates in its file names, its logs and
        # its records): the same run gives the same artifacts. time-machine, not freezegun:
        # 0.006 ms a step instead of 5, and it leaves the monotonic clock the budgets use
        with time_machine.travel(world.clock(), tick=False):
            applied = fn(world, step.args)
    except HumanRefused as exc:  # Kanboard's own UI refuses this mis-click: nothing happens
        applied = Applied(f"{step.rule} refused by Kanboard ({exc})")
    world.journal.record(NOTE, {"text": applied.text, "step_seq": event.seq})
    return applied


def apply_modelled(world: World, step: Step) -> Applied:
    """Apply one step, as long as every call it made is one the fake models: one it does
    not (NotModelled, which the target cannot catch, or a gap it swallowed) is FakeGap."""
    try:
        applied = apply(world, step)
    except NotModelled:
        applied = None
    if world.kanboard.gaps:
        raise FakeGap(f"the fake Kanboard does not model {world.kanboard.gaps[0]}")
    assert applied is not None
    return applied


# -- human actions on the board ---------------------------------------------------------------
@action("create_card")
def _create_card(world: World, a: Mapping[str, Any]) -> Applied:
    with acting_as(HUMAN_ACTOR):
        task_id = world.kanboard.human.create_card(
            title=a["title"],
            column=world.title_now(a.get("column", world.target.columns[0])),
            description=a.get("description", ""),
            metadata=dict(a.get("metadata", {})),
            tags=list(a.get("tags", [])),
        )
    return Applied(f'card #{task_id} "{_short(a["title"])}" created in {a.get("column", world.target.columns[0])}', card=task_id)


@action("move")
def _move(world: World, a: Mapping[str, Any]) -> Applied:
    column = world.title_now(a["column"])
    with acting_as(HUMAN_ACTOR):
        world.kanboard.human.move(a["card"], column)
    return Applied(f"card #{a['card']} moved to {column}", card=a["card"])


@action("rename_column")
def _rename_column(world: World, a: Mapping[str, Any]) -> Applied:
    """Someone renames a board column (case, number prefix, spaces): the id stays."""
    column, title = str(a["column"]), str(a["to"])
    before = world.title_now(column)
    if title in world.renamed.values() or title in world.target.columns:
        return Applied(f"column {before} not renamed to {title!r} (the title is taken)")
    with acting_as(HUMAN_ACTOR):
        done = world.kanboard.human.rename_column(before, title)
    if done:
        world.renamed[column] = title
        return Applied(f"column {before} renamed to {title!r}")
    return Applied(f"column {before} could not be renamed to {title!r}")


@action("set_metadata")
def _set_metadata(world: World, a: Mapping[str, Any]) -> Applied:
    with acting_as(HUMAN_ACTOR):
        world.kanboard.human.set_metadata(a["card"], {a["name"]: a["value"]})
    return Applied(f"card #{a['card']} field {a['name']} set to {_short(a['value'])!r}", card=a["card"])


@action("delete_metadata")
def _delete_metadata(world: World, a: Mapping[str, Any]) -> Applied:
    with acting_as(HUMAN_ACTOR):
        world.kanboard.human.delete_metadata(a["card"], a["name"])
    return Applied(f"card #{a['card']} field {a['name']} deleted", card=a["card"])


@action("set_tags")
def _set_tags(world: World, a: Mapping[str, Any]) -> Applied:
    with acting_as(HUMAN_ACTOR):
        world.kanboard.human.set_tags(a["card"], list(a["tags"]))
    tags = ", ".join(a["tags"]) or "none"
    return Applied(f"card #{a['card']} tags set to [{tags}]", card=a["card"])


@action("delete_card")
def _delete_card(world: World, a: Mapping[str, Any]) -> Applied:
    with acting_as(HUMAN_ACTOR):
        world.kanboard.human.delete_card(a["card"])
    return Applied(f"card #{a['card']} deleted", card=a["card"])


@action("delete_link")
def _delete_link(world: World, a: Mapping[str, Any]) -> Applied:
    links = world.kanboard.links(a["card"])
    if not links:
        return Applied(f"card #{a['card']} has no link to delete", card=a["card"])
    link = links[a.get("index", 0) % len(links)]
    with acting_as(HUMAN_ACTOR):
        world.kanboard.human.delete_link(link["id"])
    return Applied(f"link between card #{a['card']} and card #{link['task_id']} deleted", card=a["card"])


@action("edit_title")
def _edit_title(world: World, a: Mapping[str, Any]) -> Applied:
    with acting_as(HUMAN_ACTOR):
        world.kanboard.human.edit_title(a["card"], a["title"])
    return Applied(f"card #{a['card']} title changed to {_short(a['title'])!r}", card=a["card"])


@action("edit_description")
def _edit_description(world: World, a: Mapping[str, Any]) -> Applied:
    with acting_as(HUMAN_ACTOR):
        world.kanboard.human.edit_description(a["card"], a["description"])
    return Applied(f"card #{a['card']} description changed", card=a["card"])


@action("unlock")
def _unlock(world: World, a: Mapping[str, Any]) -> Applied:
    """A person reopens an approved artifact with the target's own unlock tool; only an
    unlock the target confirms is journalled (the invariants then release that lock)."""
    card, rel = int(a["card"]), str(a["path"])
    reason = str(a.get("reason") or "reopened by hand")
    with acting_as(HUMAN_ACTOR):
        done = world.target.unlock(card, rel, reason)
        if done:
            world.journal.record(HUMAN, {"action": "unlock", "task_id": card, "paths": [rel], "reason": reason})
    if done:
        return Applied(f"card #{card}: {rel} unlocked by hand ({reason})", card=card)
    return Applied(f"card #{card}: unlocking {rel} by hand changed nothing (not locked, or refused)", card=card)


# -- the target's entrypoints -----------------------------------------------------------------
def entry(world: World, entrypoint: str, call: Callable[[], Any]) -> Any:
    """Call one of the target's entrypoints. An exception out of the target's own code is
    what its process would die of: journalled (R1 judges it) and the world goes on. One that
    did not come out of the target's code is the harness's, and is raised."""
    try:
        return call()
    except Exception as exc:
        where = raised_in_target(exc)
        if where is None:
            raise
        error = traceback.format_exception_only(type(exc), exc)[-1].strip()
        world.journal.record(ENTRY, {"entrypoint": entrypoint, "phase": "end", "error": error,
                                     "where": where, "escaped": True})
        return None


def raised_in_target(exc: BaseException) -> str | None:
    """The target's frame an exception came out of ("module:function"), None if none."""
    from harness.where import UNKNOWN, active_roots, component

    roots = active_roots()
    frames = [frame for frame, _ in traceback.walk_tb(exc.__traceback__)]
    if roots is None or not frames:
        return None
    where = component(list(reversed(frames)), roots)
    return None if where == UNKNOWN else where


# -- webhook deliveries ---------------------------------------------------------------------
def pending_webhooks(world: World) -> list[dict[str, Any]]:
    """Trigger events Kanboard emitted and the harness has not delivered yet, oldest first."""
    emitted = [p for p in world.kanboard.webhooks.outbox if p.get("event_name") in TRIGGER_EVENTS]
    return emitted[world.delivery_cursor :]


def _token_path(world: World, token: str) -> str:
    if token == "missing":
        return "/"
    value = world.binding.webhook_token if token == "ok" else "wrong-token"
    return f"/?token={value}"


def _deliver(world: World, payload: Mapping[str, Any] | bytes, token: str = "ok",
             actor: str = "webhook") -> int:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    request = WebhookRequest(
        path=_token_path(world, token),
        body=body,
        headers={"User-Agent": "Kanboard", "Content-Type": "application/json"},
    )
    with acting_as(actor):
        response = entry(world, "webhook", lambda: world.target.deliver_webhook(request))
    return response.status if response is not None else 0


def _describe_payload(payload: Mapping[str, Any]) -> str:
    data = payload.get("event_data", {}) or {}
    task = data.get("task", {}) or {}
    where = f" to {task['column_title']}" if payload.get("event_name") == "task.move.column" and task.get("column_title") else ""
    return f"webhook {payload.get('event_name')} for card #{data.get('task_id')}{where}"


@action("deliver")
def _deliver_next(world: World, a: Mapping[str, Any]) -> Applied:
    """Deliver the oldest undelivered trigger event `copies` times (exact duplicates)."""
    pending = pending_webhooks(world)
    if not pending:
        return Applied("no webhook pending")
    payload = pending[0]
    world.delivery_cursor += 1
    copies = int(a.get("copies", 1))
    token = a.get("token", "ok")
    statuses = [_deliver(world, payload, token) for _ in range(copies)]
    world.delivered.append(payload)
    times = {1: "", 2: " twice"}.get(copies, f" {copies} times")
    token_text = "" if token == "ok" else f" with {token} token"
    return Applied(f"{_describe_payload(payload)} delivered{times}{token_text} (HTTP {', '.join(map(str, statuses))})")


@action("deliver_event")
def _deliver_event(world: World, a: Mapping[str, Any]) -> Applied:
    """Deliver one given event (a delivery queued behind another at a serial server)."""
    payload = a["payload"]
    status = _deliver(world, payload, a.get("token", "ok"))
    return Applied(f"{_describe_payload(payload)} delivered after the one before it (HTTP {status})")


@action("redeliver")
def _redeliver(world: World, a: Mapping[str, Any]) -> Applied:
    """Deliver again an event delivered earlier (a late duplicate, possibly out of order)."""
    if not world.delivered:
        return Applied("no webhook delivered yet to repeat")
    payload = world.delivered[a.get("index", 0) % len(world.delivered)]
    status = _deliver(world, payload)
    return Applied(f"{_describe_payload(payload)} delivered again later (HTTP {status})")


@action("start_server")
def _start_server(world: World, a: Mapping[str, Any]) -> Applied:
    """The target's own webhook server started as its deployment starts it, then stopped."""
    with acting_as("webhook"):
        started = entry(world, "webhook", world.target.serve_webhook)
    if not started:
        return Applied("the target's webhook server did not start (or it has none of its own)")
    return Applied("the target's own webhook server started and stopped")


@action("deliver_raw")
def _deliver_raw(world: World, a: Mapping[str, Any]) -> Applied:
    status = _deliver(world, a["body"].encode("utf-8", "surrogatepass"), a.get("token", "ok"))
    return Applied(f"malformed webhook body {_short(a['body'])!r} delivered (HTTP {status})")


# -- the target's own runners ---------------------------------------------------------------
@action("orchestrate")
def _orchestrate(world: World, a: Mapping[str, Any]) -> Applied:
    with acting_as("orchestrator"):
        entry(world, "orchestrator", world.target.orchestrator_pass)
    return Applied("orchestrator pass (--once)")


@action("poll")
def _poll(world: World, a: Mapping[str, Any]) -> Applied:
    ticks = int(a.get("ticks", 1))
    with acting_as("poller"):
        entry(world, "poll", lambda: world.target.poll(ticks))
    return Applied(f"poller ran {ticks} tick{'s' if ticks != 1 else ''}")


@action("cli")
def _cli(world: World, a: Mapping[str, Any]) -> Applied:
    with acting_as("cli"):
        status = entry(world, "cli", lambda: world.target.cli(a["script"], [str(x) for x in a.get("args", [])]))
    return Applied(f"manual CLI `{a['script']} {' '.join(map(str, a.get('args', [])))}` exited {status}")


def _by_hand(world: World, agent: str) -> bool:
    """Whether the target gives a person a way to run `agent` directly (its own scripts)."""
    manual = world.target.manual_agents
    return manual is None or agent in manual


@action("run_agent")
def _run_agent(world: World, a: Mapping[str, Any]) -> Applied:
    if not _by_hand(world, a["agent"]):
        return Applied(f"{a['agent']} agent not run by hand on card #{a['card']}: the target has no "
                       "script that runs it directly", card=a["card"])
    with acting_as("cli"):
        entry(world, "agent", lambda: world.target.run_agent(a["agent"], a["card"]))
    return Applied(f"{a['agent']} agent run by hand on card #{a['card']}", card=a["card"])


def _runner(world: World, spec: Mapping[str, Any]) -> Callable[[], object]:
    kind = spec["entry"]
    target = world.target
    if kind == "webhook":
        # inside the runner's thread, so it keeps the runner's name (the scheduler's key)
        return lambda: _deliver(world, spec["payload"], actor=current_actor())
    if kind == "orchestrate":
        return lambda: entry(world, "orchestrator", target.orchestrator_pass)
    if kind == "poll":
        return lambda: entry(world, "poll", lambda: target.poll(int(spec.get("ticks", 1))))
    if kind == "cli":
        args = [str(x) for x in spec.get("args", [])]
        return lambda: entry(world, "cli", lambda: target.cli(spec["script"], args))
    if kind == "run_agent":
        if not _by_hand(world, spec["agent"]):
            return lambda: None  # not an entrypoint of this target: the runner does nothing
        return lambda: entry(world, "agent", lambda: target.run_agent(spec["agent"], spec["card"]))
    raise StepError(f"unknown runner entry {kind!r}")


@action("race")
def _race(world: World, a: Mapping[str, Any]) -> Applied:
    """Run several runners at once under the cooperative scheduler; `schedule` fixes the turns.

    `granularity` says where turns are decided: at every Kanboard call ("calls", the default)
    or only at a runner's start and its writing calls ("writes")."""
    from harness.scheduler import Scheduler, at_writes

    runners = {}
    for i, spec in enumerate(a["runners"]):
        runners[f"{spec['entry']}#{i + 1}"] = _runner(world, spec)
    granularity = a.get("granularity", "calls")
    if granularity not in ("calls", "writes"):
        raise StepError(f"unknown race granularity {granularity!r}; known: calls, writes")
    decide = at_writes if granularity == "writes" else None
    choose = a.get("choose")
    if choose is None:
        scheduler = Scheduler.from_list(list(a.get("schedule", [])), decide=decide)
    else:
        scheduler = Scheduler(choose, decide=decide)
    hook = world.kanboard.add_call_hook(scheduler.turn)
    try:
        scheduler.run(runners)
    finally:
        world.kanboard.remove_call_hook(hook)
    turns = list(scheduler.record)
    names = " + ".join(runners)
    return Applied(f"{names} ran concurrently (turns: {' '.join(turns) or 'none'})", extra={"schedule": turns})


# -- faults, model answers, file tricks -----------------------------------------------------
@action("fault")
def _fault(world: World, a: Mapping[str, Any]) -> Applied:
    """Plan a fault on the occurrence-th call of a method from now on, or on every call
    (`every`) until the faults are cleared."""
    if a.get("every"):
        world.kanboard.faults.add(a["kind"], a["method"], times=None)
        return Applied(f"Kanboard answers every {a['method']} call with a {a['kind']} fault until further notice")
    occurrence = int(a.get("occurrence", 1))
    which = {1: "next call", 2: "second call from now"}.get(occurrence, f"call #{occurrence} from now")
    if a.get("new_card"):
        known = max((int(t["id"]) for t in world.kanboard.tasks(active_only=False)), default=0)
        seen: list[int] = []

        def on_a_new_card(method: str, params: Any) -> bool:
            try:
                task = int(params.get("task_id")) if isinstance(params, Mapping) else 0
            except (TypeError, ValueError):
                return False
            if task <= known:
                return False
            seen.append(task)
            return len(seen) == occurrence

        world.kanboard.faults.add(a["kind"], a["method"], when=on_a_new_card)
        return Applied(f"Kanboard will answer the {which} of {a['method']} on a card created from now on "
                       f"with a {a['kind']} fault")
    nth = world.kanboard.faults.count(a["method"]) + occurrence
    world.kanboard.faults.add(a["kind"], a["method"], nth=nth)
    return Applied(f"Kanboard will answer the {which} of {a['method']} with a {a['kind']} fault")


@action("clear_faults")
def _clear_faults(world: World, a: Mapping[str, Any]) -> Applied:
    world.kanboard.faults.clear()
    return Applied("Kanboard recovers (no more planned faults)")


@action("llm")
def _llm(world: World, a: Mapping[str, Any]) -> Applied:
    """Script the role's next answer; `meanwhile` (a trick's arguments) is done by a person
    while the agent waits for that answer, i.e. in the middle of the agent's run."""
    world.llm.push(a["role"], a["answer"])
    text = f"model's next {a['role']} answer scripted: {a.get('label') or _short(a['answer'])!r}"
    spec = a.get("meanwhile")
    if not spec:
        return Applied(text)
    spec = dict(spec)

    def during_the_call() -> None:
        with acting_as(HUMAN_ACTOR):
            done = tricks.apply(world, spec)
            # what the person left, so G2 can tell their change from what the run did after it
            record = {**spec, "text": done, "while": f"{a['role']} call"}
            ws = world.workspace_of(spec.get("card"))
            if ws is not None and isinstance(spec.get("path"), str):
                record["left"] = file_state(ws / spec["path"])
            world.journal.record(TRICK, record)

    world.llm.meanwhile(a["role"], during_the_call)
    what = f"{spec.get('kind')} of {spec.get('path') or 'the workspace'}"
    return Applied(f"{text}; while the agent waits for it, a person does a {what} on card #{spec.get('card')}")


@action("trick")
def _trick(world: World, a: Mapping[str, Any]) -> Applied:
    with acting_as(HUMAN_ACTOR):
        text = tricks.apply(world, a)
    return Applied(text, card=a.get("card"))


def _short(text: Any, limit: int = 40) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
