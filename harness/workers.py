"""Parallel workers: N processes fuzz one run, sharing the example database and one set of
distinct findings, so a night on N cores does N times the work and reports each defect once.

Each worker is a campaign with seeds of its own. Signatures are claimed in one place: the
first worker to claim one reports it (the main process writes its trace, regression test and
findings.md), the others count it as a hit and go on past it. Claims live in Redis when
FUZZ_REDIS_URL is set (several hosts running the same command share them, and the example
database, there), else in a `multiprocessing` manager of this host.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import pickle
import queue
import signal
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from harness.campaign import Campaign, CampaignResult, MachineReport
from harness.events import Event, FindingMade, Progress, Stream, TurnEnded
from harness.ledger import Finding, Ledger
from harness.observe import Observer
from harness.violation import DefectKey, Signature

POLL_SECONDS = 0.5


def _key(signature: Signature | DefectKey) -> str:
    return json.dumps(list(signature))


class SqliteClaims:
    """Claims in an SQLite file (one host: the processes of one run, or the pytest workers of
    one session); SQLite's own locking decides the one winner."""

    def __init__(self, path: str) -> None:
        self.path = path
        with self._db() as db:
            db.execute("CREATE TABLE IF NOT EXISTS claims (signature TEXT PRIMARY KEY, owner TEXT)")
            db.execute("CREATE TABLE IF NOT EXISTS hits (signature TEXT PRIMARY KEY, n INTEGER)")
            db.execute("CREATE TABLE IF NOT EXISTS shrunk (defect TEXT PRIMARY KEY)")

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        try:
            db.execute("BEGIN IMMEDIATE")
            yield db
            db.execute("COMMIT")
        finally:
            db.close()

    def claim(self, signature: Signature, owner: str) -> bool:
        with self._db() as db:
            done = db.execute("INSERT OR IGNORE INTO claims VALUES (?, ?)", (_key(signature), owner))
            return done.rowcount == 1

    def signatures(self) -> set[Signature]:
        with self._db() as db:
            return {tuple(json.loads(k)) for (k,) in db.execute("SELECT signature FROM claims")}  # type: ignore[misc]

    def hit(self, signature: Signature, n: int = 1) -> None:
        with self._db() as db:
            db.execute("INSERT INTO hits VALUES (?, ?) ON CONFLICT(signature) DO UPDATE SET n = n + ?",
                       (_key(signature), n, n))

    def hits(self) -> dict[Signature, int]:
        with self._db() as db:
            return {tuple(json.loads(k)): int(n) for k, n in db.execute("SELECT signature, n FROM hits")}  # type: ignore[misc]

    def shrunk(self, defect: DefectKey) -> None:
        with self._db() as db:
            db.execute("INSERT OR IGNORE INTO shrunk VALUES (?)", (_key(defect),))

    def shrunk_defects(self) -> set[DefectKey]:
        with self._db() as db:
            return {tuple(json.loads(k)) for (k,) in db.execute("SELECT defect FROM shrunk")}


class RedisClaims:
    """Claims in Redis (HSETNX: one winner whatever the host), under one run key."""

    def __init__(self, url: str, run_key: str) -> None:
        from redis import Redis

        self.redis = Redis.from_url(url)
        self.prefix = f"agentleeops-fuzz:run:{run_key}:"

    def claim(self, signature: Signature, owner: str) -> bool:
        return bool(self.redis.hsetnx(self.prefix + "claims", _key(signature), owner))

    def signatures(self) -> set[Signature]:
        return {tuple(json.loads(k)) for k in self.redis.hkeys(self.prefix + "claims")}  # type: ignore[misc]

    def hit(self, signature: Signature, n: int = 1) -> None:
        self.redis.hincrby(self.prefix + "hits", _key(signature), n)

    def hits(self) -> dict[Signature, int]:
        return {tuple(json.loads(k)): int(v)  # type: ignore[misc]
                for k, v in self.redis.hgetall(self.prefix + "hits").items()}

    def shrunk(self, defect: DefectKey) -> None:
        self.redis.sadd(self.prefix + "shrunk", _key(defect))

    def shrunk_defects(self) -> set[DefectKey]:
        return {tuple(json.loads(k)) for k in self.redis.smembers(self.prefix + "shrunk")}


@dataclass(frozen=True)
class Job:
    """What a worker needs to run its share (plain data: it crosses a process boundary)."""

    index: int
    workers: int
    names: tuple[str, ...]
    profile: str
    seed: int
    examples: int | None
    minutes: float | None
    explain: bool
    target: str
    agentleeops_path: str | None
    face: str
    cache_dir: str
    log_path: str
    redis_url: str | None
    run_key: str
    claims_path: str  # the SQLite claims of this host's run, when there is no Redis
    observed: str | None = None  # where to append Hypothesis's observability records (--observe)


def _worker(job: Job, out: Any) -> None:
    """One worker process: its own campaign, reporting to the main process through `out`."""
    from harness import profiles
    from harness.config import CONFIG
    from harness.ledger import RUN

    log = os.open(job.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)

    def ask(signum: int, frame: Any) -> None:
        RUN.control.interrupted = signal.Signals(signum).name

    signal.signal(signal.SIGTERM, ask)
    signal.signal(signal.SIGINT, ask)
    CONFIG.target, CONFIG.agentleeops_path, CONFIG.face = job.target, job.agentleeops_path, job.face
    profiles.use_cache_dir(job.cache_dir)
    profiles.register()
    profile = profiles.use_profile(job.profile)
    claims = claims_for(job.redis_url, job.run_key, job.claims_path)

    def send(kind: str, payload: Any) -> None:
        """Put on the queue, or say why not: its feeder thread would drop an unpicklable
        message with nothing but a line in the log."""
        try:
            pickle.dumps(payload)
        except Exception as exc:  # noqa: BLE001 - reported to the main process
            out.put(("error", job.index, f"cannot send its {kind} to the main process: {exc}"))
        else:
            out.put((kind, job.index, payload))

    campaign = Campaign(
        list(job.names), profile=profile, seed=job.seed, examples=job.examples, minutes=job.minutes,
        explain=job.explain, worker=job.index, workers=job.workers,
        ledger=Ledger(claims, owner=f"worker-{job.index}"), events=Stream([_Forward(send)]),
    )
    try:
        with Observer(job.observed) if job.observed else contextlib.nullcontext():
            send("done", campaign.run())
    except BaseException as exc:
        out.put(("error", job.index, f"stopped: {type(exc).__name__}: {exc}".splitlines()[0]))
        raise


class _Forward:
    """A worker's listener: its findings, turns and progress go to the main process, which
    emits them, with every worker's work added up, to the run's own listeners."""

    def __init__(self, send: Callable[[str, Any], None]) -> None:
        self.send = send

    def handle(self, event: Event) -> None:
        if isinstance(event, FindingMade):  # the main process knows all workers' machines
            self.send("event", FindingMade(event.finding, ()))
        elif isinstance(event, TurnEnded):
            self.send("event", TurnEnded(event.report, ()))
        elif isinstance(event, Progress):
            self.send("event", event)


@dataclass
class Gathered:
    """What the main process knows of its workers while they run."""

    reports: dict[tuple[int, str], MachineReport]
    findings: list[Finding]
    results: dict[int, CampaignResult]

    def machines(self, names: Sequence[str]) -> list[MachineReport]:
        """Per machine, the workers' work added up."""
        merged = []
        for name in names:
            parts = [r for (_, n), r in sorted(self.reports.items()) if n == name]
            if not parts:
                continue
            first = parts[0]
            merged.append(replace(
                first, examples=sum(p.examples for p in parts), test_calls=sum(p.test_calls for p in parts),
                steps=sum(p.steps for p in parts), seconds=max(p.seconds for p in parts),
                turns=sum(p.turns for p in parts), slices=sum(p.slices for p in parts),
                budget_seconds=max((p.budget_seconds or 0.0) for p in parts) or None,
                findings=[f for p in parts for f in p.findings],
                reached=dict(sum((Counter(p.reached) for p in parts), Counter())),
                stopped=next((p.stopped for p in parts if p.stopped), None)))
        return merged


def run_workers(
    jobs: Sequence[Job],
    *,
    emit: Callable[[Event], None],
    interrupted: Callable[[], str | None],
    on_error: Callable[[str], None] = lambda message: None,
) -> tuple[list[MachineReport], list[Finding], str | None]:
    """Start one process per job, gather what they find until all are done (or stopped),
    emitting the workers' events as the run's: every machine's work added up over them."""
    ctx = multiprocessing.get_context("spawn")
    names = list(jobs[0].names)
    claims = claims_for(jobs[0].redis_url, jobs[0].run_key, jobs[0].claims_path)
    out = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(job, out), daemon=True, name=f"fuzz-worker-{job.index}")
             for job in jobs]
    for proc in procs:
        proc.start()
    progress = Gathered({}, [], {})
    live: dict[int, tuple[int, int]] = {}
    errors: list[str] = []
    stopped = None
    try:
        while len(progress.results) < len(procs):
            if stopped is None and (stopped := interrupted()):
                for proc in procs:  # Ctrl-C reaches the workers' group anyway; SIGTERM does not
                    if proc.is_alive() and proc.pid:
                        with contextlib.suppress(ProcessLookupError):
                            os.kill(proc.pid, signal.SIGTERM)
            try:
                kind, index, payload = out.get(timeout=POLL_SECONDS)
            except queue.Empty:
                if all(not p.is_alive() for p in procs):
                    break
                continue
            if kind == "event" and isinstance(payload, FindingMade):
                # new, or news of one held unshrunk (it replaces it)
                found = payload.finding
                at = next((i for i, f in enumerate(progress.findings) if f.signature == found.signature),
                          len(progress.findings))
                progress.findings[at:at + 1] = [found]
                emit(FindingMade(found, tuple(progress.machines(names))))
            elif kind == "event" and isinstance(payload, TurnEnded):
                progress.reports[(index, payload.report.machine)] = payload.report
                merged = progress.machines(names)
                emit(TurnEnded(next(m for m in merged if m.machine == payload.report.machine), tuple(merged)))
            elif kind == "event" and isinstance(payload, Progress):  # so far, per worker
                live[index] = payload.test_cases, payload.steps
                emit(Progress("all", sum(c for c, _ in live.values()), sum(s for _, s in live.values())))
            elif kind == "error":  # a harness failure in a worker: the run is not whole
                errors.append(f"worker {index} {payload}")
                on_error(errors[-1])
            elif kind == "done":
                progress.results[index] = payload
                for report in payload.machines:
                    progress.reports[(index, report.machine)] = report
    finally:
        for proc in procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
    shared_hits = claims.hits()
    # each finding: the hits its own worker counted, and those the others counted on claims
    own = {f.signature: f.hits for r in progress.results.values() for f in r.findings}
    findings = [replace(f, hits=own.get(f.signature, f.hits) + shared_hits.get(f.signature, 0))
                for f in progress.findings]
    stopped = stopped or next((r.stopped for r in progress.results.values() if r.stopped), None) \
        or (errors[0] if errors else None)
    return progress.machines(names), findings, stopped


def claims_for(redis_url: str | None, run_key: str, path: str) -> SqliteClaims | RedisClaims:
    """Redis when the run shares one (several hosts), else the run's own SQLite file."""
    return RedisClaims(redis_url, run_key) if redis_url else SqliteClaims(path)


def default_workers() -> int:
    return os.cpu_count() or 1


def run_key(target: str, version: str, profile: str, seed: int) -> str:
    """Hosts running the same command on the same day share their findings under this key."""
    return f"{target}:{version}:{profile}:{seed}:{time.strftime('%Y%m%d', time.gmtime())}"
