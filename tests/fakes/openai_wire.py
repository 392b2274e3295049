"""OpenAI's chat-completions wire format: completions, SSE streams ending in `data: [DONE]`, tool calls,
usage, embeddings and the error body `{"error": {"message", "type", "param", "code"}}`. Gemini's
OpenAI-compatible endpoint speaks the same, except that its errors come as a list:
`[{"error": {"code", "message", "status"}}]`.
"""

from __future__ import annotations

import json
import time
from typing import Any

from tests.fakes.loopback import FakeAPI, Reply

_CREATED = int(time.time())


def tool_call(name: str, arguments: dict[str, Any] | str, call_id: str = "call_1") -> dict[str, Any]:
    """One entry of `message.tool_calls` (arguments as the JSON string OpenAI sends)."""
    return {
        "id": call_id,
        "type": "function",
        "function": {
            "name": name,
            "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments),
        },
    }


def _usage(prompt_tokens: int, completion_tokens: int) -> dict[str, Any]:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def completion(
    content: str | None = "ok",
    *,
    tool_calls: list[dict[str, Any]] | None = None,
    model: str = "gpt-4o-mini-2024-07-18",
    prompt_tokens: int = 12,
    completion_tokens: int = 3,
    finish_reason: str | None = None,
) -> Reply:
    """A `chat.completion` object."""
    message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": None, "annotations": []}
    if tool_calls:
        message["tool_calls"] = tool_calls
    body = {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": _CREATED,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": finish_reason or ("tool_calls" if tool_calls else "stop"),
            }
        ],
        "usage": _usage(prompt_tokens, completion_tokens),
        "service_tier": "default",
        "system_fingerprint": "fp_fake",
    }
    return Reply(body=body, headers={"x-request-id": "req_fake"})


def _chunk(model: str, delta: dict[str, Any], finish_reason: str | None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": _CREATED,
        "model": model,
        "system_fingerprint": "fp_fake",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
        "usage": None,
    }


def stream(
    pieces: list[str],
    *,
    model: str = "gpt-4o-mini-2024-07-18",
    prompt_tokens: int = 12,
    completion_tokens: int | None = None,
    include_usage: bool = True,
    fail_after: int | None = None,
) -> Reply:
    """An SSE stream: a role chunk, one chunk per piece, a finish chunk, the usage chunk, `data: [DONE]`.

    `fail_after` sends an error event after that many pieces instead of finishing.
    """
    events = [_chunk(model, {"role": "assistant", "content": "", "refusal": None}, None)]
    for index, piece in enumerate(pieces):
        if fail_after is not None and index == fail_after:
            break
        events.append(_chunk(model, {"content": piece}, None))
    chunks = [f"data: {json.dumps(event)}\n\n" for event in events]
    if fail_after is not None:
        error = {
            "error": {
                "message": "The server had an error while processing your request.",
                "type": "server_error",
            }
        }
        chunks.append(f"data: {json.dumps(error)}\n\n")
        return Reply(chunks=chunks, media_type="text/event-stream")
    chunks.append(f"data: {json.dumps(_chunk(model, {}, 'stop'))}\n\n")
    if include_usage:
        usage_chunk = _chunk(model, {}, None)
        usage_chunk["choices"] = []
        usage_chunk["usage"] = _usage(
            prompt_tokens, completion_tokens if completion_tokens is not None else len(pieces)
        )
        chunks.append(f"data: {json.dumps(usage_chunk)}\n\n")
    chunks.append("data: [DONE]\n\n")
    return Reply(chunks=chunks, media_type="text/event-stream")


def embeddings(
    vectors: list[list[float]], *, model: str = "text-embedding-3-small", prompt_tokens: int = 8
) -> Reply:
    """An embeddings list."""
    return Reply(
        body={
            "object": "list",
            "data": [
                {"object": "embedding", "index": i, "embedding": vector} for i, vector in enumerate(vectors)
            ],
            "model": model,
            "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens},
        }
    )


_ERROR_TYPES = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "unsupported_country_region_territory"),
    404: ("invalid_request_error", "model_not_found"),
    422: ("invalid_request_error", None),
    429: ("requests", "rate_limit_exceeded"),
    500: ("server_error", None),
    503: ("server_error", None),
}


def error(status: int, message: str, *, error_type: str | None = None, code: str | None = None) -> Reply:
    """OpenAI's error body with its status."""
    default_type, default_code = _ERROR_TYPES.get(status, ("invalid_request_error", None))
    body = {
        "error": {
            "message": message,
            "type": error_type or default_type,
            "param": None,
            "code": code if code is not None else default_code,
        }
    }
    return Reply(status=status, body=body, headers={"x-request-id": "req_fake"})


_GEMINI_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


def gemini_error(status: int, message: str) -> Reply:
    """An error from Gemini's OpenAI-compatible endpoint: the Google error object, wrapped in a list."""
    body = [{"error": {"code": status, "message": message, "status": _GEMINI_STATUS.get(status, "UNKNOWN")}}]
    return Reply(status=status, body=body)


def _default_chat(path: str, body: Any) -> Reply:
    if isinstance(body, dict) and body.get("stream"):
        return stream(["Hello", " from", " the", " fake"], model=str(body.get("model")))
    return completion("ok", model=str(body.get("model") if isinstance(body, dict) else "gpt-4o-mini"))


def _default_embeddings(path: str, body: Any) -> Reply:
    inputs = body.get("input") if isinstance(body, dict) else []
    count = len(inputs) if isinstance(inputs, list) else 1
    return embeddings([[0.1 * (i + 1), 0.2, 0.3] for i in range(count)], model=str(body.get("model")))


def openai_api(prefix: str = "/v1") -> FakeAPI:
    """The OpenAI surface under `prefix` (`/v1` for OpenAI and Ollama, `/v1beta/openai` for Gemini)."""
    return FakeAPI({f"{prefix}/chat/completions": _default_chat, f"{prefix}/embeddings": _default_embeddings})
