"""The error answers real Kanboard gives, as one exception type the transport turns into bytes.

Most are JSON-RPC error objects inside an HTTP 200. A few end the whole HTTP request
instead: 401 (bad credentials), 403 (a user-only procedure called with the API token) and
500 (a PHP TypeError, e.g. a string where a procedure declares `array $tags`).
"""

from __future__ import annotations

from typing import Any


class NotModelled(BaseException):  # noqa: N818 - not an error answer: a gap of the fake
    """A call real Kanboard answers in a way the fake does not model. It ends the run as a
    harness error: a made-up answer could become a finding about the target, and a
    BaseException passes the target's own `except Exception` to reach the harness."""


class FakeGap(Exception):  # noqa: N818 - what the harness reports: its fake is incomplete
    """A step made a call the fake does not model (NotModelled): the run or replay stops
    as a harness error, naming the call, and reports nothing about the target."""


class RpcError(Exception):
    """A JSON-RPC error object, or (http_status != 200) a failed HTTP request."""

    def __init__(self, code: int, message: str, data: Any = None, http_status: int = 200) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data
        self.http_status = http_status

    def to_json(self) -> dict[str, Any]:
        """The `error` member; `data` only when non-empty (as Kanboard's ResponseBuilder)."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data not in (None, "", 0, False, [], {}):
            error["data"] = self.data
        return error

    def __repr__(self) -> str:
        return f"RpcError({self.code}, {self.message!r}, {self.data!r}, http_status={self.http_status})"


def parse_error() -> RpcError:
    return RpcError(-32700, "Parse error")


def invalid_request() -> RpcError:
    return RpcError(-32600, "Invalid Request")


def method_not_found() -> RpcError:
    return RpcError(-32601, "Method not found")


def invalid_params(data: str) -> RpcError:
    return RpcError(-32602, "Invalid params", data)


def unauthorized() -> RpcError:
    return RpcError(401, "Unauthorized", http_status=401)


def forbidden() -> RpcError:
    return RpcError(403, "Forbidden", http_status=403)


def fatal() -> RpcError:
    """A PHP Error (not an Exception): the request dies with HTTP 500 and no body."""
    return RpcError(500, "Internal Server Error", http_status=500)


# The default planned error: what Kanboard answers when SQLite is busy (an SQLException).
DATABASE_LOCKED = (0, "SQL Error[HY000]: SQLSTATE[HY000]: General error: 5 database is locked")
