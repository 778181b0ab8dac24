"""Face A: an in-process drop-in for `kanboard.Client` (kanboard 1.1.8).

It builds the same request body the real client sends, answers it with the fake's own
jsonrpc.php (`FakeKanboard.handle`), and turns the answer into a result or an exception the
way the real client does - by calling the real client's own `_parse_response`, and raising
`kanboard.ClientError(str(e)) from e` where its urllib transport would raise `e`:
  HTTP 401/403/500  -> ClientError("HTTP Error 401: Unauthorized") from HTTPError
  planned timeout   -> ClientError("timed out") from TimeoutError
  planned lost      -> ClientError("Remote end closed connection without response")
                       from http.client.RemoteDisconnected
"""

from __future__ import annotations

import asyncio
import functools
import http.client
import io
import json
import urllib.error
from collections.abc import Callable
from email.message import Message
from typing import TYPE_CHECKING, Any

import kanboard

from harness.journal import current_actor
from harness.kanboard import boards
from harness.kanboard.faults import TIMEOUT

if TYPE_CHECKING:
    from harness.kanboard.facade import FakeKanboard

_parse_response = kanboard.Client._parse_response
_to_camel_case = kanboard.Client._to_camel_case
_ASYNC = "_async"


class FakeClient:
    """execute(method, **params) and snake_case attribute calls, like kanboard.Client."""

    def __init__(self, fake: FakeKanboard, actor: str | None, *, username: str = boards.API_USER,
                 password: str | None = None) -> None:
        self._fake = fake
        self._actor = actor
        self._username = username
        self._password = fake.api_token if password is None else password
        self._url = "http://fake-kanboard/jsonrpc.php"

    @property
    def actor(self) -> str:
        return self._actor if self._actor is not None else current_actor()

    def __enter__(self) -> FakeClient:
        return self

    def __exit__(self, *args: Any) -> None:
        self.close()

    def close(self) -> None:
        """Nothing to release (the real client closes an event loop it may own)."""

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("__"):
            raise AttributeError(name)
        if name.endswith(_ASYNC):
            method = _to_camel_case(name[: -len(_ASYNC)])

            async def call_async(*args: Any, **kwargs: Any) -> Any:
                loop = asyncio.get_running_loop()
                return await loop.run_in_executor(None, functools.partial(self.execute, method, **kwargs))

            return call_async

        def call(*args: Any, **kwargs: Any) -> Any:  # positional args are dropped, as upstream
            return self.execute(_to_camel_case(name), **kwargs)

        return call

    def execute(self, method: str, **kwargs: Any) -> Any:
        """Call a Kanboard procedure; raises kanboard.ClientError where the real client does."""
        payload = {"id": 1, "jsonrpc": "2.0", "method": method, "params": kwargs}
        try:
            body = json.dumps(payload).encode()
            response = self._transport(body)
        except Exception as error:
            raise kanboard.ClientError(str(error)) from error
        return _parse_response(response)

    def _transport(self, body: bytes) -> bytes:
        """What urlopen(...).read() would give or raise against the fake's HTTP face."""
        answer = self._fake.handle(body, self.actor, self._fake.identify(self._username, self._password))
        if answer.withheld is not None:
            if answer.withheld.kind == TIMEOUT:
                raise TimeoutError("timed out")
            raise http.client.RemoteDisconnected("Remote end closed connection without response")
        if answer.status >= 400:
            headers = Message()
            for name, value in answer.headers:
                headers[name] = value
            raise urllib.error.HTTPError(self._url, answer.status, answer.reason, headers, io.BytesIO(answer.body))
        return answer.body
