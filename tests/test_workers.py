"""Parallel workers share one set of findings: a defect two workers (or two hosts) meet is
reported once, by whoever claimed it first."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from harness.ledger import Finding, Ledger
from harness.violation import Violation
from harness.workers import RedisClaims, SqliteClaims

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "harness", "run", *args], cwd=ROOT,
                            env={**os.environ, **(env or {})}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def signatures(folder: Path) -> list[tuple[str, str, str]]:
    found = []
    for trace in sorted(folder.glob("trace-*.json")):
        v = json.loads(trace.read_text())["violation"]
        found.append((v["invariant"], v["kind"], v["component"]))
    return found


def test_two_local_workers_report_each_defect_once(tmp_path: Path) -> None:
    proc = run("--target", "mutant:no-dedupe", "--machines", "webhook", "--workers", "2",
               "--examples", "60", "--reports-dir", str(tmp_path))
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 1, out + err
    assert "2 workers" in out
    found = signatures(tmp_path / "latest")
    assert found and len(found) == len(set(found)), found
    assert {"I1", "I4"} <= {invariant for invariant, _, _ in found}
    text = (tmp_path / "latest" / "findings.md").read_text()
    assert "WebhookMachine:" in text and "Not ready" in text


def _finding(kind: str) -> Finding:
    violation = Violation("I1", "twice", "x:y", kind=kind)
    return Finding(violation.signature, violation, {}, "", "WebhookMachine", 0)


def test_a_finding_cut_short_stays_findable_until_a_shrunk_one_replaces_it() -> None:
    ledger = Ledger()
    cut = replace(_finding("dup"), shrunk=False)
    assert ledger.add(cut) is True
    ledger.freeze()
    assert not ledger.known(cut.signature)  # met again, it is raised and shrunk
    assert ledger.improve(replace(_finding("dup"), shrunk=False)) is None  # cut again: only a hit
    better = ledger.improve(replace(_finding("dup"), program="shrunk", seed=9))
    assert better is ledger.findings[cut.signature] and better.shrunk and better.program == "shrunk"
    ledger.freeze()
    assert ledger.known(cut.signature)
    assert ledger.improve(_finding("dup")) is None  # shrunk already: nothing to improve


def test_a_cut_place_of_a_defect_shown_shrunk_elsewhere_waits_for_spare_time() -> None:
    """A timed turn defers the shrink of a further place of a defect one place of which is
    already shrunk: known (counted) while generating, findable when finishing deferred shrinks."""
    from harness.ledger import Control

    ledger = Ledger()
    cut = replace(_finding("dup"), shrunk=False)
    other_kind = replace(_finding("other"), shrunk=False)
    ledger.add(cut)
    ledger.add(other_kind)
    assert not ledger.shrunk_elsewhere(cut.signature)
    violation = Violation("I1", "twice", "z:w", kind="dup")
    ledger.add(Finding(violation.signature, violation, {}, "", "WebhookMachine", 0))
    assert ledger.shrunk_elsewhere(cut.signature) and not ledger.shrunk_elsewhere(other_kind.signature)
    assert not ledger.shrunk_elsewhere(violation.signature)  # itself is not elsewhere
    assert ledger.unshrunk("WebhookMachine", deferred=False) == [other_kind.signature]
    assert set(ledger.unshrunk("WebhookMachine")) == {cut.signature, other_kind.signature}
    ledger.freeze(defer=True)
    assert ledger.known(cut.signature) and not ledger.known(other_kind.signature)
    ledger.freeze()
    assert not ledger.known(cut.signature)
    control = Control(defer=ledger.shrunk_elsewhere)
    assert control.shrink_must_stop(cut.signature, started=0.0) and cut.signature in control.cut
    assert not control.shrink_must_stop(other_kind.signature, started=0.0)


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")
def test_claims_on_redis_have_one_winner_and_count_the_others(redis_url: str) -> None:
    first = Ledger(RedisClaims(redis_url, "run-a"), owner="host-1")
    second = Ledger(RedisClaims(redis_url, "run-a"), owner="host-2")
    other_run = Ledger(RedisClaims(redis_url, "run-b"), owner="host-3")
    assert first.add(_finding("dup")) is True
    assert second.add(_finding("dup")) is False  # claimed by host-1: only a hit here
    assert other_run.add(_finding("dup")) is True  # another run key: its own findings
    second.freeze()
    assert second.known(_finding("dup").signature)
    second.count([_finding("dup").signature])
    assert RedisClaims(redis_url, "run-a").hits() == {_finding("dup").signature: 2}
    assert RedisClaims(redis_url, "run-a").shrunk_defects() == {_finding("dup").signature[:2]}
    assert RedisClaims(redis_url, "run-c").shrunk_defects() == set()


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")
def test_two_hosts_on_one_redis_report_each_defect_once(tmp_path: Path, redis_url: str) -> None:
    env = {"FUZZ_REDIS_URL": redis_url, "FUZZ_RUN_KEY": "night-1"}
    hosts = [run("--target", "mutant:no-dedupe", "--machines", "webhook", "--workers", "1",
                 "--profile", "dev", "--examples", "40", "--seed", str(seed),
                 "--reports-dir", str(tmp_path / f"host{seed}"), env=env) for seed in (1, 2)]
    for host in hosts:
        out, err = host.communicate(timeout=600)
        assert host.returncode in (0, 1), out + err
    reported = [s for seed in (1, 2) for s in signatures(tmp_path / f"host{seed}" / "latest")]
    assert reported and len(reported) == len(set(reported)), reported


def test_finishing_shrinks_first_takes_one_place_of_each_defect_no_place_of_which_is_shrunk() -> None:
    """The report needs one shrunk place per defect: a defect met at four places must not
    take four long shrinks while another defect waits for its first."""
    ledger = Ledger()
    places = []
    for component, machine in (("a:b", "GovernanceMachine"), ("c:d", "WebhookMachine"), ("e:f", "GovernanceMachine")):
        violation = Violation("G1", "changed", component, kind="changed between its write and its lock")
        places.append(Finding(violation.signature, violation, {}, "", machine, 0, shrunk=False))
        ledger.add(places[-1])
    other = replace(_finding("other"), shrunk=False, machine="GovernanceMachine")
    ledger.add(other)
    assert ledger.unshrunk("GovernanceMachine", deferred=False) == [places[0].signature, other.signature]
    assert ledger.unshrunk("WebhookMachine", deferred=False) == []  # its place waits: one is enough
    assert len(ledger.unshrunk("GovernanceMachine")) == 3  # all of them, when time is spare
    assert ledger.improve(replace(places[0], shrunk=True)) is not None
    assert ledger.unshrunk("GovernanceMachine", deferred=False) == [other.signature]


def test_a_defect_one_worker_shrank_is_not_shrunk_again_at_another_workers_place(tmp_path: Path) -> None:
    """Workers share which defects are shown shrunk: a place of one held by another worker
    waits for spare time there too, and is not the first shrink of that worker's last part."""
    claims_path = str(tmp_path / "claims.sqlite")
    first = Ledger(SqliteClaims(claims_path), owner="worker-0")
    second = Ledger(SqliteClaims(claims_path), owner="worker-1")
    there = replace(_finding("dup"), shrunk=False)
    assert second.add(there)
    second.add(replace(_finding("other"), shrunk=False))
    second.freeze()
    assert second.unshrunk("WebhookMachine", deferred=False) == [there.signature, _finding("other").signature]
    violation = Violation("I1", "twice", "z:w", kind="dup")
    assert first.add(Finding(violation.signature, violation, {}, "", "WebhookMachine", 0))  # shrunk
    assert not second.shrunk_elsewhere(there.signature)  # not known before its next sync
    second.freeze(defer=True)
    assert second.shrunk_elsewhere(there.signature) and second.known(there.signature)
    assert not second.shrunk_elsewhere(_finding("other").signature)
    assert second.unshrunk("WebhookMachine", deferred=False) == [_finding("other").signature]
    assert not first.shrunk_elsewhere(violation.signature)  # a place is not elsewhere to itself
    # a place shrunk later (improved from cut) tells the others too
    third = Ledger(SqliteClaims(claims_path), owner="worker-2")
    late = Violation("I1", "twice", "q:r", kind="other")
    assert third.add(Finding(late.signature, late, {}, "", "WebhookMachine", 0, shrunk=False))
    third.freeze()
    assert not third.shrunk_elsewhere(late.signature)
    assert second.improve(replace(_finding("other"), program="shrunk")) is not None
    third.freeze()
    assert third.shrunk_elsewhere(late.signature)


def test_an_example_bounded_worker_explores_the_same_whatever_the_others_claimed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Same seed, same findings: in an example-bounded run (CI, the pytest front) a worker knows
    only what its own machines met, so another worker's claims change what it reports, never
    what it explores (they did: the pytest front's findings depended on which machine ran first)."""
    from hypothesis import settings

    from harness.campaign import Campaign
    from harness.config import CONFIG

    monkeypatch.setattr(CONFIG, "target", "mutant:no-dedupe")
    profile = settings(settings.get_profile("ci"), max_examples=6, database=None)

    def run(claims: SqliteClaims) -> tuple[Any, Ledger]:
        ledger = Ledger(claims, owner="worker-0")
        return Campaign(["webhook"], profile=profile, seed=0, examples=6, ledger=ledger).run(), ledger

    alone, alone_ledger = run(SqliteClaims(str(tmp_path / "alone.sqlite")))
    assert alone.findings
    claimed = SqliteClaims(str(tmp_path / "claimed.sqlite"))  # another worker was faster
    for finding in alone.findings:
        assert claimed.claim(finding.signature, "worker-1")
    late, late_ledger = run(claimed)
    assert not late.findings  # each one is the other worker's to report ...
    assert late_ledger.met == alone_ledger.met  # ... but met all the same, and explored alike
    assert (late.examples, late.test_calls, late.steps) == (alone.examples, alone.test_calls, alone.steps)
    assert claimed.hits() == {f.signature: f.hits for f in alone.findings}
