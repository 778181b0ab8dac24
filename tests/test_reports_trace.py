"""The replay file format: stable bytes, faithful round trip, one clear line for every bad file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.reports.trace import (
    FORMAT,
    Trace,
    TraceError,
    dumps,
    load,
    save,
    trace_from_json,
    trace_to_json,
    violation_from_json,
)
from harness.violation import Violation
from tests.test_reports_fixtures import HOSTILE, g1_trace, g1_world, step


def test_save_load_round_trip_is_byte_identical(tmp_path: Path) -> None:
    trace = g1_trace()
    first = save(trace, tmp_path / "a" / "trace.json")
    loaded = load(first)
    assert loaded == trace
    second = save(loaded, tmp_path / "b.json")
    assert first.read_bytes() == second.read_bytes()
    assert dumps(g1_trace()) == dumps(trace)  # same run, same bytes


def test_saved_text_is_sorted_indented_ascii(tmp_path: Path) -> None:
    path = save(g1_trace(steps=[step(HOSTILE, rule="edit", title=HOSTILE)]), tmp_path / "t.json")
    raw = path.read_bytes()
    raw.decode("ascii")  # hostile text is escaped, never raw bytes
    data = json.loads(raw)
    assert list(data) == sorted(data)
    assert raw.startswith(b'{\n  "created_by"') and raw.endswith(b"}\n")
    assert data["format"] == FORMAT == "agentleeops-fuzz-trace/1"
    assert load(path).steps[0]["text"] == HOSTILE


def test_make_trace_normalises_to_what_load_sees(tmp_path: Path) -> None:
    trace = g1_trace(steps=[step("card #1 tagged", rule="tag", tags=("a", "b"))])
    assert trace.steps[0]["args"]["tags"] == ["a", "b"]  # a tuple becomes JSON's list up front
    assert load(save(trace, tmp_path / "t.json")) == trace


def test_violation_rebuilt_with_its_evidence() -> None:
    _, violation, _ = g1_world()
    trace = g1_trace()
    assert trace.violation_object() == violation
    rebuilt = violation_from_json(json.loads(json.dumps(violation.to_json())))
    assert rebuilt.headline() == violation.headline()
    assert rebuilt.evidence[0].data["path"].endswith("DESIGN.md")
    assert g1_trace(violation=None).violation_object() is None


def _valid() -> dict[str, Any]:
    return json.loads(dumps(g1_trace()))


def _edit(change: Any) -> dict[str, Any]:
    data = _valid()
    change(data)
    return data


CORRUPT = {
    "missing format": (lambda d: d.pop("format"), "missing field 'format'"),
    "foreign format": (
        lambda d: d.update(format="pytest-report/3"),
        "not an agentleeops-fuzz trace",
    ),
    "newer version": (
        lambda d: d.update(format="agentleeops-fuzz-trace/2"),
        "unsupported trace format version",
    ),
    "missing machine": (lambda d: d.pop("machine"), "missing field 'machine'"),
    "unknown field": (lambda d: d.update(extra=1), "unknown field 'extra'"),
    "seed is text": (
        lambda d: d.update(seed="12"),
        "field 'seed' must be an integer or null, got string",
    ),
    "seed is bool": (
        lambda d: d.update(seed=True),
        "field 'seed' must be an integer or null, got boolean",
    ),
    "bad face": (lambda d: d.update(face="ftp"), "field 'face' must be one of inproc, http"),
    "empty target": (lambda d: d.update(target=""), "field 'target' must not be empty"),
    "steps not list": (lambda d: d.update(steps={}), "field 'steps' must be a list, got object"),
    "args not object": (
        lambda d: d["steps"][1].update(args=[1]),
        "field 'steps[1].args' must be an object, got list",
    ),
    "step without text": (lambda d: d["steps"][0].pop("text"), "missing field 'steps[0].text'"),
    "unknown invariant": (
        lambda d: d["violation"].update(invariant="G9"),
        "field 'violation.invariant' must be one of",
    ),
    "message not text": (
        lambda d: d["violation"].update(message=None),
        "field 'violation.message' must be a string, got null",
    ),
    "evidence event bad": (
        lambda d: d["violation"]["evidence"][0].update(data="x"),
        "field 'violation.evidence[0].data' must be an object, got string",
    ),
    "journal kind unknown": (
        lambda d: d["journal"][0].update(kind="bogus"),
        "field 'journal[0].kind' must be a journal event kind",
    ),
    "journal seq text": (
        lambda d: d["journal"][2].update(seq="3"),
        "field 'journal[2].seq' must be an integer, got string",
    ),
    "program missing": (
        lambda d: d.pop("hypothesis_program"),
        "missing field 'hypothesis_program'",
    ),
    "hostile key": (lambda d: d.update({"x\ny": 1}), "unknown field 'x\\ny'"),
}


def _assert_one_clear_line(exc: TraceError, *expected: str) -> None:
    text = str(exc)
    assert "\n" not in text and "\r" not in text
    assert "Traceback" not in text
    for part in expected:
        assert part in text, text
    assert exc.__cause__ is None and exc.__suppress_context__  # no chained traceback wall


@pytest.mark.parametrize("case", sorted(CORRUPT))
def test_corrupt_fields_give_one_line_naming_the_field(tmp_path: Path, case: str) -> None:
    change, expected = CORRUPT[case]
    path = tmp_path / "trace.json"
    path.write_text(json.dumps(_edit(change)))
    with pytest.raises(TraceError) as info:
        load(path)
    _assert_one_clear_line(info.value, str(path), expected)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "trace file not found"),
        (b"", "is not JSON: Expecting value at line 1 column 1"),
        (b'{"format": "agentleeops-fuzz-trace/1",\n  "seed": }', "is not JSON"),
        (b"\xff\xfe{}", "is not UTF-8 text"),
        (b"[1, 2]", "expected a JSON object at the top level, got list"),
        (b'{"seed": NaN}', "is not JSON: NaN is not allowed"),
    ],
    ids=["missing", "empty", "truncated", "binary", "array", "nan"],
)
def test_unreadable_files_give_one_line(
    tmp_path: Path, content: bytes | None, expected: str
) -> None:
    path = tmp_path / "trace.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(TraceError) as info:
        load(path)
    _assert_one_clear_line(info.value, str(path), expected)


def test_directory_is_not_a_trace(tmp_path: Path) -> None:
    with pytest.raises(TraceError) as info:
        load(tmp_path)
    _assert_one_clear_line(info.value, "is a directory")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"when": {1, 2}}, "field 'steps[0].args.when' holds a set"),
        ({"ratio": float("nan")}, "field 'steps[0].args.ratio' holds a non-finite number"),
        ({"by_id": {1: "x"}}, "field 'steps[0].args.by_id' has a non-string key"),
    ],
)
def test_save_refuses_what_load_would_refuse(
    tmp_path: Path, args: dict[str, Any], expected: str
) -> None:
    trace = g1_trace()
    trace.steps = [{"rule": "odd", "args": args, "text": "odd step"}]
    path = tmp_path / "t.json"
    with pytest.raises(TraceError) as info:
        save(trace, path)
    _assert_one_clear_line(info.value, expected)
    assert not path.exists()


def test_trace_from_json_is_the_loader_without_a_file() -> None:
    data = _valid()
    assert trace_from_json(data) == g1_trace()
    assert trace_to_json(trace_from_json(data)) == data
    with pytest.raises(TraceError, match="missing field 'steps'"):
        trace_from_json({k: v for k, v in data.items() if k != "steps"})
    assert isinstance(trace_from_json(data), Trace)


def test_make_trace_says_what_it_cannot_record() -> None:
    with pytest.raises(
        TraceError, match="cannot record trace: .*NaN|cannot record trace: Out of range"
    ):
        g1_trace(steps=[step("odd", ratio=float("inf"))])
    with pytest.raises(TraceError, match="cannot record trace: keys must be"):
        g1_trace(steps=[step("odd", pairs={(1, 2): "x"})])
    with pytest.raises(TraceError, match="cannot record trace: Object of type set"):
        g1_trace(steps=[step("odd", when={3})])  # replay needs the args exactly, so no repr()


def test_odd_values_in_evidence_are_shown_not_refused() -> None:
    journal, violation, steps = g1_world()
    odd = Violation(
        "G1", "x", "y", violation.evidence, {"paths": {"b", "a"}, "n": float("nan"), 3: b"z"}
    )
    trace = g1_trace(violation=odd, journal=journal)
    assert trace.violation is not None
    assert trace.violation["details"] == {"paths": ["a", "b"], "n": "nan", "3": "z"}
