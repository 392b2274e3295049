"""Anthropic's Messages wire format: messages with text and tool_use blocks, usage, the SSE event stream
(message_start … message_stop) and the error body `{"type": "error", "error": {"type", "message"}}`.

Like the real API, the fake refuses (`check_messages`, 400 `invalid_request_error`) a request without
`max_tokens`, a `system` role inside `messages`, turns that do not alternate, empty content, malformed or
repeated `tool_use` ids, and tool results that do not answer the `tool_use` blocks of the turn just before
them (or that come after text); and a request with no key (`x-api-key` or a bearer token: 401
`authentication_error`).
"""

from __future__ import annotations

import dataclasses
import json
import re
import uuid
from typing import Any

from tests.fakes.checked_wire import CheckedAPI
from tests.fakes.loopback import Reply


def text_block(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


# Ids the fake makes up itself. Anthropic never sends one id twice (and refuses a conversation that repeats
# one), so a reply queued more than once gets new ones each time; ids a test names stay as they are.
_AUTO_ID = "toolu_auto_"


def _auto_id() -> str:
    return f"{_AUTO_ID}{uuid.uuid4().hex[:20]}"


def tool_use(name: str, arguments: dict[str, Any], block_id: str | None = None) -> dict[str, Any]:
    """A `tool_use` block; without `block_id`, an id of the fake's own, fresh each time it is queued."""
    return {"type": "tool_use", "id": block_id or _auto_id(), "name": name, "input": arguments}


def fresh_ids(reply: Reply) -> Reply:
    """A copy of a scripted message whose made-up `tool_use` ids are new."""
    body = reply.body
    if not isinstance(body, dict) or not isinstance(body.get("content"), list):
        return reply
    content = [
        {**block, "id": _auto_id()}
        if block.get("type") == "tool_use" and str(block.get("id", "")).startswith(_AUTO_ID)
        else block
        for block in body["content"]
    ]
    return dataclasses.replace(reply, body={**body, "content": content})


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


_TOOL_USE_ID = re.compile(r"^[a-zA-Z0-9_-]+$")


def check_messages(body: Any) -> str | None:
    """Why the Messages API would refuse this request (its own wording), or None."""
    if not isinstance(body, dict):
        return "Input should be a valid dictionary"
    for required in ("model", "max_tokens", "messages"):
        if required not in body:
            return f"{required}: Field required"
    messages = body["messages"]
    if not isinstance(messages, list) or not messages:
        return "messages: at least one message is required"
    for position, tool in enumerate(body.get("tools") or []):
        if "input_schema" not in tool:
            return f"tools.{position}.custom.input_schema: Field required"
    seen_ids: set[str] = set()
    for index in range(len(messages)):
        problem = _check_turn(messages, index, seen_ids)
        if problem:
            return problem
    return None


def _check_turn(messages: list[Any], index: int, seen_ids: set[str]) -> str | None:
    message = messages[index]
    if not isinstance(message, dict):
        return f"messages.{index}: Input should be a valid dictionary"
    role = message.get("role")
    if role == "system":
        return (
            'messages: Unexpected role "system". The Messages API accepts a top-level `system` parameter, '
            'not "system" as an input message role.'
        )
    if role not in ("user", "assistant"):
        return f"messages.{index}.role: Input should be 'user' or 'assistant'"
    if index > 0 and messages[index - 1].get("role") == role:
        return (
            'messages: roles must alternate between "user" and "assistant", '
            f'but found multiple "{role}" roles in a row'
        )
    blocks = _blocks(message.get("content"))
    final_assistant = role == "assistant" and index == len(messages) - 1
    if not blocks and not final_assistant:
        return (
            f"messages.{index}: all messages must have non-empty content except for the optional final "
            "assistant message"
        )
    if any(block.get("type") == "text" and not block.get("text") for block in blocks):
        return "messages: text content blocks must be non-empty"
    if role == "assistant":
        return _check_tool_uses(messages, index, blocks, seen_ids)
    return _check_tool_results(messages, index, blocks)


def _blocks(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    return content if isinstance(content, list) else []


def _tool_use_ids(message: Any) -> list[str]:
    if not isinstance(message, dict) or message.get("role") != "assistant":
        return []
    return [block["id"] for block in _blocks(message.get("content")) if block.get("type") == "tool_use"]


def _check_tool_uses(
    messages: list[Any], index: int, blocks: list[dict[str, Any]], seen_ids: set[str]
) -> str | None:
    for position, block in enumerate(blocks):
        if block.get("type") == "tool_result":
            return f"messages.{index}.content.{position}: `tool_result` blocks can only be in user messages"
        if block.get("type") != "tool_use":
            continue
        block_id = block.get("id")
        if not isinstance(block_id, str) or not _TOOL_USE_ID.match(block_id):
            return (
                f"messages.{index}.content.{position}.tool_use.id: String should match pattern "
                "'^[a-zA-Z0-9_-]+$'"
            )
        if block_id in seen_ids:
            return f"messages.{index}.content.{position}: `tool_use` ids must be unique"
        seen_ids.add(block_id)
        if not isinstance(block.get("input"), dict) or not isinstance(block.get("name"), str):
            return f"messages.{index}.content.{position}.tool_use.input: Input should be a valid dictionary"
    ids = _tool_use_ids(messages[index])
    following = messages[index + 1] if index + 1 < len(messages) else None
    answered = {
        block.get("tool_use_id")
        for block in (_blocks(following.get("content")) if isinstance(following, dict) else [])
        if block.get("type") == "tool_result"
    }
    missing = [call_id for call_id in ids if call_id not in answered]
    if missing:
        return (
            f"messages.{index}: `tool_use` ids were found without `tool_result` blocks immediately after: "
            f"{', '.join(missing)}. Each `tool_use` block must have a corresponding `tool_result` block in "
            "the next message."
        )
    return None


def _check_tool_results(messages: list[Any], index: int, blocks: list[dict[str, Any]]) -> str | None:
    asked = set(_tool_use_ids(messages[index - 1])) if index > 0 else set()
    text_seen = False
    for position, block in enumerate(blocks):
        kind = block.get("type")
        if kind == "tool_use":
            return f"messages.{index}.content.{position}: `tool_use` blocks can only be in assistant messages"
        if kind != "tool_result":
            text_seen = True
            continue
        if text_seen:
            return (
                f"messages.{index}: Did not find {len(asked)} `tool_result` block(s) at the beginning of "
                "this message. Messages following `tool_use` blocks must begin with a matching number of "
                "`tool_result` blocks."
            )
        if block.get("tool_use_id") not in asked:
            return (
                f"messages.{index}.content.{position}: unexpected `tool_use_id` found in `tool_result` "
                f"blocks: {block.get('tool_use_id')}. Each `tool_result` block must have a corresponding "
                "`tool_use` block in the previous message."
            )
        if "is_error" in block and not isinstance(block["is_error"], bool):
            return (
                f"messages.{index}.content.{position}.tool_result.is_error: Input should be a valid boolean"
            )
        if not isinstance(block.get("content", ""), str | list):
            return f"messages.{index}.content.{position}.tool_result.content: Input should be a valid list"
    return None


def _check(path: str, headers: dict[str, str], body: Any) -> Reply | None:
    # Older SDKs send `x-api-key`, newer ones a bearer token; the API takes either.
    if not headers.get("x-api-key") and not headers.get("authorization", "").startswith("Bearer "):
        return error(401, "x-api-key header is required")
    if not headers.get("anthropic-version"):
        return error(400, "anthropic-version: header is required")
    problem = check_messages(body)
    return error(400, problem) if problem else None


def anthropic_api() -> CheckedAPI:
    """The Messages API at `/v1/messages`."""
    return CheckedAPI({"/v1/messages": _default_messages}, _check, prepare=fresh_ids)
