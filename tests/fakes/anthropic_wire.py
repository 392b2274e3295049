"""Anthropic's Messages wire format: messages with text and tool_use blocks, usage, the SSE event stream
(message_start … message_stop) and the error body `{"type": "error", "error": {"type", "message"}}`."""

from __future__ import annotations

import json
from typing import Any

from tests.fakes.loopback import FakeAPI, Reply


def text_block(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def tool_use(name: str, arguments: dict[str, Any], block_id: str = "toolu_01") -> dict[str, Any]:
    return {"type": "tool_use", "id": block_id, "name": name, "input": arguments}


def _usage(input_tokens: int, output_tokens: int) -> dict[str, Any]:
    return {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "service_tier": "standard",
    }


def message(
    content: list[dict[str, Any]] | str = "ok",
    *,
    model: str = "claude-3-5-haiku-20241022",
    input_tokens: int = 20,
    output_tokens: int = 4,
    stop_reason: str | None = None,
) -> Reply:
    """A `message` object; a string becomes one text block."""
    blocks = [text_block(content)] if isinstance(content, str) else content
    has_tool = any(block["type"] == "tool_use" for block in blocks)
    body = {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": blocks,
        "stop_reason": stop_reason or ("tool_use" if has_tool else "end_turn"),
        "stop_sequence": None,
        "usage": _usage(input_tokens, output_tokens),
    }
    return Reply(body=body, headers={"request-id": "req_fake"})


def _event(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n"


def stream(
    pieces: list[str],
    *,
    model: str = "claude-3-5-haiku-20241022",
    input_tokens: int = 20,
    output_tokens: int | None = None,
    fail_after: int | None = None,
) -> Reply:
    """The event stream of a text answer; `fail_after` sends an `error` event after that many pieces."""
    start = {
        "type": "message_start",
        "message": {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": _usage(input_tokens, 1),
        },
    }
    chunks = [
        _event("message_start", start),
        _event(
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        ),
        _event("ping", {"type": "ping"}),
    ]
    for index, piece in enumerate(pieces):
        if fail_after is not None and index == fail_after:
            chunks.append(
                _event(
                    "error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
                )
            )
            return Reply(chunks=chunks, media_type="text/event-stream")
        chunks.append(
            _event(
                "content_block_delta",
                {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}},
            )
        )
    chunks += [
        _event("content_block_stop", {"type": "content_block_stop", "index": 0}),
        _event(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": output_tokens if output_tokens is not None else len(pieces)},
            },
        ),
        _event("message_stop", {"type": "message_stop"}),
    ]
    return Reply(chunks=chunks, media_type="text/event-stream")


_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


def error(status: int, message_text: str) -> Reply:
    """Anthropic's error body with its status."""
    body = {
        "type": "error",
        "error": {"type": _ERROR_TYPES.get(status, "api_error"), "message": message_text},
        "request_id": "req_fake",
    }
    return Reply(status=status, body=body, headers={"request-id": "req_fake"})


def _default_messages(path: str, body: Any) -> Reply:
    model = str(body.get("model")) if isinstance(body, dict) else "claude-3-5-haiku-20241022"
    if isinstance(body, dict) and body.get("stream"):
        return stream(["Hello", " from", " Claude"], model=model)
    return message("ok", model=model)


def anthropic_api() -> FakeAPI:
    """The Messages API at `/v1/messages`."""
    return FakeAPI({"/v1/messages": _default_messages})
