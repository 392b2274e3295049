"""A small third-party REST API that AI tools call in tests (a weather lookup and a ticket tracker), with the
checks a real one makes: a bearer token, a JSON body with the required fields, 404 for unknown cities.

Every request is recorded (method, path, query, headers, body); `delay` slows each answer down so tests can
tell concurrent calls from sequential ones; `fail_next` makes the next answers 500.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

TOKEN = "tool-api-token-0123456789"
TEMPERATURES = {"paris": 18, "oslo": 4, "lima": 22}


@dataclass
class ToolRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    arrived: float  # time.monotonic() when it reached the server


@dataclass
class ToolAPI:
    requests: list[ToolRequest] = field(default_factory=list)
    delay: float = 0.0
    fail_next: int = 0
    tickets: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.delay, self.fail_next, self.tickets = 0.0, 0, 0

    async def _record(self, request: Request) -> tuple[ToolRequest, JSONResponse | None]:
        raw = await request.body()
        body = json.loads(raw) if raw else None
        seen = ToolRequest(
            request.method,
            request.url.path,
            dict(request.query_params),
            {k.lower(): v for k, v in request.headers.items()},
            body,
            time.monotonic(),
        )
        with self._lock:
            self.requests.append(seen)
            failing = self.fail_next > 0
            if failing:
                self.fail_next -= 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if failing:
            return seen, JSONResponse({"error": "upstream unavailable"}, status_code=500)
        if seen.headers.get("authorization") != f"Bearer {TOKEN}":
            return seen, JSONResponse({"error": "invalid token"}, status_code=401)
        return seen, None

    async def weather(self, request: Request) -> JSONResponse:
        seen, refused = await self._record(request)
        if refused is not None:
            return refused
        city = seen.query.get("city", "").lower()
        if city not in TEMPERATURES:
            return JSONResponse({"error": f"no such city: {city}"}, status_code=404)
        return JSONResponse({"city": city, "celsius": TEMPERATURES[city]})

    async def create_ticket(self, request: Request) -> JSONResponse:
        seen, refused = await self._record(request)
        if refused is not None:
            return refused
        if not isinstance(seen.body, dict) or not isinstance(seen.body.get("title"), str):
            return JSONResponse({"error": "title is required"}, status_code=422)
        with self._lock:
            self.tickets += 1
            number = self.tickets
        return JSONResponse({"id": f"T-{number}", "title": seen.body["title"]}, status_code=201)

    @property
    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/weather", self.weather, methods=["GET"]),
                Route("/tickets", self.create_ticket, methods=["POST"]),
            ]
        )
