"""A `FakeAPI` that refuses what the real service refuses, before it answers from its script.

Each wire module passes a `Check`: given the path and the JSON body, the provider's error reply for a request
the real API would reject (a conversation that breaks its rules, a missing key), else None. A refused request
is recorded like any other and leaves the queued replies for the next request, as a real 400 would.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.loopback import DefaultReply, FakeAPI, Recorded, Reply

Check = Callable[[str, dict[str, str], Any], Reply | None]  # (path, lower-cased headers, body)
Prepare = Callable[[Reply], Reply]


class CheckedAPI(FakeAPI):
    """A provider's HTTP surface whose requests are checked against the provider's rules first."""

    def __init__(
        self, routes: dict[str, DefaultReply], check: Check, *, prepare: Prepare | None = None
    ) -> None:
        super().__init__(routes)
        self._check = check
        self._prepare = prepare
        self.rejected: list[Recorded] = []  # the requests the checks refused, in order
        # Requests go through the check; `FakeAPI._handle` answers the ones it lets through.
        self.app.router.routes = [Route(path, self._checked, methods=["POST"]) for path in routes]

    def enqueue(self, *replies: Reply) -> None:
        """Queue replies; `prepare` makes each one its own copy (a reply queued twice gets fresh ids)."""
        prepare = self._prepare
        super().enqueue(*(prepare(reply) if prepare else reply for reply in replies))

    def reset(self) -> None:
        super().reset()
        with self._lock:
            self.rejected.clear()

    async def _checked(self, request: Request) -> Response:
        raw = await request.body()  # Starlette keeps it: `_handle` reads the same bytes again
        try:
            body = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            body = raw.decode(errors="replace")
        headers = {k.lower(): v for k, v in request.headers.items()}
        rejection = self._check(request.url.path, headers, body)
        if rejection is None:
            return await self._handle(request)
        recorded = Recorded(request.method, request.url.path, headers, body)
        with self._lock:
            self.requests.append(recorded)
            self.rejected.append(recorded)
        return JSONResponse(rejection.body, status_code=rejection.status, headers=rejection.headers)
