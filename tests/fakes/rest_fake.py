"""The shared part of the SaaS fakes (Slack, Gmail, Google Sheets, Notion): a Starlette app whose routes
record every request, check the bearer token the way the provider does, and answer from scripted `Reply`s
first (a 429, a 5xx) and otherwise from the route's handler, which implements the provider's behaviour.

Also the pieces every connector test needs: an egress-guarded client that allows loopback and an
`ActionCall` against a fake.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Self
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from agentflow.integrations.base import ActionCall, Connection, IntegrationTool, OAuthApp
from tests.fakes.loopback import LoopbackServer, Recorded, Reply

Handler = Callable[[Request, Any], Awaitable[Response]]


class Refused(Exception):
    """Raised by a handler: answer with this provider-shaped error."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


class RestFake:
    """One provider's API. Subclasses add routes with `route()` and say how they refuse a bad token."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.accepted: set[str] = set()
        self.requests: list[Recorded] = []
        self.queries: list[dict[str, str]] = []
        self._queue: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._routes: list[Route] = []
        self.server: LoopbackServer | None = None

    # --- scripting -------------------------------------------------------------------------------------
    def enqueue(self, *replies: Reply) -> None:
        with self._lock:
            self._queue.extend(replies)

    def reset(self) -> None:
        with self._lock:
            self._queue.clear()
            self.requests.clear()
            self.queries.clear()

    @property
    def last(self) -> Recorded:
        return self.requests[-1]

    @property
    def last_query(self) -> dict[str, str]:
        return self.queries[-1]

    # --- the provider's behaviour ----------------------------------------------------------------------
    def unauthorized(self) -> Response:
        raise NotImplementedError

    def accept(self, token: str) -> None:
        """Also take this bearer token (one an authorization server issued during a test)."""
        self.accepted.add(token)

    def authorized(self, request: Request) -> bool:
        given = request.headers.get("authorization", "")
        return given.startswith("Bearer ") and given.removeprefix("Bearer ") in {self.token, *self.accepted}

    def route(self, path: str, methods: list[str], handler: Handler, *, auth: bool = True) -> None:
        async def endpoint(request: Request) -> Response:
            raw = await request.body()
            body = _parse(raw, request.headers.get("content-type", ""))
            with self._lock:
                self.requests.append(
                    Recorded(
                        request.method,
                        request.url.path,
                        {k.lower(): v for k, v in request.headers.items()},
                        body,
                    )
                )
                self.queries.append(dict(request.query_params))
                scripted = self._queue.popleft() if self._queue else None
            if scripted is not None:
                return JSONResponse(scripted.body, status_code=scripted.status, headers=scripted.headers)
            if auth and not self.authorized(request):
                return self.unauthorized()
            try:
                return await handler(request, body)
            except Refused as refused:
                return JSONResponse(refused.body, status_code=refused.status)

        self._routes.append(Route(path, endpoint, methods=methods))

    # --- serving ---------------------------------------------------------------------------------------
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


def action_call(
    tool: IntegrationTool,
    fake: RestFake,
    http: Any,
    *,
    credentials: dict[str, str] | None = None,
    config: dict[str, Any] | None = None,
    preview: bool = False,
    api_base: str | None = None,
    refresh: Callable[[], Awaitable[dict[str, str]]] | None = None,
    oauth: OAuthApp | None = None,
) -> ActionCall:
    return ActionCall(
        tool=tool,
        connection=Connection(
            id="conn-1", provider=tool.name, name=f"{tool.label} test", config=config or {}
        ),
        http=http,
        api_base=api_base or fake.url,
        credentials=credentials if credentials is not None else {"access_token": fake.token},
        preview=preview,
        refresh=refresh,
        timeout_seconds=10,
        oauth=oauth,
    )
