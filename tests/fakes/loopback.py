"""A scripted HTTP server on a loopback port: uvicorn in a background thread serving a Starlette app.

Each fake provider is a `FakeAPI`: tests queue `Reply`s (status + JSON body, or a stream of raw chunks, with
an optional delay to force a client timeout) and read back every request as the SDK sent it.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from agentflow.embedded.ports import free_port


@dataclass
class Reply:
    """One scripted answer."""

    status: int = 200
    body: Any = None  # JSON body (ignored when `chunks` is set)
    chunks: list[str] | None = None  # a streamed body, already framed (SSE events or NDJSON lines)
    media_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering
    chunk_delay: float = 0.0  # seconds between streamed chunks


@dataclass(frozen=True)
class Recorded:
    """A request as it reached the fake."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


DefaultReply = Callable[[str, Any], Reply]


class FakeAPI:
    """A provider's HTTP surface: routes answered from a queue of replies, or a default per route."""

    def __init__(self, routes: dict[str, DefaultReply]) -> None:
        self._defaults = routes
        self._queue: deque[Reply] = deque()
        self._lock = threading.Lock()
        self.requests: list[Recorded] = []
        self.app = Starlette(routes=[Route(path, self._handle, methods=["POST"]) for path in routes])

    def enqueue(self, *replies: Reply) -> None:
        """Answer the next requests with these replies, in order; then fall back to each route's default."""
        with self._lock:
            self._queue.extend(replies)

    def reset(self) -> None:
        with self._lock:
            self._queue.clear()
            self.requests.clear()

    @property
    def last(self) -> Recorded:
        return self.requests[-1]

    def bodies(self, path: str | None = None) -> list[Any]:
        return [request.body for request in self.requests if path is None or request.path.endswith(path)]

    async def _handle(self, request: Request) -> Response:
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            body = raw.decode(errors="replace")
        with self._lock:
            self.requests.append(
                Recorded(
                    request.method, request.url.path, {k.lower(): v for k, v in request.headers.items()}, body
                )
            )
            reply = self._queue.popleft() if self._queue else None
        if reply is None:
            route_path = request.scope["route"].path if "route" in request.scope else request.url.path
            reply = self._defaults[route_path](request.url.path, body)
        if reply.delay:
            deadline = time.monotonic() + reply.delay
            while time.monotonic() < deadline:
                if await request.is_disconnected():
                    return Response(status_code=499)
                await asyncio.sleep(0.02)
        if reply.chunks is not None:
            return StreamingResponse(
                _paced(reply.chunks, reply.chunk_delay),
                status_code=reply.status,
                media_type=reply.media_type,
                headers=reply.headers,
            )
        return JSONResponse(reply.body, status_code=reply.status, headers=reply.headers)


async def _paced(chunks: list[str], delay: float) -> AsyncIterator[bytes]:
    for chunk in chunks:
        if delay:
            await asyncio.sleep(delay)
        yield chunk.encode()


class LoopbackServer:
    """Serves an ASGI app on 127.0.0.1:<free port> from a daemon thread until `stop()`."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="error",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name=f"fake-{self.port}", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LoopbackServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the loopback server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)
