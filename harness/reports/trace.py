"""The replay file: one shrunk run, versioned, in stable JSON.

A trace outlives the harness version that wrote it (it sits in CI artefacts and in
regression tests), so it names its format, and loading checks every field and says in one
line what is wrong instead of failing somewhere deep in replay.
"""

from __future__ import annotations

import functools
import json
import math
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.journal import KINDS, Event
from harness.reports.text import one_line
from harness.violation import SEVERITY, Violation

FORMAT_NAME = "agentleeops-fuzz-trace"
FORMAT_VERSION = 1
FORMAT = f"{FORMAT_NAME}/{FORMAT_VERSION}"
FACES = ("inproc", "http")


class TraceError(ValueError):
    """A trace that cannot be read or written; its message is one line naming the problem."""

    def __init__(self, message: str) -> None:
        # Field names and values can come from hostile card text: keep the message one line.
        super().__init__(one_line(message, 400))


@dataclass
class Trace:
    """Everything needed to replay a run and to explain it (see DESIGN.md, "What a run produces")."""

    target: str  # "reference", "mutant:<name>", "agentleeops"
    target_version: str
    machine: str  # the state machine's class name
    seed: int | None
    face: str  # "inproc" | "http": which Kanboard face the run used
    steps: list[dict[str, Any]]  # {"rule": str, "args": dict, "text": str}, shrunk
    violation: dict[str, Any] | None  # Violation.to_json(), or None
    journal: list[dict[str, Any]]  # Event.to_json() for every event of the run
    hypothesis_program: str  # Hypothesis's own reproducible program text
    created_by: str = field(default_factory=lambda: harness_version())
    format: str = FORMAT

    def violation_object(self) -> Violation | None:
        """The recorded violation rebuilt as a Violation (with its evidence Events)."""
        return None if self.violation is None else violation_from_json(self.violation)


@functools.lru_cache(maxsize=1)
def harness_version() -> str:
    """The creator stamp, e.g. "agentleeops-fuzz 0.1.0": installed metadata, else pyproject."""
    name = "agentleeops-fuzz"
    try:
        from importlib.metadata import PackageNotFoundError, version

        try:
            return f"{name} {version(name)}"
        except PackageNotFoundError:
            pass
        pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        return f"{name} {data['project']['version']}"
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return f"{name} (unknown version)"


def make_trace(
    *,
    target: str,
    target_version: str,
    machine: str,
    seed: int | None,
    face: str,
    steps: Sequence[Mapping[str, Any]],
    violation: Violation | None,
    journal: Iterable[Event],
    hypothesis_program: str = "",
) -> Trace:
    """Build a checked Trace from the engine's live objects (Violation, Journal or events)."""
    trace = Trace(
        target=target,
        target_version=target_version,
        machine=machine,
        seed=seed,
        face=face,
        steps=[
            {"rule": s["rule"], "args": dict(s.get("args") or {}), "text": s.get("text", "")}
            for s in steps
        ],
        # Evidence and details only explain the failure: odd values are shown, not refused.
        violation=None if violation is None else _explainable(violation.to_json()),
        journal=[_explainable(e.to_json()) for e in journal],
        hypothesis_program=hypothesis_program,
    )
    try:  # JSON's own view of the values (tuples -> lists, int keys -> str), as load() will see them
        data = json.loads(json.dumps(trace_to_json(trace), allow_nan=False))
    except (TypeError, ValueError) as exc:  # steps drive the replay, so they must be exact
        raise TraceError(f"cannot record trace: {exc}") from None
    return trace_from_json(data)


def _explainable(value: Any) -> Any:
    """Plain JSON for values that are only shown: sets sorted, bytes decoded, others repr()."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, Mapping):
        return {str(k): _explainable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_explainable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((_explainable(v) for v in value), key=repr)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return repr(value)


# -- JSON <-> Trace --------------------------------------------------------------------------


def trace_to_json(trace: Trace) -> dict[str, Any]:
    return {
        "format": trace.format,
        "target": trace.target,
        "target_version": trace.target_version,
        "machine": trace.machine,
        "seed": trace.seed,
        "face": trace.face,
        "steps": trace.steps,
        "violation": trace.violation,
        "journal": trace.journal,
        "hypothesis_program": trace.hypothesis_program,
        "created_by": trace.created_by,
    }


def dumps(trace: Trace) -> str:
    """Stable text: sorted keys, indent 2, ASCII only, newline at the end; same trace, same bytes."""
    data = trace_to_json(trace)
    _check_trace(data)  # never write a file that load() would refuse
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=True, allow_nan=False) + "\n"


def save(trace: Trace, path: str | Path) -> Path:
    """Write the trace to `path` (parents created); raises TraceError for content JSON cannot hold."""
    path = Path(path)
    text = _labelled(path, dumps, trace)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("ascii"))
    except OSError as exc:
        raise TraceError(f"cannot write trace {path}: {exc.strerror or exc}") from None
    return path


def load(path: str | Path) -> Trace:
    """Read and check a trace file; any problem is a TraceError with one line naming it."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise TraceError(f"trace file not found: {path}") from None
    except IsADirectoryError:
        raise TraceError(f"trace path is a directory, not a file: {path}") from None
    except OSError as exc:
        raise TraceError(f"cannot read trace {path}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TraceError(f"trace {path} is not UTF-8 text (byte {exc.start})") from None
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise TraceError(
            f"trace {path} is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except ValueError as exc:
        raise TraceError(f"trace {path} is not JSON: {exc}") from None
    return _labelled(path, trace_from_json, data)


def trace_from_json(data: Any) -> Trace:
    """A Trace from its parsed JSON, every field checked; raises TraceError naming the field."""
    _check_trace(data)
    return Trace(
        format=data["format"],
        target=data["target"],
        target_version=data["target_version"],
        machine=data["machine"],
        seed=data["seed"],
        face=data["face"],
        steps=[dict(s) for s in data["steps"]],
        violation=data["violation"],
        journal=list(data["journal"]),
        hypothesis_program=data["hypothesis_program"],
        created_by=data["created_by"],
    )


def event_from_json(data: Mapping[str, Any]) -> Event:
    """An Event from Event.to_json() output (checked)."""
    _check_event(data, "event")
    return Event(
        seq=data["seq"],
        kind=data["kind"],
        actor=data["actor"],
        step=data["step"],
        data=data["data"],
    )


def violation_from_json(data: Mapping[str, Any]) -> Violation:
    """A Violation from Violation.to_json() output; severity and title are derived, not read."""
    _check_violation(data, "violation")
    return Violation(
        invariant=data["invariant"],
        message=data["message"],
        component=data["component"],
        evidence=tuple(event_from_json(e) for e in data["evidence"]),
        details=dict(data["details"]),
        kind=str(data.get("kind") or ""),
        entrypoint=str(data.get("entrypoint") or ""),
    )


# -- checks ----------------------------------------------------------------------------------

_FIELDS: dict[str, tuple[type | tuple[type, ...], str]] = {
    "format": (str, "a string"),
    "target": (str, "a string"),
    "target_version": (str, "a string"),
    "machine": (str, "a string"),
    "seed": ((int, type(None)), "an integer or null"),
    "face": (str, "a string"),
    "steps": (list, "a list"),
    "violation": ((dict, type(None)), "an object or null"),
    "journal": (list, "a list"),
    "hypothesis_program": (str, "a string"),
    "created_by": (str, "a string"),
}


def _labelled(path: Path, fn: Any, arg: Any) -> Any:
    try:
        return fn(arg)
    except TraceError as exc:
        raise TraceError(f"trace {path}: {exc}") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {
        bool: "boolean",
        int: "integer",
        float: "number",
        str: "string",
        list: "list",
        dict: "object",
    }.get(type(value), type(value).__name__)


def _need(value: Any, types: type | tuple[type, ...], what: str, where: str) -> None:
    ok = isinstance(value, types) and not (isinstance(value, bool) and bool not in _as_tuple(types))
    if not ok:
        raise TraceError(f"field '{where}' must be {what}, got {_kind(value)}")


def _as_tuple(types: type | tuple[type, ...]) -> tuple[type, ...]:
    return types if isinstance(types, tuple) else (types,)


def _need_keys(
    data: Mapping[str, Any], required: Iterable[str], where: str, *, exact: bool
) -> None:
    for key in required:
        if key not in data:
            raise TraceError(f"missing field '{where}{key}'")
    if exact:
        extra = sorted(str(k) for k in data if k not in set(required))
        if extra:
            raise TraceError(f"unknown field '{where}{extra[0]}'")


def _check_trace(data: Any) -> None:
    if not isinstance(data, dict):
        raise TraceError(f"expected a JSON object at the top level, got {_kind(data)}")
    fmt = data.get("format")
    if "format" not in data:
        raise TraceError(f"missing field 'format' (expected \"{FORMAT}\")")
    if not isinstance(fmt, str) or not fmt.startswith(f"{FORMAT_NAME}/"):
        raise TraceError(
            f'not an agentleeops-fuzz trace: format is {json.dumps(fmt)[:80]}, expected "{FORMAT}"'
        )
    if fmt != FORMAT:
        raise TraceError(
            f'unsupported trace format version "{fmt[:60]}": this harness reads "{FORMAT}"'
        )
    _need_keys(data, _FIELDS, "", exact=True)
    for key, (types, what) in _FIELDS.items():
        _need(data[key], types, what, key)
    for key in ("target", "machine"):
        if not data[key]:
            raise TraceError(f"field '{key}' must not be empty")
    if data["face"] not in FACES:
        raise TraceError(
            f"field 'face' must be one of {', '.join(FACES)}, got {json.dumps(data['face'])[:60]}"
        )
    for i, step in enumerate(data["steps"]):
        where = f"steps[{i}]"
        _need(step, dict, "an object", where)
        _need_keys(step, ("rule", "args", "text"), f"{where}.", exact=True)
        _need(step["rule"], str, "a string", f"{where}.rule")
        _need(step["args"], dict, "an object", f"{where}.args")
        _need(step["text"], str, "a string", f"{where}.text")
        _check_plain_json(step["args"], f"{where}.args")
    if data["violation"] is not None:
        _check_violation(data["violation"], "violation")
    for i, event in enumerate(data["journal"]):
        _check_event(event, f"journal[{i}]")


def _check_violation(data: Any, where: str) -> None:
    _need(data, dict, "an object", where)
    _need_keys(
        data, ("invariant", "message", "component", "evidence", "details"), f"{where}.", exact=False
    )
    _need(data["invariant"], str, "a string", f"{where}.invariant")
    if data["invariant"] not in SEVERITY:
        raise TraceError(
            f"field '{where}.invariant' must be one of {', '.join(sorted(SEVERITY))}, got {json.dumps(data['invariant'])[:40]}"
        )
    for key in ("message", "component"):
        _need(data[key], str, "a string", f"{where}.{key}")
    for key in ("kind", "entrypoint"):  # written since the signature; older traces lack them
        if key in data:
            _need(data[key], str, "a string", f"{where}.{key}")
    for key in ("severity", "title"):  # derived from the invariant; written for readers
        if key in data:
            _need(data[key], str, "a string", f"{where}.{key}")
    _need(data["evidence"], list, "a list", f"{where}.evidence")
    for i, event in enumerate(data["evidence"]):
        _check_event(event, f"{where}.evidence[{i}]")
    _need(data["details"], dict, "an object", f"{where}.details")
    _check_plain_json(data["details"], f"{where}.details")


def _check_event(data: Any, where: str) -> None:
    _need(data, dict, "an object", where)
    _need_keys(data, ("seq", "kind", "actor", "step", "data"), f"{where}.", exact=True)
    _need(data["seq"], int, "an integer", f"{where}.seq")
    _need(data["kind"], str, "a string", f"{where}.kind")
    if data["kind"] not in KINDS:
        raise TraceError(
            f"field '{where}.kind' must be a journal event kind, got {json.dumps(data['kind'])[:40]}"
        )
    _need(data["actor"], str, "a string", f"{where}.actor")
    _need(data["step"], int, "an integer", f"{where}.step")
    _need(data["data"], dict, "an object", f"{where}.data")
    _check_plain_json(data["data"], f"{where}.data")


def _check_plain_json(value: Any, where: str) -> None:
    """Only what JSON holds exactly (so save -> load -> save is byte-identical)."""
    if value is None or isinstance(value, (str, bool, int)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise TraceError(f"field '{where}' holds a non-finite number, which JSON cannot store")
        return
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check_plain_json(item, f"{where}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TraceError(f"field '{where}' has a non-string key {key!r:.40}")
            _check_plain_json(item, f"{where}.{key}")
        return
    raise TraceError(f"field '{where}' holds a {type(value).__name__}, which JSON cannot store")
