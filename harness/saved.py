"""Which saved failure shows which finding: the example database, indexed as Hypothesis saves.

Finishing a shrink that a timed turn cut short replays saved failures. Replaying every one a
machine ever saved costs a whole example each (on a slow target, minutes per machine, all of
a finishing turn), and all but the cut ones pass now, being known. Hypothesis saves a failing
example right after the test call that failed, so the violation that call raised names it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from hypothesis.database import ExampleDatabase

from harness.violation import Signature


class IndexedDatabase(ExampleDatabase):
    """The example database, passing everything through, noting the finding each save shows."""

    def __init__(self, inner: ExampleDatabase, raised: Callable[[], Signature | None]) -> None:
        super().__init__()
        self.inner = inner
        self.raised = raised  # the violation the current test call raised, if any
        self.shows: dict[bytes, Signature] = {}

    def __repr__(self) -> str:
        return f"IndexedDatabase({self.inner!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IndexedDatabase) and self.inner == other.inner

    def __hash__(self) -> int:
        return hash(("indexed", id(self.inner)))

    def save(self, key: bytes, value: bytes) -> None:
        signature = self.raised()
        if signature is not None:
            self.shows[value] = signature
        self.inner.save(key, value)

    def fetch(self, key: bytes) -> Iterable[bytes]:
        yield from self.inner.fetch(key)

    def delete(self, key: bytes, value: bytes) -> None:
        self.inner.delete(key, value)

    def move(self, src: bytes, dest: bytes, value: bytes) -> None:
        self.inner.move(src, dest, value)

    def only(self, signatures: Iterable[Signature]) -> ExampleDatabase:
        """A view holding only the smallest saved failure of each of these findings (the whole
        database when this process saved none of them: another process or run did). Nothing
        is deleted through it, so one that passes now stays; a failure first met through it
        is saved, so that its own shrink can be finished later from it."""
        keep = frozenset(signatures) & frozenset(self.shows.values())
        return _SaveOnly(_Only(self, keep) if keep else self, self)


class _Only(ExampleDatabase):
    def __init__(self, indexed: IndexedDatabase, keep: frozenset[Signature]) -> None:
        super().__init__()
        self.indexed, self.keep = indexed, keep

    def fetch(self, key: bytes) -> Iterable[bytes]:
        """The smallest saved failure of each finding asked for (a finding re-met in many
        slices was saved by each; Hypothesis would shrink only the smallest anyway)."""
        best: dict[Signature, bytes] = {}
        for value in self.indexed.fetch(key):
            signature = self.indexed.shows.get(value)
            if signature in self.keep and (signature not in best or _shortlex(value) < _shortlex(best[signature])):
                best[signature] = value
        yield from sorted(best.values(), key=_shortlex)

    def save(self, key: bytes, value: bytes) -> None:
        pass

    def delete(self, key: bytes, value: bytes) -> None:
        pass


def _shortlex(value: bytes) -> tuple[int, bytes]:
    return len(value), value


class _SaveOnly(ExampleDatabase):
    """Fetches from a view, saves into the indexed database, deletes and moves nothing."""

    def __init__(self, view: ExampleDatabase, indexed: IndexedDatabase) -> None:
        super().__init__()
        self.view, self.indexed = view, indexed

    def fetch(self, key: bytes) -> Iterable[bytes]:
        yield from self.view.fetch(key)

    def save(self, key: bytes, value: bytes) -> None:
        self.indexed.save(key, value)

    def delete(self, key: bytes, value: bytes) -> None:
        pass

    def move(self, src: bytes, dest: bytes, value: bytes) -> None:
        pass
