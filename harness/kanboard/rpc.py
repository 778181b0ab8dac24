"""The JSON-RPC envelope: request bytes in, HTTP status + body out, as Kanboard's server does.

Order of checks (Kanboard's JsonRPC library): the body must decode to a JSON array/object
(else -32700); a list is a batch; each request must be well formed (else -32600, id null);
then credentials (a failure ends the whole HTTP request with 401, even inside a batch);
then the method (-32601), user-only procedures (HTTP 403), arguments (-32602) and the call.
Requests without an id are notifications: executed, never answered.
Both faces use `handle`, so they cannot disagree on the envelope.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness.kanboard import errors, php
from harness.kanboard.errors import RpcError
from harness.kanboard.faults import TransportFault

Call = Callable[[str, Any], Any]  # (method, params) -> result; raises RpcError/TransportFault

_REASONS = {200: "OK", 401: "Unauthorized", 403: "Forbidden", 500: "Internal Server Error"}


@dataclass
class Answer:
    """What the HTTP layer sends back (unless `withheld` says the client gets nothing)."""

    status: int
    body: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)
    withheld: TransportFault | None = None

    @property
    def reason(self) -> str:
        return _REASONS.get(self.status, "")


class _Unauthorized(Exception):
    pass


def decode(body: bytes) -> Any:
    """PHP json_decode($body, true); None when PHP would fail (it returns null)."""
    try:
        text = body.decode("utf-8")
        value = json.loads(text, parse_constant=_reject, parse_int=_php_int)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if "\\u" in text or text.count("[") + text.count("{") > 512:
        try:
            _check(value, 1)
        except ValueError:
            return None
    return value


def _reject(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _php_int(text: str) -> int | float:
    number = int(text)
    return number if -(2**63) <= number < 2**63 else float(text)


def _check(value: Any, depth: int) -> None:
    """PHP refuses nesting deeper than 512 and unpaired UTF-16 surrogates."""
    if isinstance(value, (list, dict)):
        if depth > 512:
            raise ValueError("depth")
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for item_key, item in items:
            if isinstance(item_key, str):
                _check(item_key, depth)
            _check(item, depth + 1)
    elif isinstance(value, str) and any("\ud800" <= ch <= "\udfff" for ch in value):
        raise ValueError("surrogate")


def encode(response: Any) -> bytes:
    """json_encode with JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE."""
    return json.dumps(response, ensure_ascii=False, separators=(",", ":")).encode()


def _error(error: RpcError, request_id: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "error": error.to_json(), "id": request_id}


def _one(payload: Any, authorized: bool, call: Call) -> dict[str, Any] | None:
    """One request of a batch (or the only one); None for an unanswered notification."""
    if not isinstance(payload, (dict, list)):
        return _error(errors.parse_error(), None)
    if not _well_formed(payload):
        return _error(errors.invalid_request(), None)
    if not authorized:
        raise _Unauthorized
    notification = payload.get("id") is None
    try:
        result = call(payload["method"], payload.get("params"))
    except RpcError as error:
        if error.http_status != 200:
            raise
        return None if notification else _error(error, payload.get("id"))
    return None if notification else {"jsonrpc": "2.0", "result": result, "id": payload["id"]}


def _well_formed(payload: Any) -> bool:
    if not isinstance(payload, dict):
        return False
    params = payload.get("params")
    return (
        payload.get("jsonrpc") == "2.0"
        and isinstance(payload.get("jsonrpc"), str)
        and isinstance(payload.get("method"), str)
        and (params is None or isinstance(params, (list, dict)))
    )


def handle(body: bytes, authorized: bool, call: Call) -> Answer:
    """Answer one HTTP request body as Kanboard's jsonrpc.php would."""
    json_headers = [("Content-Type", "application/json")]
    payload = decode(body)
    if not isinstance(payload, (dict, list)):
        return Answer(200, encode(_error(errors.parse_error(), None)), json_headers)
    batch = php.is_list_like(payload)
    requests = php.array_values(payload) if batch else [payload]
    answers: list[bytes] = []
    withheld: TransportFault | None = None
    try:
        for request in requests:
            try:
                answer = _one(request, authorized, call)
            except TransportFault as fault:
                withheld = withheld or fault
                continue
            if answer is not None:
                answers.append(encode(answer))
    except _Unauthorized:
        failure = errors.unauthorized()
        headers = json_headers + [("WWW-Authenticate", 'Basic realm="JsonRPC"')]
        return Answer(401, encode(_error(failure, None)), headers, withheld)
    except RpcError as failure:
        if failure.http_status == 500:
            return Answer(500, b"", [("Content-Type", "text/html; charset=UTF-8")], withheld)
        return Answer(failure.http_status, encode(_error(failure, None)), json_headers, withheld)
    if batch:
        body_out = b"[" + b",".join(answers) + b"]" if answers else b""
    else:
        body_out = answers[0] if answers else b""
    return Answer(200, body_out, json_headers, withheld)
