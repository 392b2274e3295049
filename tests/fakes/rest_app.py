"""The shared part of the CRM and issue-tracker fakes (Jira, Salesforce, HubSpot): a Starlette app whose
routes record every request, check credentials the way the provider does, and answer from scripted `Reply`s
first (a 429, a 5xx) and otherwise from the route's handler, which keeps the provider's records in memory.

Also what every connector test needs: the egress-guarded client (loopback allowlisted, as an operator
would) and an `ActionCall` against a fake.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Self
from urllib.parse import parse_qsl

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from agentflow.egress import guarded_client
from agentflow.integrations.base import ActionCall, Connection, IntegrationTool
from tests.fakes.cases import LOOPBACK_EGRESS
from tests.fakes.loopback import LoopbackServer, Reply


@dataclass(frozen=True)
class Seen:
    """A request as it reached the fake."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class Refused(Exception):
    """Raised by a handler: answer with this provider-shaped error."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


Handler = Callable[[Seen, dict[str, Any]], Awaitable[Response] | Response]


def answer(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    if status == 204 or body is None:
        return Response(status_code=status, headers=headers)
    if isinstance(body, str):
        return PlainTextResponse(body, status_code=status, headers=headers)
    return JSONResponse(body, status_code=status, headers=headers)


class RestApp:
    """One provider's API. Subclasses add routes with `route()` and define `authorized`/`unauthorized`."""

    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self._queue: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._routes: list[Route] = []
        self.server: LoopbackServer | None = None

    def enqueue(self, *replies: Reply) -> None:
        """Answer the next requests with these (after recording them), whatever they ask."""
        with self._lock:
            self._queue.extend(replies)

    def reset(self) -> None:
        with self._lock:
            self._queue.clear()
            self.requests.clear()

    @property
    def last(self) -> Seen:
        return self.requests[-1]

    def authorized(self, seen: Seen) -> bool:
        raise NotImplementedError

    def unauthorized(self) -> Response:
        raise NotImplementedError

    def route(self, method: str, path: str, handler: Handler, *, auth: bool = True) -> None:
        async def endpoint(request: Request) -> Response:
            raw = await request.body()
            seen = Seen(
                request.method,
                request.scope["raw_path"].decode(),  # as sent: percent-encoding kept
                dict(request.query_params),
                {k.lower(): v for k, v in request.headers.items()},
                _parse(raw, request.headers.get("content-type", "")),
            )
            with self._lock:
                self.requests.append(seen)
                scripted = self._queue.popleft() if self._queue else None
            if scripted is not None:
                return answer(scripted.status, scripted.body, scripted.headers)
            if auth and not self.authorized(seen):
                return self.unauthorized()
            try:
                result = handler(seen, dict(request.path_params))
                return await result if isinstance(result, Awaitable) else result
            except Refused as refused:
                return answer(refused.status, refused.body, refused.headers)

        self._routes.append(Route(path, endpoint, methods=[method]))

    def start(self) -> Self:
        self.server = LoopbackServer(Starlette(routes=self._routes)).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()

    @property
    def url(self) -> str:
        assert self.server is not None, "start() the fake first"
        return self.server.url


def _parse(raw: bytes, content_type: str) -> Any:
    if not raw:
        return None
    if "application/x-www-form-urlencoded" in content_type:
        return dict(parse_qsl(raw.decode()))
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw.decode(errors="replace")


def loopback_http() -> httpx.AsyncClient:
    """The guarded client the runner uses, with loopback allowlisted."""
    return guarded_client(LOOPBACK_EGRESS, timeout=10)


def action_call(
    tool: IntegrationTool,
    http: httpx.AsyncClient,
    *,
    api_base: str,
    credentials: dict[str, str],
    config: dict[str, Any] | None = None,
    preview: bool = False,
    refresh: Callable[[], Awaitable[dict[str, str]]] | None = None,
    connection_id: str = "conn-1",
) -> ActionCall:
    return ActionCall(
        tool=tool,
        connection=Connection(
            id="conn-1", provider=tool.name, name=f"{tool.label} test", config=config or {}
        ),
        http=http,
        api_base=api_base,
        credentials=credentials,
        preview=preview,
        refresh=refresh,
        timeout_seconds=10,
    )
