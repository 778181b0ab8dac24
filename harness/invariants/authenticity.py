"""R2 – only authentic deliveries act.

A delivery step whose request lacks the shared secret (no `token`), carries a wrong one, or is
sent to another path than the one configured must run no agent and change nothing: while such
a step lasts, no system AGENT start, no applied Kanboard write (any method but get*), and no
system file effect other than the target's own logs. Read calls are allowed (a handler may
look before it refuses).

The handler listens only where it is configured to: a socket the system binds (a LISTEN event,
recorded by the audit hook, which refuses any bind beyond loopback) must be on one of the
target's `listen_hosts` (loopback when it declares none).
"""

from __future__ import annotations

from collections.abc import Sequence

from harness import journal as jr
from harness.audit import LOOPBACK
from harness.invariants.base import Checker, WorldView, event_component, inside, state_roots
from harness.invariants.history import applied
from harness.journal import Event
from harness.violation import Violation

DELIVERIES = frozenset({"deliver", "redeliver", "deliver_raw"})
WHY = {"wrong": "with a wrong token", "missing": "without the token"}


def unauthentic(step: Event) -> str | None:
    """Why a delivery step is not authentic ("with a wrong token", ...), or None."""
    if step.kind != jr.STEP or step.data.get("rule") not in DELIVERIES:
        return None
    args = step.data.get("args") or {}
    reasons = []
    token = str(args.get("token", "ok"))
    if token in WHY:
        reasons.append(WHY[token])
    if args.get("path") not in (None, "", "configured"):
        reasons.append("to another path")
    return " and ".join(reasons) or None


class R2Authenticity(Checker):
    invariant = "R2"

    def examine(self, world: WorldView, events: Sequence[Event]) -> list[Violation]:
        found: list[Violation] = []
        why: str | None = None
        step: Event | None = None
        logs = [str(p) for p in state_roots(world)]
        allowed = set(getattr(world.target, "listen_hosts", None) or LOOPBACK)
        for event in events:
            if event.kind == jr.LISTEN and jr.is_system(event.actor) and event.data.get("host") not in allowed:
                host = str(event.data.get("host"))
                where = "every interface" if host in ("0.0.0.0", "::", "") else host
                found += self.violation(
                    ("listen", event.seq),
                    f"the webhook server binds {host} ({where}), not where it is configured to "
                    f"listen ({', '.join(sorted(allowed))}): any host that reaches it can deliver",
                    event_component(event, f"{event.actor}:webhook"), [event], entrypoint="webhook",
                    kind=f"listens on {where}", mode="listens-everywhere",
                )
                continue
            if event.kind == jr.STEP:
                step, why = event, unauthentic(event)
                continue
            if why is None or step is None or not jr.is_system(event.actor):
                continue
            effect = _effect(event, logs)
            if effect:
                found += self.violation(
                    ("acted", step.seq),
                    f"a webhook delivery {why} was acted on: {effect}",
                    event_component(event, f"{event.actor}:webhook"), [event, step],
                    entrypoint="webhook", kind=f"acted on a delivery {why}", mode="no-token-check",
                )
                why = None  # one finding per delivery step
        return found


def _effect(event: Event, logs: list[str]) -> str | None:
    if event.kind == jr.AGENT and event.data.get("phase") == "start":
        return f"agent {event.data.get('agent')} started on card #{event.data.get('task_id')}"
    if event.kind == jr.CALL and applied(event) and not str(event.data.get("method", "")).startswith("get"):
        return f"Kanboard {event.data.get('method')} applied"
    if event.kind == jr.FILE and event.data.get("op") not in ("chmod",):
        path = str(event.data.get("path") or "")
        if not any(inside(path, root) for root in logs):
            return f"file {event.data.get('op')} of {event.data.get('literal') or path}"
    return None
