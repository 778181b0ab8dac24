"""R1 – a bad card or a failing model never takes the pipeline down or loops.

Three checks, after every step:
  - escape: no unhandled exception leaves an entrypoint (an ENTRY end carrying "error":
    the orchestrator pass, a poll, a CLI script or a hand run crashed, or the webhook
    handler let one out to its HTTP server);
  - bound: per (card, agent, epoch), at most `target.max_runs_per_epoch` agent runs (the
    target's declared retry policy; 3 when it declares none), whichever runners made them;
  - visible: an agent run that ends failed (ok False) leaves a visible error on its card from
    its runner before the step ends: an applied comment, or a tag containing "fail" or
    "error" (a human watching the board must see the card failed; metadata shows only when
    it is a custom field, so it does not count). A
    runner whose write on that card Kanboard failed by plan is excused: the board refused it.
"""

from __future__ import annotations

from collections.abc import Sequence

from harness import journal as jr
from harness.invariants.base import Checker, WorldView, event_component
from harness.invariants.history import History, Run, call_task_id, visible_error
from harness.journal import Event
from harness.violation import Violation

DEFAULT_BOUND = 3


def bound_of(target: object) -> int:
    declared = getattr(target, "max_runs_per_epoch", None)
    return int(declared) if isinstance(declared, int) and declared > 0 else DEFAULT_BOUND


class R1Robustness(Checker):
    invariant = "R1"

    def __init__(self) -> None:
        super().__init__()
        self.history = History()
        self.runs: dict[tuple[int, str, int], list[Run]] = {}

    def examine(self, world: WorldView, events: Sequence[Event]) -> list[Violation]:
        found: list[Violation] = []
        failed: list[Run] = []
        bound = bound_of(world.target)
        for event in events:
            if event.kind == jr.ENTRY and event.data.get("phase") == "end" and event.data.get("error") \
                    and jr.is_system(event.actor):
                found += self._escape(event)
            run = self.history.feed(world, event)
            if run is None:
                continue
            if run.start is event:
                runs = self.runs.setdefault((run.task_id, run.agent, run.epoch), [])
                runs.append(run)
                if len(runs) > bound:
                    found += self.violation(
                        ("bound", run.task_id, run.agent, run.epoch),
                        f"card #{run.task_id}: {run.agent} ran {len(runs)} times in one epoch of its "
                        f"column (the bound is {bound}): {_outcomes(runs)}",
                        event_component(run.start, f"{run.entrypoint or run.actor}:{run.agent}"),
                        [run.start, runs[0].start], entrypoint=run.entrypoint or "",
                        kind="an agent re-ran without bound in one epoch", mode="unbounded-retries",
                        runs=len(runs), bound=bound,
                    )
            elif run.end is event and run.ok is False:
                failed.append(run)
        for run in failed:
            after = [e for e in events if e.seq > run.start.seq]
            if not any(visible_error(run, e, metadata=False) or _faulted_write(run, e) for e in after):
                found += self.violation(
                    ("invisible", run.start.seq),
                    f"card #{run.task_id}: {run.agent} failed (run by {run.actor}) and its card shows "
                    "no error: no comment, no failed tag or status",
                    event_component(run.start, f"{run.entrypoint or run.actor}:{run.agent}"),
                    [run.end or run.start, run.start], entrypoint=run.entrypoint or "",
                    kind="a failed run left no visible error on its card", mode="invisible-failure",
                    task_id=run.task_id, agent=run.agent,
                )
        return found

    def _escape(self, event: Event) -> list[Violation]:
        entrypoint = str(event.data.get("entrypoint") or "entrypoint")
        error = str(event.data.get("error"))
        exc_type = error.split(":", 1)[0].strip() or "Exception"
        return self.violation(
            ("escape", event.seq),
            f"an unhandled {error} escaped the {entrypoint} entrypoint ({event.actor})",
            event_component(event, f"{event.actor}:{entrypoint}"), [event], entrypoint=entrypoint,
            kind=f"an unhandled {exc_type} escaped the {entrypoint}", mode="escape", error=error,
        )


def _faulted_write(run: Run, event: Event) -> bool:
    """A write of the run's runner on its card that Kanboard failed by plan: the runner may
    have tried to show the failure, and the board could not take it."""
    return (event.kind == jr.CALL and event.actor == run.actor and bool(event.data.get("fault"))
            and not str(event.data.get("method", "")).startswith("get")
            and call_task_id(event) == run.task_id)


def _outcomes(runs: Sequence[Run]) -> str:
    words = {True: "ok", False: "failed", None: "no result"}
    return ", ".join(f"{r.actor} {words.get(r.ok, r.ok)}" for r in runs[:6]) + (" …" if len(runs) > 6 else "")
