"""Payloads match what a real Kanboard sent (webhooks.jsonl), byte for byte; delivery plans
do what they say and shrink to the clean plan."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strategies import webhooks as wh
from strategies.sampling import examples, simplest

RECORDED = Path(__file__).resolve().parents[2] / "shared" / "kanboard" / "webhooks.jsonl"
if not RECORDED.exists():  # the project may sit elsewhere than beside shared/
    RECORDED = Path("/work/shared/kanboard/webhooks.jsonl")


def _recorded() -> list[dict[str, Any]]:
    return [json.loads(line) for line in RECORDED.read_text().splitlines() if line.strip()]


def _arguments(body: dict[str, Any]) -> dict[str, Any]:
    """The `payload()` arguments that describe a recorded event."""
    name, data = body["event_name"], body["event_data"]
    task = data["task"]
    if name == wh.MOVE:
        return {"src_column_id": data["src_column_id"], "dst_column_id": data["dst_column_id"]}
    if name == wh.CREATE:
        return {"created_by": "createTask" if "tags" in data else "duplicateTaskToProject"}
    if name == wh.UPDATE:
        return dict(data["changes"])
    if name == wh.COMMENT:
        c = data["comment"]
        return {"comment": c["comment"], "comment_id": c["id"], "user_id": c["user_id"],
                "username": c["username"], "date": c["date_creation"]}
    if name in (wh.LINK_CREATE, wh.LINK_DELETE):
        link = data["task_link"]
        assert link["task_id"] == task["id"]
        return {"opposite_task_id": link["opposite_task_id"], "link_id": link["link_id"],
                "task_link_id": link["id"]}
    f = data["file"]
    return {"filename": f["name"], "file_id": f["id"], "size": f["size"], "path": f["path"],
            "etag": f["etag"], "date": f["date"]}


@pytest.mark.parametrize("record", _recorded(), ids=lambda r: r["body"]["event_name"])
def test_payloads_reproduce_the_recorded_webhooks_exactly(record: dict[str, Any]) -> None:
    body = record["body"]
    task = body["event_data"]["task"]
    if body["event_name"] == wh.UPDATE:  # the caller passes the card as it was before
        task = {**task, **{k: f"old {k}" for k in body["event_data"]["changes"]}}
    built = wh.payload(body["event_name"], task, author=body["event_author"], **_arguments(body))
    assert built == body
    assert json.dumps(built) == json.dumps(body)  # same key order too
    encoded = wh.encode_body(built)
    assert len(encoded) == int(record["headers"]["Content-Length"])
    assert json.loads(encoded) == body
    expected = {k: v for k, v in record["headers"].items() if k != "Host"}
    assert wh.kanboard_headers(encoded) == expected


def _key_shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _key_shape(v) for k, v in value.items() if k != "changes"}
    return None


RECORDED_SHAPES: dict[str, list[Any]] = {}
for _r in _recorded():
    RECORDED_SHAPES.setdefault(_r["body"]["event_name"], []).append(_key_shape(_r["body"]))

TASKS = st.fixed_dictionaries(
    {"id": st.integers(1, 99), "title": st.text(max_size=20), "description": st.text(max_size=40),
     "column_id": st.integers(1, 9), "project_id": st.just(1)},
    optional={"column_title": st.sampled_from(["2. Design Draft", "5. Plan Approved"]),
              "position": st.integers(1, 5)},
)


@settings(max_examples=80, database=None)
@given(st.data(), TASKS)
def test_generated_payloads_have_the_recorded_key_sets(data: st.DataObject, task: dict) -> None:
    before = json.dumps(task)
    body = data.draw(wh.payloads(task))
    assert json.dumps(task) == before  # the caller's dict is left alone
    assert _key_shape(body) in RECORDED_SHAPES[body["event_name"]]
    assert body["event_data"]["task"]["id"] == task["id"]
    assert json.loads(wh.encode_body(body)) == body


def test_payload_refuses_what_kanboard_never_sends() -> None:
    task = {"id": 1}
    with pytest.raises(wh.PayloadError, match="unknown event"):
        wh.payload("task.explode", task)
    with pytest.raises(wh.PayloadError, match="src_column_id"):
        wh.payload(wh.MOVE, task)
    with pytest.raises(wh.PayloadError, match="unknown argument"):
        wh.payload(wh.MOVE, task, src_column_id=1, colour="red")
    with pytest.raises(wh.PayloadError, match="needs an 'id'"):
        wh.payload(wh.CREATE, {})
    with pytest.raises(wh.PayloadError, match="unknown argument"):
        wh.payload(wh.UPDATE, task, column_id=3)
    with pytest.raises(wh.PayloadError, match="unknown link_id"):
        wh.payload(wh.LINK_CREATE, task, opposite_task_id=2, link_id=99)


def test_a_move_reports_the_destination_everywhere() -> None:
    body = wh.payload(wh.MOVE, {"id": 3, "column_id": 4}, src_column_id=4, dst_column_id=5,
                      column_title="5. Plan Approved")
    data = body["event_data"]
    assert data["task"]["column_id"] == data["column_id"] == data["dst_column_id"] == 5
    assert data["changes"] == {"src_column_id": 4, "dst_column_id": 5}
    assert data["task"]["column_title"] == "5. Plan Approved"


def test_bodies_are_escaped_like_php() -> None:
    body = wh.payload(wh.CREATE, {"id": 1, "title": "a/b é"})
    raw = wh.encode_body(body)
    assert b"a\\/b \\u00e9" in raw and raw.isascii()


# -- deliveries -----------------------------------------------------------------------------

EVENTS = [
    wh.payload(wh.CREATE, {"id": 1, "title": "Epic"}),
    wh.payload(wh.MOVE, {"id": 1, "column_id": 2}, src_column_id=1),
    wh.payload(wh.MOVE, {"id": 1, "column_id": 3}, src_column_id=2),
]


@settings(max_examples=100, database=None)
@given(wh.delivery_plans(EVENTS))
def test_delivery_plans_do_what_they_describe(plan: wh.DeliveryPlan) -> None:
    seen = [d.event_index for d in plan.deliveries]
    assert sorted(set(seen)) == [0, 1, 2]  # every event at least once
    counts: dict[int, int] = {}
    for d in plan.deliveries:
        assert d.copy == counts.get(d.event_index, 0)  # copies are numbered in order
        counts[d.event_index] = d.copy + 1
        exact = wh.encode_body(EVENTS[d.event_index])
        if not d.mangle:
            assert d.body == exact  # duplicates are exact
        elif d.mangle.startswith(("missing:", "null:")):
            op, _, where = d.mangle.partition(":")
            node = json.loads(d.body)
            *parents, leaf = where.split(".")
            for key in parents:
                node = node[key]
            assert (leaf not in node) if op == "missing" else (node[leaf] is None)
        elif d.mangle in ("json_array", "json_string"):
            assert not isinstance(json.loads(d.body), dict)
        else:
            with pytest.raises(ValueError):
                json.loads(d.body)
        secret = "s3cret"
        path = d.request_path(secret)
        assert (f"token={secret}" in path) == (d.token == wh.CORRECT)
        assert ("token=" in path) == (d.token != wh.MISSING)
        assert d.headers()["Content-Length"] == str(len(d.body))
        assert d.describe().startswith("webhook ")
    assert plan.describe()


def test_plans_shrink_to_each_event_once_in_order() -> None:
    plan = simplest(wh.delivery_plans(EVENTS))
    assert [d.event_index for d in plan.deliveries] == [0, 1, 2]
    assert all(d.body == wh.encode_body(e) for d, e in zip(plan.deliveries, EVENTS, strict=True))
    assert all(d.token == wh.CORRECT and not d.mangle for d in plan.deliveries)
    assert plan.describe() == "3 webhook(s) delivered once, in order"


def test_plans_cover_duplicates_reordering_mangles_and_tokens() -> None:
    plans = examples(wh.delivery_plans(EVENTS), 150)
    deliveries = [d for p in plans for d in p.deliveries]
    assert any(d.copy > 0 for d in deliveries)
    assert any("out of order" in p.describe() for p in plans)
    assert {d.mangle for d in deliveries} >= set(wh.MANGLES)
    assert {d.token for d in deliveries} == set(wh.TOKENS)


def test_duplicates_land_right_after_later_or_earlier() -> None:
    right_after = wh.plan_deliveries(EVENTS, extras=[(1, 0)])
    assert [d.event_index for d in right_after.deliveries] == [0, 1, 1, 2]
    assert right_after.describe() == (
        "webhook task.move.column for card #1 to column 2 delivered twice")
    later = wh.plan_deliveries(EVENTS, extras=[(0, 1)])
    assert [d.event_index for d in later.deliveries] == [0, 1, 0, 2]
    earlier = wh.plan_deliveries(EVENTS, order=[2, 0, 1], extras=[(1, -2)])
    assert [d.event_index for d in earlier.deliveries] == [2, 1, 0, 1]
    assert earlier.describe().startswith("webhooks delivered out of order")
    spoilt = wh.plan_deliveries(EVENTS, mangles=[(4, "truncated")], tokens=[(0, wh.WRONG)])
    assert spoilt.deliveries[1].mangle == "truncated" and spoilt.deliveries[0].token == wh.WRONG
    assert "with a wrong token" in spoilt.describe()
    with pytest.raises(ValueError, match="permutation"):
        wh.plan_deliveries(EVENTS, order=[0, 0, 1])
