"""The example database indexed by finding: a cut shrink is finished from its own saved
failures, not by replaying every failure the machine ever saved."""

from __future__ import annotations

from hypothesis.database import InMemoryExampleDatabase

from harness.saved import IndexedDatabase

KEY = b"machine"
A = ("G1", "overwrote", "lib.workspace:safe_write_file")
B = ("I1", "an agent ran twice in one epoch", "orchestrator:run_once")


def saved(*entries: tuple[bytes, tuple[str, str, str] | None]) -> tuple[IndexedDatabase, InMemoryExampleDatabase]:
    inner = InMemoryExampleDatabase()
    raised: list = [None]
    db = IndexedDatabase(inner, lambda: raised[0])
    for value, signature in entries:
        raised[0] = signature
        db.save(KEY, value)
    return db, inner


def test_only_the_smallest_failure_of_each_finding_asked_for_is_replayed() -> None:
    db, inner = saved((b"a-long", A), (b"b1", B), (b"a2", A), (b"a3", A), (b"x", None))
    assert set(db.fetch(KEY)) == {b"a-long", b"b1", b"a2", b"a3", b"x"}  # all passes through
    assert list(db.only([A]).fetch(KEY)) == [b"a2"]
    assert list(db.only([B]).fetch(KEY)) == [b"b1"]
    assert list(db.only([A, B]).fetch(KEY)) == [b"a2", b"b1"]
    assert list(db.only([A]).fetch(b"other key")) == []


def test_a_value_hypothesis_moves_or_deletes_is_gone_from_the_view_too() -> None:
    db, inner = saved((b"a1", A), (b"a22", A))
    db.move(KEY, b"secondary", b"a1")  # Hypothesis downgrades a failure its shrink bettered
    assert list(db.only([A]).fetch(KEY)) == [b"a22"]
    assert list(db.only([A]).fetch(b"secondary")) == [b"a1"]
    db.delete(KEY, b"a22")
    assert list(db.only([A]).fetch(KEY)) == []
    assert set(inner.fetch(KEY)) == set()


def test_the_view_deletes_nothing_but_saves_what_is_met_through_it() -> None:
    """Finishing A's shrink, its shrinker meets B for the first time: B's failure is saved and
    indexed, so B's own finishing turn replays it (a view that saved nothing left B unshrunk:
    "replaying its saved failure did not fail with it again")."""
    raised: list = [A]
    inner = InMemoryExampleDatabase()
    db = IndexedDatabase(inner, lambda: raised[0])
    db.save(KEY, b"a1")
    view = db.only([A])
    view.delete(KEY, b"a1")
    view.move(KEY, b"secondary", b"a1")
    assert set(inner.fetch(KEY)) == {b"a1"}
    raised[0] = B
    view.save(KEY, b"b-met")
    assert set(inner.fetch(KEY)) == {b"a1", b"b-met"}
    assert list(db.only([B]).fetch(KEY)) == [b"b-met"]
    view = db.only([])  # the whole database: deletes nothing either
    view.delete(KEY, b"a1")
    assert set(inner.fetch(KEY)) == {b"a1", b"b-met"}


def test_findings_this_process_saved_nothing_of_replay_the_whole_database() -> None:
    """Saved by another worker or an earlier run: nothing here says which is which."""
    db, inner = saved((b"a1", A), (b"x", None))
    assert set(db.only([B]).fetch(KEY)) == {b"a1", b"x"}
    assert set(db.only([]).fetch(KEY)) == {b"a1", b"x"}
