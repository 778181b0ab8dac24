"""Run-record and lease mutants: duplicate or concurrent work (I1, I4)."""

from __future__ import annotations

from targets.base import KanboardClient
from targets.mutants import mutant
from targets.reference import ReferenceTarget, board
from targets.reference.cards import Card
from targets.reference.leases import Held, Lease, RunLedger


class ForgetfulLedger(RunLedger):
    def seen(self, kb: KanboardClient, card: Card, agent: str) -> str | None:
        """The epoch's run record is never consulted: every delivery runs the agent again."""
        return None


class SwallowingLedger(RunLedger):
    def seen(self, kb: KanboardClient, card: Card, agent: str) -> str | None:
        """Run state comes from the card only, and a failed read counts as "nothing recorded"."""
        try:
            remote = self.read(kb, card.id, agent)
        except board.KanboardFailure:
            return None
        return remote[1] if remote and remote[0] == card.epoch else None


class TagLedger(RunLedger):
    def write(self, kb: KanboardClient, task_id: int, agent: str, epoch: str, status: str) -> None:
        """Also mirrors the status as a tag by getTaskTags + setTaskTags (read-modify-write)."""
        super().write(kb, task_id, agent, epoch, status)
        tags = board.read(kb, "getTaskTags", (dict, list), task_id=task_id)
        names = [str(t) for t in (tags.values() if isinstance(tags, dict) else tags)]
        names = [n for n in names if not n.startswith(f"{agent}-")] + [f"{agent}-{status}"]
        board.call(kb, "setTaskTags", project_id=self.project_id, task_id=task_id, tags=names)


class NoLease(Lease):
    def acquire(self, name: str) -> Held | None:
        """Check-then-set with no lease: two runners may both pass the run-record check."""
        return Held(self.directory / name, "no-lease")


@mutant("no-dedupe")
class NoDedupe(ReferenceTarget):
    """Duplicate delivery processed twice: the epoch's run record is ignored (I1)."""

    ledger_class = ForgetfulLedger


@mutant("error-as-empty")
class ErrorAsEmpty(ReferenceTarget):
    """A Kanboard read error swallowed as "no state": a faulted read reruns a finished agent (I1)."""

    ledger_class = SwallowingLedger


@mutant("no-lease")
class NoLeaseTarget(ReferenceTarget):
    """Check-then-set without a lease: two concurrent runners both run one agent (I4)."""

    lease_class = NoLease


@mutant("tag-rmw")
class TagReadModifyWrite(ReferenceTarget):
    """State recorded by read-modify-write of tags: concurrent runners erase each other's tags (I4)."""

    ledger_class = TagLedger
