"""A loopback OpenAI chat-completions server that drives a two-round tool loop, and the tool it calls.

A conversation with fewer than two assistant turns gets two parallel `lookup` calls; then a final answer.
`GET /lookup?q=` answers a small JSON object (what an integration's REST API would).
"""

from __future__ import annotations

import json
import time

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

_USAGE = {"prompt_tokens": 42, "completion_tokens": 5, "total_tokens": 47}


def _completion(model: str, message: dict[str, object], finish_reason: str) -> bytes:
    return json.dumps(
        {
            "id": "chatcmpl-bench",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}],
            "usage": _USAGE,
        }
    ).encode()


async def chat_completions(request: Request) -> Response:
    body = await request.json()
    model = str(body.get("model", "gpt-4o-mini"))
    rounds = sum(1 for m in body["messages"] if m["role"] == "assistant")
    if rounds < 2:
        calls = [
            {
                "id": f"call_{rounds}_{i}",
                "type": "function",
                "function": {"name": "lookup", "arguments": json.dumps({"q": f"r{rounds}-{i}"})},
            }
            for i in range(2)
        ]
        message: dict[str, object] = {"role": "assistant", "content": None, "tool_calls": calls}
        return Response(_completion(model, message, "tool_calls"), media_type="application/json")
    message = {"role": "assistant", "content": "Done."}
    return Response(_completion(model, message, "stop"), media_type="application/json")


async def lookup(request: Request) -> JSONResponse:
    if request.headers.get("authorization") != "Bearer bench-token":
        return JSONResponse({"error": "invalid token"}, status_code=401)
    return JSONResponse({"q": request.query_params.get("q"), "items": [1, 2, 3]})


app = Starlette(
    routes=[
        Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        Route("/lookup", lookup, methods=["GET"]),
    ]
)
