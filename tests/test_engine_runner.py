"""Campaigns: a machine goes on past its first finding; timed runs give every machine its turn."""

from __future__ import annotations

import time

import pytest
from hypothesis import Phase, settings

from harness import campaign, profiles
from harness import saved as saved_module
from harness.campaign import Campaign, run_campaign, slice_seed
from harness.config import CONFIG
from harness.events import FindingMade, On, Stream
from harness.ledger import RUN


@pytest.fixture(autouse=True)
def reference(monkeypatch: pytest.MonkeyPatch) -> None:
    profiles.register()
    monkeypatch.setattr(CONFIG, "face", "inproc")


def test_a_timed_run_gives_every_machine_a_share_and_stops_between_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(CONFIG, "target", "reference")
    base = settings(settings.get_profile("nightly"), phases=[Phase.generate], database=None)
    started = time.monotonic()
    result = Campaign(["governance", "webhook"], profile=base, seed=5, minutes=0.1).run()
    took = time.monotonic() - started
    assert took < 6 + 3, took  # 6 s budget; a step in flight may finish
    assert [m.turns for m in result.machines] == [1, 1]
    assert all(m.budget_seconds and m.examples > 0 for m in result.machines)
    assert all(m.stopped == "time" for m in result.machines)


def test_a_long_timed_run_goes_round_every_machine_every_round(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(CONFIG, "target", "reference")
    monkeypatch.setattr(campaign, "ROUND_MINUTES", 0.05)  # rounds of 3 s: a 9 s run has three
    base = settings(settings.get_profile("nightly"), phases=[Phase.generate], database=None)
    started = time.monotonic()
    result = Campaign(["governance", "webhook"], profile=base, seed=5, minutes=0.15).run()
    took = time.monotonic() - started
    assert 9 - 1 < took < 9 + 3, took  # the whole budget is used, and no more
    assert [m.turns for m in result.machines] == [3, 3]
    assert all(m.seconds > 3 for m in result.machines)  # each had its three shares, not one


def test_a_timed_run_with_findings_shrinks_them_yet_keeps_its_time_and_every_turn(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(CONFIG, "target", "mutant:no-dedupe")
    base = settings(settings.get_profile("nightly"), phases=[Phase.generate, Phase.shrink], database=None)
    started = time.monotonic()
    result = Campaign(["webhook", "governance"], profile=base, seed=0, minutes=0.2).run()
    took = time.monotonic() - started
    assert took < 12 + 3, took  # 12 s budget (a shrink may not run past it); a step may finish
    assert [m.turns for m in result.machines] == [1, 1] and all(m.examples > 0 for m in result.machines)
    # each finding shrinks for at most its own time, the turn's shrinks stop half a share past
    # it: the first is shrunk, those cut short are kept as found (and shrunk when met again)
    assert any(f.shrunk for f in result.findings)


def test_a_machine_goes_on_past_its_first_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(CONFIG, "target", "mutant:no-dedupe")
    ci = settings(settings.get_profile("ci"), phases=[Phase.explicit, Phase.generate])
    result = run_campaign(["webhook"], profile=ci, seed=0)
    assert len(result.findings) >= 2
    assert len({f.signature for f in result.findings}) == len(result.findings)  # each once
    webhook = result.machines[0]
    assert webhook.slices > 1 and webhook.findings == result.findings
    assert all(f.hits >= 1 for f in result.findings)
    assert RUN.ledger.findings == {}  # the campaign's ledger is its own


def test_slice_seeds_are_stable_and_distinct() -> None:
    assert slice_seed(0, "webhook", 0) == slice_seed(0, "webhook", 0)
    assert len({slice_seed(s, m, t) for s in (0, 1) for m in ("a", "b") for t in (0, 1)}) == 8


def _cut_every_shrink_but_the_finishing_ones(monkeypatch: pytest.MonkeyPatch):
    """Every shrink of the turns is cut at once; those of the run's finishing part run as
    usual. Returns the real `Control.shrinks_over`."""
    from harness.ledger import Control

    real_stop, real_over = Control.shrink_must_stop, Control.shrinks_over

    def cut_unless_finishing(self: Control, signature, started: float) -> bool:
        if not self.reshrink:
            if signature is not None:
                self.cut.add(signature)
            return True
        return real_stop(self, signature, started)

    monkeypatch.setattr(Control, "shrink_must_stop", cut_unless_finishing)
    return real_over


def _only_the_finishing_pass_shrinks(monkeypatch: pytest.MonkeyPatch, tmp_path, name: str,
                                     machine: type) -> settings:
    """Register `machine` as `name`, cut every shrink the turns begin (the finishing pass
    shrinks as usual), and give back a nightly profile with its own example database."""
    from hypothesis.database import DirectoryBasedExampleDatabase

    from harness.ledger import Control

    monkeypatch.setitem(campaign.MACHINES, name, machine)
    real_over = _cut_every_shrink_but_the_finishing_ones(monkeypatch)
    monkeypatch.setattr(Control, "shrinks_over", lambda self: not self.reshrink or real_over(self))
    db = DirectoryBasedExampleDatabase(str(tmp_path / "examples"))
    return settings(settings.get_profile("nightly"), phases=[Phase.generate, Phase.shrink], database=db)


def test_shrinks_cut_short_are_finished_from_the_saved_failures(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """Every shrink of the turns is cut short; the last part of the budget replays the saved
    failures and shrinks each cut finding to its minimum (no-dedupe: 5 steps)."""
    from hypothesis.database import DirectoryBasedExampleDatabase

    monkeypatch.setattr(CONFIG, "target", "mutant:no-dedupe")
    monkeypatch.setattr(campaign, "RESHRINK_SHARE", 0.5)
    _cut_every_shrink_but_the_finishing_ones(monkeypatch)
    views: list[tuple[int, int, int]] = []  # (findings finished, failures replayed, saved)
    real_fetch = saved_module._Only.fetch

    def fetch(self, key: bytes):
        values = list(real_fetch(self, key))
        views.append((len(self.keep), len(values), len(list(self.indexed.fetch(key)))))
        return values

    monkeypatch.setattr(saved_module._Only, "fetch", fetch)
    db = DirectoryBasedExampleDatabase(str(tmp_path / "examples"))
    base = settings(settings.get_profile("nightly"), phases=[Phase.generate, Phase.shrink], database=db)
    run = Campaign(["webhook"], profile=base, seed=0, minutes=0.4)
    first: dict = {}
    run.events.add(On(FindingMade, lambda e: first.setdefault(e.finding.signature,
                                                              (e.finding.shrunk, len(e.finding.trace["steps"])))))
    result = run.run()
    cut = [s for s, (shrunk, _) in first.items() if not shrunk]
    assert cut, first  # the turns' shrinks were all cut short...
    held = {f.signature: f for f in result.findings}
    dedupe = ("I1", "an agent ran twice in one epoch", "targets.reference.pipeline:Pipeline.execute")
    assert dedupe in cut and held[dedupe].shrunk  # ...and the last part of the run shrank them
    assert len(held[dedupe].trace["steps"]) == 5 < first[dedupe][1]
    # the finishing passes replayed one saved failure of each finding they finish, not all
    # those the machine saved (each slice that re-met a cut finding saved one)
    assert all(replayed <= cut for cut, replayed, _ in views), views
    assert any(0 < replayed < saved for _, replayed, saved in views), views


def test_finishing_shrinks_replays_every_saved_failure_past_those_that_pass_now(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The shortest saved example is replayed first and is usually one of a finding already
    shrunk, which passes now (it is known): the replay must go on to the failures after it."""
    from hypothesis import given
    from hypothesis import strategies as st
    from hypothesis.database import InMemoryExampleDatabase, choices_to_bytes
    from hypothesis.internal.reflection import function_digest

    replayed: list[int] = []
    db = InMemoryExampleDatabase()

    @given(st.integers())
    def saved(x: int) -> None:
        replayed.append(x)
        assert x < 1000  # 5 passes now, 123456 still fails

    key = function_digest(saved.hypothesis.inner_test)
    db.save(key, choices_to_bytes((5,)))
    db.save(key, choices_to_bytes((123456,)))
    base = settings(settings.get_profile("nightly"), database=db, report_multiple_bugs=True)
    monkeypatch.setattr(RUN.control, "reshrink", True)  # as Campaign._reshrink sets it
    with pytest.raises(AssertionError):
        settings(campaign.reshrink_settings(base))(saved)()
    assert replayed[:2] == [5, 123456]
    assert 1000 in replayed  # and it was shrunk to its minimum (not the replayed-exactly fast path)
    assert set(db.fetch(key)) == {choices_to_bytes((5,)), choices_to_bytes((123456,))}  # read-only


def test_a_timed_turn_shrinks_for_half_its_time_then_generates_past_what_it_holds(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Shrinks get a window of the turn from the first one's start (never past its cap); once
    it is spent, no shrink begins and the turn's next Hypothesis runs treat every finding as
    known, so generation goes deeper instead of stopping at a finding it cannot shrink now."""
    from harness import ledger as ledger_module
    from harness.ledger import Control, Finding, Ledger
    from harness.violation import Violation

    clock = [100.0]
    monkeypatch.setattr(ledger_module.time, "monotonic", lambda: clock[0])
    control = Control(shrink_window=10.0, shrink_cap=130.0)
    first = Violation("I1", "twice", "x:y", kind="dup").signature
    assert not control.shrinks_over()  # no shrink yet: the window has not started
    clock[0] = 102.0
    assert not control.shrink_must_stop(first, started=102.0) and control.shrink_until == 112.0
    clock[0] = 112.5
    assert control.shrink_must_stop(first, started=102.0) and first in control.cut
    assert control.shrinks_over()
    capped = Control(shrink_window=10.0, shrink_cap=105.0)
    capped.shrink_must_stop(first, started=100.0)
    assert capped.shrink_until == 105.0
    deferred = Control(shrink_window=10.0, defer=lambda signature: True)
    assert deferred.shrink_must_stop(first, started=100.0) and deferred.shrink_until is None
    # a timed turn gives each shrink its own time: one begun in the window runs on past it,
    # never past the turn's cap; one due after the window is cut before it begins
    second = Violation("I2", "twice", "x:y", kind="dup").signature
    timed = Control(shrink_window=10.0, shrink_cap=130.0, shrink_seconds=20.0)
    clock[0] = 100.0
    assert not timed.shrink_must_stop(first, started=100.0) and timed.shrink_until == 110.0
    clock[0] = 115.0
    assert not timed.shrink_must_stop(first, started=100.0)  # past the window, not its time
    assert timed.shrink_must_stop(second, started=115.0) and timed.cut == {second}
    clock[0] = 121.0
    assert timed.shrink_must_stop(first, started=100.0) and timed.capped == {first}
    late = Control(shrink_window=10.0, shrink_cap=112.0, shrink_seconds=20.0)
    clock[0] = 100.0
    late.shrink_must_stop(first, started=100.0)
    clock[0] = 112.5
    assert late.shrink_must_stop(first, started=100.0) and late.cut == {first}  # the turn's cap

    ledger = Ledger()
    violation = Violation("I1", "twice", "x:y", kind="dup")
    ledger.add(Finding(violation.signature, violation, {}, "", "WebhookMachine", 0, shrunk=False))
    ledger.freeze()
    assert not ledger.known(violation.signature)  # shrink time left: met again, it is shrunk
    ledger.freeze(hold=True)
    assert ledger.known(violation.signature)  # none left: counted, and the example goes on


def test_the_last_part_of_a_timed_run_grows_with_the_defects_waiting_for_a_shrink() -> None:
    from harness.ledger import Finding
    from harness.violation import Violation

    run = Campaign(["webhook", "spawner"], profile=settings.get_profile("nightly"), seed=0, minutes=30)
    assert run.reserve(rounds=3) == 180.0  # a tenth of the budget when little waits

    def unshrunk(kind: str, component: str = "x:y") -> None:
        violation = Violation("I1", "twice", component, kind=kind)
        run.ledger.add(Finding(violation.signature, violation, {}, "", "WebhookMachine", 0, shrunk=False))

    for n in range(4):
        unshrunk(f"kind-{n}")
    per_shrink = (1800 - 180) / (3 * 2) / 4  # a turn's cap on one finding's shrink
    assert run.reserve(rounds=3) == pytest.approx(4 * per_shrink)
    violation = Violation("I1", "twice", "z:w", kind="kind-0")
    run.ledger.add(Finding(violation.signature, violation, {}, "", "WebhookMachine", 0))
    assert run.reserve(rounds=3) == pytest.approx(3 * per_shrink)  # kind-0 is shown shrunk
    for n in range(4, 20):
        unshrunk(f"kind-{n}")
    assert run.reserve(rounds=3) == pytest.approx(0.3 * 1800)  # never more than 30 %


def _toy_base() -> type:
    """A machine's bare bones as harness.machines.base has them (the control's checks, the
    ledger's known findings, the pending violation a failure names), with one idle rule."""
    from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

    from harness.violation import Violation, violation_error

    class ToyBase(RuleBasedStateMachine):
        checks: tuple[str, ...] = ()
        budget = 1.0

        @classmethod
        def settings_for(cls, base: settings) -> settings:
            return base

        def __init__(self) -> None:
            RUN.control.check()
            RUN.control.raised = None
            super().__init__()
            self.steps: list[dict] = []
            self.hits: set = set()
            RUN.examples += 1

        def _violate(self, violation: Violation) -> None:  # as harness.machines.base does
            if RUN.ledger.known(violation.signature):
                self.hits.add(violation.signature)
                return
            error = violation_error(violation)
            error.trace = {"steps": list(self.steps)}  # type: ignore[attr-defined]
            RUN.control.pending.setdefault(violation.signature, (violation, error.trace))  # type: ignore[attr-defined]
            RUN.control.raised = violation.signature
            raise error

        @rule()
        def idle(self) -> None:
            self.steps.append({"rule": "idle"})

        @invariant()
        def time_left(self) -> None:
            RUN.control.check()

        def teardown(self) -> None:
            RUN.ledger.count(self.hits)

    return ToyBase


def _x_counting_base() -> type:
    """The toy bones with an `x` rule that counts its steps; `after_x` says what fails then."""
    from hypothesis.stateful import rule

    class XCounting(_toy_base()):  # type: ignore[misc]
        checks = ("I1", "I2")

        def __init__(self) -> None:
            super().__init__()
            self.xs = 0

        @rule()
        def step_x(self) -> None:
            self.steps.append({"rule": "x"})
            self.xs += 1
            self.after_x()

        def after_x(self) -> None:
            pass

    return XCounting


def _toy_machine() -> type:
    """A machine whose X fails at every `x` step and F at an `f` step after an `x`: every
    example that shows F passed X first (X was held known)."""
    from hypothesis.stateful import rule

    from harness.violation import Violation

    x = Violation("I1", "x failed", "toy:x", kind="x")
    f = Violation("I2", "f failed after x", "toy:f", kind="f")

    class ToyMachine(_x_counting_base()):  # type: ignore[misc]
        def after_x(self) -> None:
            self._violate(x)

        @rule()
        def step_f(self) -> None:
            self.steps.append({"rule": "f"})
            if self.xs:
                self._violate(f)

    return ToyMachine


def test_a_cut_finding_whose_example_passed_another_is_finished_with_that_one_known(
        monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """F was only ever found with X held known (the turns had no shrink time left). Finishing
    both, X is findable and fails F's saved example first; F is then finished alone, X known,
    in the same finishing turn (not left for whatever time the run has spare), and shrinks to
    its minimum: x then f."""
    toy = _toy_machine()
    base = _only_the_finishing_pass_shrinks(monkeypatch, tmp_path, "toy", toy)
    first: dict = {}
    run = Campaign(["toy"], profile=base, seed=0, minutes=0.1, events=Stream([On(
        FindingMade, lambda e: first.setdefault(e.finding.signature[0], e.finding.shrunk))]))
    result = run.run()
    assert first == {"I1": False, "I2": False}  # both found, neither shrunk in the turns
    held = {found.signature[0]: found for found in result.findings}
    assert held["I1"].shrunk and [s["rule"] for s in held["I1"].trace["steps"]] == ["x"]
    assert held["I2"].shrunk and [s["rule"] for s in held["I2"].trace["steps"]] == ["x", "f"]
    assert result.machines[0].turns == 2  # one generating, one finishing both


def test_a_defect_the_last_part_has_no_time_for_still_gets_its_least_shrink_before_the_end(
        monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """The turns used the whole budget (no reserve) and cut every shrink: the last part has
    no time left, yet each defect no place of which is shrunk gets the least time a shrink
    gets, in the run's last grace, so its row has steps; none is left 'time ran out'."""
    monkeypatch.setattr(Campaign, "reserve", lambda self, rounds: 0.0)
    monkeypatch.setattr(campaign, "SHRINK_SECONDS_MIN", 0.1)
    monkeypatch.setattr(campaign, "END_GRACE_SHARE", 0.25)  # a grace a loaded machine cannot miss
    base = _only_the_finishing_pass_shrinks(monkeypatch, tmp_path, "toy", _toy_machine())
    run = Campaign(["toy"], profile=base, seed=0, minutes=0.2)  # 12 s and a grace of 3 s
    started = time.monotonic()
    result = run.run()
    assert time.monotonic() - started < 12 + 3 + 3
    assert {f.signature[0] for f in result.findings} == {"I1", "I2"}
    assert all(f.shrunk and not f.shrink_note for f in result.findings), \
        [(f.signature, f.shrunk, f.shrink_note) for f in result.findings]


@pytest.mark.parametrize("stop", ["none", "deadline", "interrupted"])
def test_a_failed_hypothesis_run_generates_no_example_past_the_turns_clock(
    monkeypatch: pytest.MonkeyPatch, stop: str
) -> None:
    """After its first failure Hypothesis generates up to AFTER_FAILURE_CALLS more examples,
    with that failure's shrink pending, so Control.check lets every step run: on a slow
    machine (Ralph: ~20 s an example) those ran minutes past the turn. A spent clock, or a
    signal, now ends that search at once."""
    from hypothesis import given
    from hypothesis import strategies as st

    monkeypatch.setitem(profiles.SHRINK, "calls", 1)
    if stop == "deadline":
        monkeypatch.setattr(RUN.control, "deadline", time.monotonic() - 1)
    elif stop == "interrupted":
        monkeypatch.setattr(RUN.control, "interrupted", "SIGTERM")
    calls: list[int] = []

    @settings(database=None, derandomize=True, max_examples=100, report_multiple_bugs=True,
              phases=[Phase.generate, Phase.shrink])
    @given(st.integers())
    def fails_past_zero(x: int) -> None:  # zero first (Hypothesis stops at once if it fails)
        calls.append(x)
        assert x == 0

    with pytest.raises(AssertionError):
        fails_past_zero()
    first = next(i for i, x in enumerate(calls) if x != 0)
    # after the first failure: the shrinker's re-run and its one call, and the final replay
    later = len(calls) - first - 1
    if stop == "none":
        assert later >= 3 + profiles.AFTER_FAILURE_CALLS // 2  # it generated well past it
    else:
        assert later <= 3


def test_a_new_finding_met_while_finishing_another_is_cut_for_its_own_turn() -> None:
    """Finishing F's shrink, the shrinker may meet a finding no run has held yet: shrinking it
    there would spend F's share (and every share after it) on it; it is cut, to be finished
    in its own turn of the finishing pass."""
    from harness.ledger import Control
    from harness.violation import Violation

    f = Violation("I1", "f", "toy:f", kind="f").signature
    new = Violation("I2", "new", "toy:new", kind="new").signature
    control = Control(finishing=f, shrink_seconds=60.0)
    started = time.monotonic()
    assert not control.shrink_must_stop(f, started)
    assert control.shrink_must_stop(new, started) and control.cut == {new}
    assert not Control(shrink_seconds=60.0).shrink_must_stop(new, started)  # not finishing: shrunk


def test_the_last_part_keeps_what_a_finishing_shrink_has_when_time_runs_out() -> None:
    """The run's last part is a cut shrink's last chance: stopped by the part's clock or the
    run's end, it keeps what it has, shown shrunk as far as its budget went (capped), not
    left unshrunk. A signal still cuts it, and so does any clock in a generating turn."""
    from harness.ledger import Control
    from harness.violation import Violation

    f = Violation("I1", "f", "toy:f", kind="f").signature
    other = Violation("I2", "o", "toy:o", kind="o").signature
    past = time.monotonic() - 1
    last = Control(finishing=f, shrink_until=past, shrink_seconds=60.0)
    assert last.shrink_must_stop(f, started=past + 0.5) and last.capped == {f} and not last.cut
    ended = Control(finishing=f, end=past, shrink_seconds=60.0)
    assert ended.shrink_must_stop(f, started=time.monotonic()) and ended.capped == {f}
    signal = Control(finishing=f, shrink_until=past, shrink_seconds=60.0, interrupted="SIGTERM")
    assert signal.shrink_must_stop(f, started=past + 0.5) and signal.cut == {f}
    assert last.shrink_must_stop(other, started=past + 0.5) and last.cut == {other}
    turn = Control(finishing=f, shrink_until=past, shrink_window=10.0, shrink_seconds=60.0)
    assert turn.shrink_must_stop(f, started=past + 0.5) and turn.cut == {f} and not turn.capped


def test_the_replay_that_finishes_a_cut_shrink_is_not_stopped_by_its_turns_clock() -> None:
    """A long saved failure (a hundred steps of a slow target) begun just before its turn's
    clock ran out was stopped halfway, so it never failed again and stayed unshrunk ("did not
    fail with it again"): a finishing replay runs to the run's end, or a signal."""
    from harness.ledger import Control
    from harness.violation import Violation

    f = Violation("I1", "f", "toy:f", kind="f").signature
    past, future = time.monotonic() - 1, time.monotonic() + 60
    assert Control(deadline=past, end=future).generation_over()  # generating: the turn's clock
    assert not Control(finishing=f, deadline=past, end=future).generation_over()
    assert Control(finishing=f, deadline=past, end=past).generation_over()
    assert Control(finishing=f, deadline=past, end=future, interrupted="SIGINT").generation_over()


def test_a_turn_stops_generating_early_when_its_findings_need_more_of_the_end_to_shrink(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The reserve at a timed run's end grows with the defects waiting for a shrink; a turn
    asks it again before each slice, so findings met late (in the last round) still get
    their time, taken from the generation of the turn that met them."""
    turn_deadline = time.monotonic() + 3600
    pulled_in = time.monotonic() + 5
    deadlines: list[float | None] = []
    run = Campaign(["webhook"], profile=settings(settings.get_profile("nightly"), database=None),
                   seed=0, minutes=60)
    run.rounds_until = lambda: pulled_in

    def one_slice(name, profile, report, **kw):  # records the clock each slice runs under
        deadlines.append(RUN.control.deadline)
        return 1, len(deadlines) < 2  # the first ends on a finding, the second on its budget

    monkeypatch.setattr(run, "_slice", one_slice)
    run._turn("webhook", deadline=turn_deadline, examples=10)
    assert deadlines == [pulled_in, pulled_in]
    run.rounds_until = lambda: turn_deadline + 60  # a reserve never lengthens a turn
    deadlines.clear()
    run._turn("webhook", deadline=turn_deadline, examples=10)
    assert deadlines == [turn_deadline, turn_deadline]


def test_a_cut_finding_whose_saved_failure_passes_now_says_why_it_is_not_shrunk(
        monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """G fails only while the run generates (it hangs on more than the steps): its saved
    failure passes when the finishing pass replays it, so it stays unshrunk, and the finding
    says that, not that the run ended first."""
    from hypothesis.stateful import rule

    from harness.reports.findings import NOT_SHRUNK, not_shrunk_reason
    from harness.violation import Violation

    g = Violation("I1", "g failed while generating", "toy:g", kind="g")

    class OnceMachine(_toy_base()):  # type: ignore[misc]
        checks = ("I1",)

        @rule()
        def step_g(self) -> None:
            self.steps.append({"rule": "g"})
            if not RUN.control.reshrink and len(self.steps) >= 2:
                self._violate(g)

    base = _only_the_finishing_pass_shrinks(monkeypatch, tmp_path, "once", OnceMachine)
    news: list = []
    run = Campaign(["once"], profile=base, seed=0, minutes=0.05,
                   events=Stream([On(FindingMade, lambda e: news.append((e.finding.shrunk, e.finding.shrink_note)))]))
    result = run.run()
    [found] = result.findings
    assert not found.shrunk and found.shrink_note == campaign.NOTE_NOT_MET
    assert not_shrunk_reason(found) == campaign.NOTE_NOT_MET != NOT_SHRUNK
    assert news == [(False, ""), (False, campaign.NOTE_NOT_MET)]  # found, then why it stays so


def test_a_finding_first_met_while_finishing_another_is_saved_and_finished_in_its_own_turn(
        monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """X needs an `idle` step first, then three `x`; Y, two `x` with no `idle` first, fails only
    while a finishing pass replays or shrinks. So no saved failure of X meets Y: X's shrinker
    meets it first (dropping the `idle`), and it is cut for its own turn. Its failure must be
    saved then: a finishing view that saved nothing left it none, and it stayed unshrunk."""
    from harness.violation import Violation

    x = Violation("I1", "idle then three x", "toy:x", kind="x")
    y = Violation("I2", "two x, no idle first, while finishing", "toy:y", kind="y")

    class ShrinkMeetsMachine(_x_counting_base()):  # type: ignore[misc]
        def after_x(self) -> None:
            idle_first = self.steps[0]["rule"] == "idle"
            if RUN.control.reshrink and self.xs == 2 and not idle_first:
                self._violate(y)
            if self.xs >= 3 and idle_first:
                self._violate(x)

    base = _only_the_finishing_pass_shrinks(monkeypatch, tmp_path, "meets", ShrinkMeetsMachine)
    result = Campaign(["meets"], profile=base, seed=0, minutes=0.1).run()
    held = {f.signature[0]: f for f in result.findings}
    assert set(held) == {"I1", "I2"}
    assert held["I1"].shrunk and [s["rule"] for s in held["I1"].trace["steps"]] == ["idle", "x", "x", "x"]
    assert held["I2"].shrunk, held["I2"].shrink_note
    assert [s["rule"] for s in held["I2"].trace["steps"]] == ["x", "x"]
