"""Anthropic Claude on `AsyncAnthropic`: messages, stream events, tool_use blocks, instructor tools mode."""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any, ClassVar

import anthropic
import instructor
from anthropic import AsyncAnthropic

from agentflow.egress import EgressPolicy
from agentflow.providers._structured import Reading, run_instructor
from agentflow.providers.base import (
    DEFAULT_TIMEOUT_SECONDS,
    EmbeddingResponse,
    ErrorKind,
    LLMProvider,
    LLMResponse,
    M,
    Message,
    ProviderError,
    ResponseFormat,
    StreamEnd,
    StreamEvent,
    StructuredResponse,
    TextDelta,
    ToolCall,
    ToolSpec,
    effective_timeout,
    message_from_body,
    refusal,
    status_kind,
)
from agentflow.providers.config import ProviderConfig, ProviderName

# Anthropic requires max_tokens on every call; this is used when the node sets none.
DEFAULT_MAX_TOKENS = 4096


def map_anthropic_error(exc: BaseException, model: str) -> ProviderError | None:
    """An `anthropic` SDK exception as a `ProviderError`; None for anything else."""
    if isinstance(exc, anthropic.APITimeoutError):
        return ProviderError("the request timed out", provider="anthropic", kind="timeout", model=model)
    if isinstance(exc, anthropic.APIConnectionError):
        if (refused := refusal(exc, "anthropic", model)) is not None:
            return refused
        cause = exc.__cause__
        detail = f": {cause}" if cause is not None and str(cause) else ""
        return ProviderError(
            f"could not connect to the provider{detail}", provider="anthropic", kind="connection", model=model
        )
    if isinstance(exc, anthropic.APIStatusError):
        midstream = exc.status_code < 400  # an `error` event inside a 200 stream
        return ProviderError(
            message_from_body(exc.body, fallback=exc.message),
            provider="anthropic",
            kind=_error_type_kind(exc.body) if midstream else status_kind(exc.status_code),
            status_code=None if midstream else exc.status_code,
            model=model,
        )
    if isinstance(exc, anthropic.APIResponseValidationError):
        return ProviderError(
            f"unreadable response: {exc.message}", provider="anthropic", kind="invalid_response", model=model
        )
    if isinstance(exc, anthropic.APIError):  # an `error` event in the middle of a stream
        return ProviderError(
            message_from_body(exc.body, fallback=exc.message),
            provider="anthropic",
            kind="server",
            model=model,
        )
    if isinstance(exc, anthropic.AnthropicError):
        return ProviderError(str(exc), provider="anthropic", kind="bad_request", model=model)
    return None


_ERROR_TYPE_KINDS: dict[str, ErrorKind] = {
    "invalid_request_error": "bad_request",
    "authentication_error": "auth",
    "permission_error": "auth",
    "not_found_error": "not_found",
    "request_too_large": "bad_request",
    "rate_limit_error": "rate_limit",
    "timeout_error": "timeout",
}


def _error_type_kind(body: object) -> ErrorKind:
    """Classify by the body's `error.type` (stream error events have no HTTP status of their own)."""
    error = body.get("error") if isinstance(body, dict) else None
    error_type = error.get("type") if isinstance(error, dict) else None
    return _ERROR_TYPE_KINDS.get(str(error_type), "server")  # api_error, overloaded_error, unknown


def split_system(messages: Sequence[Message]) -> tuple[str | None, list[dict[str, Any]]]:
    """Anthropic takes the system prompt apart from the conversation, and the conversation as alternating
    user and assistant turns of content blocks: an assistant turn's tool calls are `tool_use` blocks after
    its text, and tool results are `tool_result` blocks of the next *user* turn (first in it, before any
    text). Consecutive messages of one side merge into one turn."""
    system = "\n\n".join(message.content for message in messages if message.role == "system")
    ids = _CallIds()
    turns: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "system":
            continue
        role = "assistant" if message.role == "assistant" else "user"
        blocks = _blocks(message, ids)
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"] = _merged(turns[-1]["content"], blocks)
        else:
            turns.append({"role": role, "content": blocks})
    return system or None, [_plain(turn) for turn in turns]


def _blocks(message: Message, ids: _CallIds) -> list[dict[str, Any]]:
    if message.role == "tool":
        return [
            {
                "type": "tool_result",
                "tool_use_id": ids.result(message.tool_call_id or ""),
                "content": message.content,
                "is_error": message.is_error,
            }
        ]
    # Anthropic refuses empty text blocks: a turn that only calls tools has none.
    blocks: list[dict[str, Any]] = [{"type": "text", "text": message.content}] if message.content else []
    if message.role == "assistant" and message.tool_calls:
        ids.new_turn()
        blocks += [
            {"type": "tool_use", "id": ids.call(call.id), "name": call.name, "input": call.arguments}
            for call in message.tool_calls
        ]
    return blocks


def _merged(earlier: list[dict[str, Any]], later: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One turn from two; tool results stay ahead of text, as Anthropic requires."""
    combined = earlier + later
    results = [block for block in combined if block["type"] == "tool_result"]
    return results + [block for block in combined if block["type"] != "tool_result"]


def _plain(turn: dict[str, Any]) -> dict[str, Any]:
    """A turn of a single text block as a plain string (the shape the API documents for simple chats)."""
    content = turn["content"]
    if len(content) == 1 and content[0]["type"] == "text":
        return {"role": turn["role"], "content": content[0]["text"]}
    if not content:
        return {"role": turn["role"], "content": ""}
    return turn


_ID_UNSAFE = re.compile(r"[^a-zA-Z0-9_-]")


class _CallIds:
    """Tool-call ids as Anthropic takes them: matching `^[a-zA-Z0-9_-]+$` and unique in the conversation.

    After a fallback the calls come from another provider, which may use other characters, no id at all, or
    the same id again in a later round (some compatible servers count from `call_0` every time). A call's
    id is rewritten where needed, and each result gets the id its call was given in the turn before it.
    """

    def __init__(self) -> None:
        self._used: set[str] = set()
        self._turn: dict[str, list[str]] = {}  # the last assistant turn: original id -> ids given, in order

    def new_turn(self) -> None:
        self._turn = {}

    def call(self, original: str) -> str:
        base = _ID_UNSAFE.sub("_", original) or "call"
        given, count = base, 1
        while given in self._used:
            count += 1
            given = f"{base}_{count}"
        self._used.add(given)
        self._turn.setdefault(original, []).append(given)
        return given

    def result(self, original: str) -> str:
        given = self._turn.get(original)
        if given:
            return given.pop(0) if len(given) > 1 else given[0]
        return _ID_UNSAFE.sub("_", original) or "call"  # no such call: Anthropic says so in its answer


class AnthropicProvider(LLMProvider):
    """Claude models (`claude-sonnet-4-5`, `claude-haiku-4-5`, `claude-3-5-haiku-latest`, …)."""

    name: ClassVar[ProviderName] = "anthropic"

    def __init__(
        self, config: ProviderConfig, *, egress: EgressPolicy, timeout: float = DEFAULT_TIMEOUT_SECONDS
    ) -> None:
        super().__init__(config, egress=egress, timeout=timeout)
        self.client = AsyncAnthropic(
            api_key=config.api_key or "no-key",  # never let the SDK fall back to env or profiles
            base_url=config.effective_base_url,
            max_retries=0,  # retries and fallback are the router's and the engine's
            timeout=timeout,
            http_client=self.sdk_http_client(),
        )
        self._instructor = instructor.from_anthropic(self.client, mode=instructor.Mode.TOOLS)

    def _request(
        self,
        messages: Sequence[Message],
        temperature: float | None,
        max_tokens: int | None,
        timeout: float | None,
    ) -> dict[str, Any]:
        system, conversation = split_system(messages)
        request: dict[str, Any] = {
            "messages": conversation,
            "max_tokens": max_tokens or DEFAULT_MAX_TOKENS,
            "timeout": effective_timeout(self.timeout, timeout),
        }
        if system is not None:
            request["system"] = system
        if temperature is not None:
            # This SDK version no longer has a `temperature` argument; the Messages API still reads the field
            # for models that support sampling settings. Anthropic's range is 0..1.
            request["extra_body"] = {"temperature": min(temperature, 1.0)}
        return request

    def _fail(self, exc: anthropic.AnthropicError, model: str) -> ProviderError:
        return map_anthropic_error(exc, model) or self.error(str(exc), "bad_request", model=model)

    async def chat(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        temperature: float | None = None,
        max_tokens: int | None = None,
        tools: Sequence[ToolSpec] = (),
        response_format: ResponseFormat | None = None,
        timeout: float | None = None,
    ) -> LLMResponse:
        request = self._request(messages, temperature, max_tokens, timeout)
        if tools:
            request["tools"] = [
                {"name": tool.name, "description": tool.description, "input_schema": tool.parameters}
                for tool in tools
            ]
        if response_format is not None:
            request["output_config"] = {"format": {"type": "json_schema", "schema": response_format.schema}}
        started = time.perf_counter()
        try:
            reply = await self.client.messages.create(model=model, **request)
        except anthropic.AnthropicError as exc:
            raise self._fail(exc, model) from exc
        latency_ms = (time.perf_counter() - started) * 1000
        text = "".join(block.text for block in reply.content if block.type == "text")
        tool_calls = tuple(
            ToolCall(
                id=block.id,
                name=block.name,
                arguments=dict(block.input) if isinstance(block.input, dict) else {},
                raw_arguments=json.dumps(block.input),
            )
            for block in reply.content
            if block.type == "tool_use"
        )
        return self.priced_response(
            requested=model,
            answered=reply.model,
            content=text,
            tool_calls=tool_calls,
            input_tokens=reply.usage.input_tokens,
            output_tokens=reply.usage.output_tokens,
            latency_ms=latency_ms,
            finish_reason=reply.stop_reason,
        )

    async def stream_chat(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        temperature: float | None = None,
        max_tokens: int | None = None,
        timeout: float | None = None,
    ) -> AsyncIterator[StreamEvent]:
        request = self._request(messages, temperature, max_tokens, timeout)
        started = time.perf_counter()
        parts: list[str] = []
        input_tokens = output_tokens = 0
        answered = model
        stop_reason: str | None = None
        try:
            stream = await self.client.messages.create(model=model, stream=True, **request)
            async with stream:
                async for event in stream:
                    if event.type == "message_start":
                        answered = event.message.model or answered
                        input_tokens = event.message.usage.input_tokens
                        output_tokens = event.message.usage.output_tokens
                    elif event.type == "content_block_delta" and event.delta.type == "text_delta":
                        parts.append(event.delta.text)
                        yield TextDelta(event.delta.text)
                    elif event.type == "message_delta":
                        output_tokens = event.usage.output_tokens  # cumulative
                        if event.usage.input_tokens is not None:
                            input_tokens = event.usage.input_tokens
                        stop_reason = event.delta.stop_reason or stop_reason
        except anthropic.AnthropicError as exc:
            raise self._fail(exc, model) from exc
        yield StreamEnd(
            self.priced_response(
                requested=model,
                answered=answered,
                content="".join(parts),
                tool_calls=(),
                input_tokens=input_tokens,
                output_tokens=output_tokens,
                latency_ms=(time.perf_counter() - started) * 1000,
                finish_reason=stop_reason,
            )
        )

    async def embed(
        self, texts: Sequence[str], *, model: str, timeout: float | None = None
    ) -> EmbeddingResponse:
        raise self.error(
            "Anthropic has no embeddings API; use an OpenAI, Google or Ollama embedding model",
            "unsupported",
            model=model,
        )

    async def structured(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        response_model: type[M],
        validation_retries: int,
        temperature: float | None = None,
        max_tokens: int | None = None,
        timeout: float | None = None,
    ) -> StructuredResponse[M]:
        return await run_instructor(
            self,
            self._instructor,
            model=model,
            response_model=response_model,
            validation_retries=validation_retries,
            read=_read_message,
            map_error=lambda exc: map_anthropic_error(exc, model),
            **self._request(messages, temperature, max_tokens, timeout),
        )

    async def aclose(self) -> None:
        await self.client.close()


def _read_message(reply: Any) -> Reading:
    usage = getattr(reply, "usage", None)
    text = ""
    for block in getattr(reply, "content", None) or []:
        if block.type == "tool_use":
            text = json.dumps(block.input)
            break
        if block.type == "text":
            text += block.text
    return Reading(
        input_tokens=getattr(usage, "input_tokens", 0) or 0,
        output_tokens=getattr(usage, "output_tokens", 0) or 0,
        model=getattr(reply, "model", None),
        text=text,
    )
