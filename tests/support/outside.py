"""A loopback HTTP server standing in for "the outside world" that agents call; scripted per test."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from agentflow.embedded.ports import free_port

Handler = Callable[[Request, dict[str, Any]], Awaitable[Response]]


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    query: dict[str, str]
    body: bytes


@dataclass
class Outside:
    """`routes[path] = handler(request, body_json)`; every request is recorded in `requests`."""

    url: str = ""
    routes: dict[str, Handler] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)

    async def dispatch(self, request: Request) -> Response:
        body = await request.body()
        self.requests.append(
            Recorded(
                request.method, request.url.path, dict(request.headers), dict(request.query_params), body
            )
        )
        self.counters[request.url.path] = self.counters.get(request.url.path, 0) + 1
        handler = self.routes.get(request.url.path)
        if handler is None:
            return JSONResponse({"echo": request.url.path, "method": request.method}, status_code=200)
        try:
            payload = await request.json() if body else None
        except ValueError:
            payload = None
        return await handler(request, payload)


@contextmanager
def outside_server() -> Iterator[Outside]:
    outside = Outside()
    app = Starlette(
        routes=[
            Route("/{path:path}", outside.dispatch, methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"])
        ]
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    outside.url = f"http://127.0.0.1:{port}"
    try:
        yield outside
    finally:
        server.should_exit = True
        thread.join(timeout=5)


def json_reply(payload: Any, status: int = 200) -> Handler:
    async def handler(request: Request, body: Any) -> Response:
        return JSONResponse(payload, status_code=status)

    return handler


def flaky(failures: int, status: int = 503) -> Handler:
    """Fails `failures` times with `status`, then succeeds (the attempt number is in the answer)."""
    calls = {"n": 0}

    async def handler(request: Request, body: Any) -> Response:
        calls["n"] += 1
        if calls["n"] <= failures:
            return JSONResponse({"error": "try again"}, status_code=status)
        return JSONResponse({"ok": True, "attempt": calls["n"]})

    return handler


def barrier(parties: int) -> Handler:
    """Answers only once `parties` requests are waiting at the same time: proves they run concurrently."""
    state = {"count": 0, "event": None}

    async def handler(request: Request, body: Any) -> Response:
        if state["event"] is None:
            state["event"] = asyncio.Event()
        state["count"] += 1
        if state["count"] >= parties:
            state["event"].set()  # type: ignore[attr-defined]
        await asyncio.wait_for(state["event"].wait(), timeout=5)  # type: ignore[attr-defined]
        return JSONResponse({"together": state["count"]})

    return handler
