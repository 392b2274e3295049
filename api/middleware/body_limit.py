"""Refuse request bodies above the configured size with 413, before the app reads them all.

Uploads have their own, larger limit (`overrides`: a path pattern and its limit); the route still checks
each file against the per-file limit, this only bounds what the server reads at all.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import orjson
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyLimitMiddleware:
    def __init__(
        self, app: ASGIApp, *, max_bytes: int, overrides: Sequence[tuple[re.Pattern[str], int]] = ()
    ) -> None:
        self.app = app
        self.default_max_bytes = max_bytes
        self.overrides = tuple(overrides)

    def _limit(self, path: str) -> int:
        return next(
            (limit for pattern, limit in self.overrides if pattern.fullmatch(path)), self.default_max_bytes
        )

    @staticmethod
    def _message(max_bytes: int) -> str:
        return f"Request body exceeds the limit of {max_bytes} bytes"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self._limit(scope["path"])
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            await self._reject(send, max_bytes)
            return
        received = 0

        async def counted_receive() -> Message:
            # Chunked uploads have no Content-Length: count as we go. FastAPI re-raises an
            # HTTPException from body reading unchanged, so the client gets a 413, not a 400.
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise HTTPException(status_code=413, detail=self._message(max_bytes))
            return message

        await self.app(scope, counted_receive, send)

    async def _reject(self, send: Send, max_bytes: int) -> None:
        body = orjson.dumps(
            {
                "error": {
                    "code": "payload_too_large",
                    "message": self._message(max_bytes),
                    "details": {"max_bytes": max_bytes},
                }
            }
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
