"""A minimal OpenAI chat-completions server for benchmarks: fixed answers, real wire format, no work."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

# How long each answer takes, as a real model would (the realistic-agent benchmark sets 0.5).
DELAY_SECONDS = float(os.environ.get("FAKE_OPENAI_DELAY_SECONDS", "0"))
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
    if DELAY_SECONDS:
        await asyncio.sleep(DELAY_SECONDS)
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


def start_fake_openai(delay_seconds: float = 0) -> tuple[subprocess.Popen[bytes], str]:
    """This server in its own uvicorn process on a free loopback port; returns it and its `/v1` base URL."""
    from agentflow.embedded.ports import free_port, wait_for_port

    port = free_port()
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "uvicorn", "benchmarks.fake_openai:app", "--host", "127.0.0.1"),
            *("--port", str(port), "--workers", "1", "--no-access-log", "--log-level", "warning"),
        ],
        env={**os.environ, "FAKE_OPENAI_DELAY_SECONDS": str(delay_seconds)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if not wait_for_port("127.0.0.1", port, 30):
        proc.kill()
        raise SystemExit("the fake OpenAI server did not start")
    return proc, f"http://127.0.0.1:{port}/v1"
