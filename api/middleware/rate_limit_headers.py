"""Adds the RateLimit-Policy / RateLimit headers the gate computed (api/deps.py) to the response."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

RATE_LIMIT_HEADERS = "rate_limit_headers"  # key in the request's scope state


class RateLimitHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = scope.get("state", {}).get(RATE_LIMIT_HEADERS)
                if headers:
                    present = {name.lower() for name, _ in message.get("headers", [])}
                    extra = [
                        (name.lower().encode(), value.encode())
                        for name, value in headers.items()
                        if name.lower().encode() not in present
                    ]
                    message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
