"""Refuse JSON request bodies nested deeper than the limit with 400, before any route parses them.

Python's `json` recurses once per level (a body `[[[[…]]]]` a hundred thousand deep was a 500), and
orjson, which the worker reads stored data with, stops at 254 levels. The body is already bounded by the
body-limit middleware, which stays outside this one; it is read here, measured and replayed unchanged.
"""

from __future__ import annotations

import orjson
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agentflow.kit.json_depth import MAX_JSON_DEPTH, too_deep


def _is_json(scope: Scope) -> bool:
    content_type = next((v for k, v in scope["headers"] if k == b"content-type"), b"")
    media = content_type.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or media.endswith(b"+json")


class JSONDepthMiddleware:
    def __init__(self, app: ASGIApp, *, max_depth: int = MAX_JSON_DEPTH) -> None:
        self.app = app
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        try:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return  # the client left: nobody to answer
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    break
        except HTTPException as exc:  # the body limit, counting a chunked upload: outside the app's handlers
            code = "payload_too_large" if exc.status_code == 413 else "bad_request"
            await _answer(send, exc.status_code, code, str(exc.detail), None)
            return
        body = b"".join(chunks)
        if too_deep(body, self.max_depth):
            await _answer(
                send,
                400,
                "json_too_deep",
                f"The JSON body nests deeper than {self.max_depth} levels of arrays and objects",
                {"max_depth": self.max_depth},
            )
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # after the body: wait for the disconnect as the app expects
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


async def _answer(send: Send, status: int, code: str, message: str, details: object) -> None:
    body = orjson.dumps({"error": {"code": code, "message": message, "details": details}})
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
