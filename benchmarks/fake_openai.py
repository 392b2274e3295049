"""A minimal OpenAI chat-completions server for benchmarks: fixed answers, real wire format, no work."""

from __future__ import annotations

import json
import time

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
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
    if "tools" in body and isinstance(body.get("tool_choice"), dict):  # instructor's forced tool call
        name = body["tool_choice"]["function"]["name"]
        arguments = json.dumps({"label": "bug", "confidence": 0.9})
        call = {"id": "call_1", "type": "function", "function": {"name": name, "arguments": arguments}}
        payload = _completion(
            model, {"role": "assistant", "content": None, "tool_calls": [call]}, "tool_calls"
        )
    else:
        payload = _completion(model, {"role": "assistant", "content": "It is a bug."}, "stop")
    return Response(payload, media_type="application/json")


app = Starlette(routes=[Route("/v1/chat/completions", chat_completions, methods=["POST"])])
