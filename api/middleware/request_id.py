"""X-Request-ID: echo the caller's (if sane) or mint one; log one JSON line per request."""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agentflow.logs import redact_url_tokens, request_id_var

logger = logging.getLogger("agentflow.access")
_SANE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


class RequestIDMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"x-request-id"), None)
        request_id = incoming if incoming and _SANE_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        # The 500 handler runs outside this middleware (in Starlette's ServerErrorMiddleware): leave the
        # id where it can find it.
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            status = 500
            raise
        finally:
            if scope["type"] == "http":
                # Webhook and invitation paths carry their token: redacted here too, not only by the handler
                # `configure_logging` installs, so a host application's own handlers never see it either.
                path = redact_url_tokens(scope["path"])
                logger.info(
                    "%s %s %s",
                    scope["method"],
                    path,
                    status,
                    extra={
                        "method": scope["method"],
                        "path": path,
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    },
                )
            request_id_var.reset(token)
