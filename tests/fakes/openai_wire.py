"""OpenAI's chat-completions wire format: completions, SSE streams ending in `data: [DONE]`, tool calls,
usage, embeddings and the error body `{"error": {"message", "type", "param", "code"}}`. Gemini's
OpenAI-compatible endpoint speaks the same, except that its errors come as a list:
`[{"error": {"code", "message", "status"}}]`, and that its tool calls carry a thought signature
(`extra_content.google.thought_signature`) which Gemini 3 wants back with the call, and that its tool results
must name their tool.

Like the real APIs, the fake refuses a request without a bearer key and a conversation that breaks the
tool-calling rules (`check_chat`): every `tool` message answers a call of the assistant turn just before it,
and every call of an assistant turn is answered before the conversation goes on.
"""

from __future__ import annotations

import json
import time
from typing import Any

from tests.fakes.checked_wire import CheckedAPI
from tests.fakes.loopback import Reply

_CREATED = int(time.time())


def tool_call(
    name: str,
    arguments: dict[str, Any] | str,
    call_id: str = "call_1",
    *,
    thought_signature: str | None = None,
) -> dict[str, Any]:
    """One entry of `message.tool_calls` (arguments as the JSON string OpenAI sends); Gemini adds its
    thought signature under `extra_content`."""
    call: dict[str, Any] = {
        "id": call_id,
        "type": "function",
        "function": {
            "name": name,
            "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments),
        },
    }
    if thought_signature is not None:
        call["extra_content"] = {"google": {"thought_signature": thought_signature}}
    return call


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


_ROLES = ("system", "developer", "user", "assistant", "tool", "function")
_EMPTY = (
    "Invalid 'messages': empty array. Expected an array with minimum length 1, "
    "but got an empty array instead."
)
_BAD_ROLE = (
    "Invalid value: '{role}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', "
    "and 'developer'."
)
_ORPHAN_RESULT = (
    "Invalid parameter: messages with role 'tool' must be a response to a preceeding message "
    "with 'tool_calls'."
)
_JSON_KINDS = {"dict": "an object", "list": "an array", "NoneType": "null", "int": "an integer"}


def check_chat(body: Any) -> str | None:
    """Why OpenAI would refuse this chat request (its own wording), or None."""
    if not isinstance(body, dict) or "model" not in body:
        return "you must provide a model parameter"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return _EMPTY
    unanswered: dict[str, int] = {}  # ids of the last assistant turn's calls not yet answered -> its index
    answerable: set[str] = set()
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        role = message.get("role") if isinstance(message, dict) else None
        if role not in _ROLES:
            return _BAD_ROLE.format(role=role)
        if role != "tool" and unanswered:
            return _unanswered(unanswered)
        if role == "tool":
            call_id = message.get("tool_call_id")
            if not isinstance(call_id, str):
                return f"Missing required parameter: '{where}.tool_call_id'."
            if call_id not in answerable:
                return _ORPHAN_RESULT
            unanswered.pop(call_id, None)
            if not isinstance(message.get("content"), str | list):
                return f"Invalid type for '{where}.content': expected one of a string or array of objects."
        elif role == "assistant":
            calls = message.get("tool_calls")
            answerable = set()
            if calls is None:
                if message.get("content") is None:
                    return f"Missing required parameter: '{where}.content'."
                continue
            for position, call in enumerate(calls):
                problem = _bad_call(call, f"{where}.tool_calls[{position}]")
                if problem:
                    return problem
                answerable.add(call["id"])
                unanswered[call["id"]] = index
        else:
            answerable = set()
            if not isinstance(message.get("content"), str | list):
                return f"Invalid type for '{where}.content': expected one of a string or array of objects."
    if unanswered:
        return _unanswered(unanswered)
    return None


def _bad_call(call: Any, where: str) -> str | None:
    if not isinstance(call, dict) or not isinstance(call.get("id"), str):
        return f"Missing required parameter: '{where}.id'."
    if call.get("type") != "function":
        return f"Missing required parameter: '{where}.type'."
    function = call.get("function")
    if not isinstance(function, dict) or not isinstance(function.get("name"), str):
        return f"Missing required parameter: '{where}.function.name'."
    if not isinstance(function.get("arguments"), str):
        kind = type(function.get("arguments")).__name__
        kind = _JSON_KINDS.get(kind, kind)
        return f"Invalid type for '{where}.function.arguments': expected a string, but got {kind} instead."
    return None


def _unanswered(unanswered: dict[str, int]) -> str:
    ids = ", ".join(unanswered)
    return (
        "An assistant message with 'tool_calls' must be followed by tool messages responding to each "
        f"'tool_call_id'. The following tool_call_ids did not have response messages: {ids}"
    )


def check_gemini_chat(body: Any) -> str | None:
    """OpenAI's rules, and Gemini's: every tool result names its tool, and (Gemini 3) in the current turn,
    since the last user message, the first call of every assistant message carries a thought signature."""
    problem = check_chat(body)
    if problem:
        return problem
    if any(m.get("role") == "tool" and not m.get("name") for m in body["messages"]):
        return "Request contains an invalid argument."  # its function_response parts need the name
    if not str(body.get("model", "")).startswith("gemini-3"):
        return None
    messages = body["messages"]
    last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=-1)
    for message in messages[last_user + 1 :]:
        calls = message.get("tool_calls") or []
        if calls and not ((calls[0].get("extra_content") or {}).get("google") or {}).get("thought_signature"):
            name = calls[0]["function"]["name"]
            return (
                "Function call is missing a thought_signature in functionCall parts. This is required for "
                f"tools to work correctly, and missing thought_signature may lead to degraded model "
                f"performance. Additional data, function call `default_api:{name}` , position 1. please "
                "refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details."
            )
    return None


def _openai_check(path: str, headers: dict[str, str], body: Any) -> Reply | None:
    if not headers.get("authorization", "").startswith("Bearer "):
        return error(
            401,
            "You didn't provide an API key. You need to provide your API key in an Authorization header "
            "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        )
    if path.endswith("/chat/completions") and (problem := check_chat(body)):
        return error(400, problem)
    return None


def _gemini_check(path: str, headers: dict[str, str], body: Any) -> Reply | None:
    if not headers.get("authorization", "").startswith("Bearer "):
        return gemini_error(401, "Missing or invalid Authorization header.")
    if path.endswith("/chat/completions") and (problem := check_gemini_chat(body)):
        return gemini_error(400, problem)
    return None


def openai_api(prefix: str = "/v1") -> CheckedAPI:
    """The OpenAI surface under `prefix` (`/v1` for OpenAI and Ollama, `/v1beta/openai` for Gemini, which
    gets Gemini's error shape and rules)."""
    check = _gemini_check if prefix.startswith("/v1beta") else _openai_check
    return CheckedAPI(
        {f"{prefix}/chat/completions": _default_chat, f"{prefix}/embeddings": _default_embeddings}, check
    )
