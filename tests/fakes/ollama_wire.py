"""Ollama's own API: `/api/chat` (one JSON object, or NDJSON lines when streaming), `/api/embed`, errors as
`{"error": "..."}`; plus its OpenAI-compatible `/v1` (used for structured output)."""

from __future__ import annotations

import json
from typing import Any

from tests.fakes.loopback import FakeAPI, Reply
from tests.fakes.openai_wire import _default_chat, _default_embeddings

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


def tool_call(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """Ollama's tool call: arguments as an object, no id."""
    return {"function": {"name": name, "arguments": arguments}}


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


def ollama_api() -> FakeAPI:
    """`/api/chat`, `/api/embed` and the OpenAI-compatible `/v1/chat/completions`, `/v1/embeddings`."""
    return FakeAPI(
        {
            "/api/chat": _default_api_chat,
            "/api/embed": _default_api_embed,
            "/v1/chat/completions": _default_chat,
            "/v1/embeddings": _default_embeddings,
        }
    )
