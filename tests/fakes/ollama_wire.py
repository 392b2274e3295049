"""Ollama's own API: `/api/chat` (one JSON object, or NDJSON lines when streaming), `/api/embed`, errors as
`{"error": "..."}`; plus its OpenAI-compatible `/v1` (used for structured output), with OpenAI's rules.

Ollama checks little: a request names a model, and a message decodes into its Go types (`content` a string,
a tool call's `arguments` an object, `tool_name` a string), else 400 with the decoder's message. The `tool`
role is accepted wherever it comes.
"""

from __future__ import annotations

import json
from typing import Any

from tests.fakes.checked_wire import CheckedAPI
from tests.fakes.loopback import Reply
from tests.fakes.openai_wire import _default_chat, _default_embeddings, check_chat
from tests.fakes.openai_wire import error as openai_error

_CREATED_AT = "2025-10-01T12:00:00.000000Z"


def chat(
    content: str = "ok",
    *,
    tool_calls: list[dict[str, Any]] | None = None,
    model: str = "llama3.1",
    prompt_eval_count: int = 26,
    eval_count: int = 7,
) -> Reply:
    """A finished, non-streamed `/api/chat` answer."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return Reply(body=_final(model, message, prompt_eval_count, eval_count))


def tool_call(name: str, arguments: dict[str, Any], *, index: int | None = None) -> dict[str, Any]:
    """Ollama's tool call: arguments as an object, no id (newer servers add the call's `index`)."""
    function: dict[str, Any] = {"name": name, "arguments": arguments}
    if index is not None:
        function["index"] = index
    return {"function": function}


def _final(model: str, message: dict[str, Any], prompt_eval_count: int, eval_count: int) -> dict[str, Any]:
    return {
        "model": model,
        "created_at": _CREATED_AT,
        "message": message,
        "done_reason": "stop",
        "done": True,
        "total_duration": 4_883_583_458,
        "load_duration": 1_334_875,
        "prompt_eval_count": prompt_eval_count,
        "prompt_eval_duration": 342_546_000,
        "eval_count": eval_count,
        "eval_duration": 4_535_599_000,
    }


def stream(
    pieces: list[str],
    *,
    model: str = "llama3.1",
    prompt_eval_count: int = 26,
    eval_count: int | None = None,
    fail_after: int | None = None,
) -> Reply:
    """NDJSON: one line per piece, then the `done` line with the counts (or an `error` line)."""
    lines = []
    for index, piece in enumerate(pieces):
        if fail_after is not None and index == fail_after:
            lines.append(
                json.dumps({"error": "an error was encountered while running the model: unexpected EOF"})
                + "\n"
            )
            return Reply(chunks=lines, media_type="application/x-ndjson")
        lines.append(
            json.dumps(
                {
                    "model": model,
                    "created_at": _CREATED_AT,
                    "message": {"role": "assistant", "content": piece},
                    "done": False,
                }
            )
            + "\n"
        )
    final = _final(
        model,
        {"role": "assistant", "content": ""},
        prompt_eval_count,
        eval_count if eval_count is not None else len(pieces),
    )
    lines.append(json.dumps(final) + "\n")
    return Reply(chunks=lines, media_type="application/x-ndjson")


def embed(
    vectors: list[list[float]], *, model: str = "nomic-embed-text", prompt_eval_count: int = 6
) -> Reply:
    return Reply(
        body={
            "model": model,
            "embeddings": vectors,
            "total_duration": 14_143_917,
            "load_duration": 1_019_500,
            "prompt_eval_count": prompt_eval_count,
        }
    )


def error(status: int, message: str) -> Reply:
    return Reply(status=status, body={"error": message})


def _default_api_chat(path: str, body: Any) -> Reply:
    model = str(body.get("model")) if isinstance(body, dict) else "llama3.1"
    if isinstance(body, dict) and body.get("stream", True):
        return stream(["Hello", " from", " Ollama"], model=model)
    return chat("ok", model=model)


def _default_api_embed(path: str, body: Any) -> Reply:
    inputs = body.get("input") if isinstance(body, dict) else []
    count = len(inputs) if isinstance(inputs, list) else 1
    return embed([[0.5, 0.25 * i] for i in range(count)], model=str(body.get("model")))


def _go_type(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "bool", int: "number", float: "number"}.get(
        type(value), "null"
    )


def check_chat_request(body: Any) -> str | None:
    """Why `/api/chat` would refuse this body (the Go decoder's or the handler's wording), or None."""
    if not isinstance(body, dict):
        return "invalid request body"
    if not body.get("model"):
        return "model is required"
    for message in body.get("messages") or []:
        content = message.get("content")
        if content is not None and not isinstance(content, str):
            return (
                f"json: cannot unmarshal {_go_type(content)} into Go struct field "
                "ChatRequest.messages.content of type string"
            )
        if not isinstance(message.get("tool_name", ""), str):
            return "json: cannot unmarshal into Go struct field ChatRequest.messages.tool_name of type string"
        for call in message.get("tool_calls") or []:
            arguments = (call.get("function") or {}).get("arguments")
            if arguments is not None and not isinstance(arguments, dict):
                return (
                    f"json: cannot unmarshal {_go_type(arguments)} into Go struct field "
                    "ToolCallFunction.messages.tool_calls.function.arguments of type "
                    "api.ToolCallFunctionArguments"
                )
    return None


def _check(path: str, headers: dict[str, str], body: Any) -> Reply | None:
    if path == "/api/chat" and (problem := check_chat_request(body)):
        return error(400, problem)
    if path == "/v1/chat/completions" and (problem := check_chat(body)):
        return openai_error(400, problem)
    return None


def ollama_api() -> CheckedAPI:
    """`/api/chat`, `/api/embed` and the OpenAI-compatible `/v1/chat/completions`, `/v1/embeddings`."""
    return CheckedAPI(
        {
            "/api/chat": _default_api_chat,
            "/api/embed": _default_api_embed,
            "/v1/chat/completions": _default_chat,
            "/v1/embeddings": _default_embeddings,
        },
        _check,
    )
