"""Ollama over its own HTTP API with httpx: `/api/chat` (JSON or streaming NDJSON) and `/api/embed`.

Structured output goes through instructor on Ollama's OpenAI-compatible `/v1` API (the same server), in
JSON-schema mode: Ollama constrains the answer to the schema, which local models follow far more reliably
than forced tool calls. Local models cost nothing, so every Ollama call is priced at 0 (and known).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any, ClassVar

import httpx
import instructor

from agentflow.egress import EgressPolicy, EgressRefused
from agentflow.providers import pricing
from agentflow.providers.base import (
    DEFAULT_TIMEOUT_SECONDS,
    EmbeddingResponse,
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
    status_kind,
)
from agentflow.providers.config import ProviderConfig, ProviderName
from agentflow.providers.openai_provider import OpenAIProvider, openai_tools


class _OllamaOpenAI(OpenAIProvider):
    """Ollama's OpenAI-compatible `/v1` API, used for instructor's structured output."""

    name: ClassVar[ProviderName] = "ollama"
    structured_mode: ClassVar[instructor.Mode] = instructor.Mode.JSON_SCHEMA
    path_suffix: ClassVar[str] = "/v1"

    def estimate_cost(self, model: str, input_tokens: int, output_tokens: int) -> pricing.Cost:
        return pricing.free()


class OllamaProvider(LLMProvider):
    """Local models served by Ollama (`llama3.1`, `qwen2.5`, `nomic-embed-text`, …)."""

    name: ClassVar[ProviderName] = "ollama"

    def __init__(
        self, config: ProviderConfig, *, egress: EgressPolicy, timeout: float = DEFAULT_TIMEOUT_SECONDS
    ) -> None:
        super().__init__(config, egress=egress, timeout=timeout)
        headers = {"Authorization": f"Bearer {config.api_key}"} if config.api_key else {}
        self.client = self.http_client(headers=headers)
        self.client.base_url = httpx.URL(config.effective_base_url)
        self._compatible = _OllamaOpenAI(config, egress=egress, timeout=timeout)

    def estimate_cost(self, model: str, input_tokens: int, output_tokens: int) -> pricing.Cost:
        return pricing.free()

    def _body(
        self,
        model: str,
        messages: Sequence[Message],
        *,
        stream: bool,
        temperature: float | None,
        max_tokens: int | None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": model,
            "messages": [ollama_message(message) for message in messages],
            "stream": stream,
        }
        options: dict[str, Any] = {}
        if temperature is not None:
            options["temperature"] = temperature
        if max_tokens is not None:
            options["num_predict"] = max_tokens
        if options:
            body["options"] = options
        return body

    def _transport_error(self, exc: httpx.HTTPError | EgressRefused, model: str) -> ProviderError:
        if isinstance(exc, EgressRefused):
            return self.error(exc.message, "refused", model=model)
        if isinstance(exc, httpx.TimeoutException):
            return self.error("the request timed out", "timeout", model=model)
        return self.error(f"could not connect to Ollama: {exc}", "connection", model=model)

    def _status_error(self, response: httpx.Response, model: str) -> ProviderError:
        try:
            body: object = response.json()
        except ValueError:
            body = response.text
        message = message_from_body(body, fallback=f"HTTP {response.status_code}")
        return self.error(
            message, status_kind(response.status_code), status_code=response.status_code, model=model
        )

    async def _post(
        self, path: str, body: dict[str, Any], model: str, timeout: float | None
    ) -> dict[str, Any]:
        try:
            response = await self.client.post(
                path, json=body, timeout=effective_timeout(self.timeout, timeout)
            )
        except (httpx.HTTPError, EgressRefused) as exc:
            raise self._transport_error(exc, model) from exc
        if response.status_code >= 400:
            raise self._status_error(response, model)
        try:
            data = response.json()
        except ValueError as exc:
            raise self.error("the response is not JSON", "invalid_response", model=model) from exc
        if not isinstance(data, dict):
            raise self.error("the response is not a JSON object", "invalid_response", model=model)
        return data

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
        body = self._body(model, messages, stream=False, temperature=temperature, max_tokens=max_tokens)
        if tools:
            body["tools"] = openai_tools(tools)
        if response_format is not None:
            body["format"] = response_format.schema
        started = time.perf_counter()
        data = await self._post("/api/chat", body, model, timeout)
        latency_ms = (time.perf_counter() - started) * 1000
        message = data.get("message") or {}
        tool_calls = tuple(_tool_call(call) for call in message.get("tool_calls") or [])
        return self._response(data, model, str(message.get("content") or ""), tool_calls, latency_ms)

    def _response(
        self,
        data: dict[str, Any],
        model: str,
        content: str,
        tool_calls: tuple[ToolCall, ...],
        latency_ms: float,
    ) -> LLMResponse:
        cost = self.estimate_cost(model, 0, 0)
        return LLMResponse(
            content=content,
            tool_calls=tool_calls,
            input_tokens=int(data.get("prompt_eval_count") or 0),
            output_tokens=int(data.get("eval_count") or 0),
            cost_usd=cost.usd,
            cost_known=cost.known,
            model=str(data.get("model") or model),
            provider=self.name,
            latency_ms=latency_ms,
            finish_reason=data.get("done_reason"),
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
        body = self._body(model, messages, stream=True, temperature=temperature, max_tokens=max_tokens)
        started = time.perf_counter()
        parts: list[str] = []
        final: dict[str, Any] = {}
        try:
            async with self.client.stream(
                "POST", "/api/chat", json=body, timeout=effective_timeout(self.timeout, timeout)
            ) as response:
                if response.status_code >= 400:
                    await response.aread()
                    raise self._status_error(response, model)
                async for line in response.aiter_lines():
                    if not line.strip():
                        continue
                    try:
                        chunk = json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise self.error(
                            "the stream sent a line that is not JSON", "invalid_response"
                        ) from exc
                    if chunk.get("error"):
                        raise self.error(str(chunk["error"]), "server", model=model)
                    text = (chunk.get("message") or {}).get("content") or ""
                    if text:
                        parts.append(text)
                        yield TextDelta(text)
                    if chunk.get("done"):
                        final = chunk
        except (httpx.HTTPError, EgressRefused) as exc:
            raise self._transport_error(exc, model) from exc
        if not final:
            raise self.error("the stream ended before Ollama said it was done", "server", model=model)
        latency_ms = (time.perf_counter() - started) * 1000
        yield StreamEnd(self._response(final, model, "".join(parts), (), latency_ms))

    async def embed(
        self, texts: Sequence[str], *, model: str, timeout: float | None = None
    ) -> EmbeddingResponse:
        started = time.perf_counter()
        data = await self._post("/api/embed", {"model": model, "input": list(texts)}, model, timeout)
        vectors = data.get("embeddings")
        if not isinstance(vectors, list) or len(vectors) != len(texts):
            raise self.error("the response has no embedding per input", "invalid_response", model=model)
        cost = self.estimate_cost(model, 0, 0)
        return EmbeddingResponse(
            vectors=[[float(value) for value in vector] for vector in vectors],
            input_tokens=int(data.get("prompt_eval_count") or 0),
            cost_usd=cost.usd,
            cost_known=cost.known,
            model=str(data.get("model") or model),
            provider=self.name,
            latency_ms=(time.perf_counter() - started) * 1000,
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
        return await self._compatible.structured(
            messages,
            model=model,
            response_model=response_model,
            validation_retries=validation_retries,
            temperature=temperature,
            max_tokens=max_tokens,
            timeout=timeout,
        )

    async def aclose(self) -> None:
        await self.client.aclose()
        await self._compatible.aclose()


def ollama_message(message: Message) -> dict[str, Any]:
    """A message in `/api/chat`'s format: an assistant turn's calls with their arguments as objects, a
    result as a `tool` message naming the tool (Ollama's models match results by name; its API has no
    error flag, so a failed tool's message is its error text)."""
    wire: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.role == "assistant" and message.tool_calls:
        wire["tool_calls"] = [
            {"function": {"name": call.name, "arguments": call.arguments}} for call in message.tool_calls
        ]
    elif message.role == "tool" and message.name:
        wire["tool_name"] = message.name
    return wire


def _tool_call(call: dict[str, Any]) -> ToolCall:
    function = call.get("function") or {}
    arguments = function.get("arguments")
    raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
    if isinstance(arguments, str):  # some versions send a JSON string
        try:
            arguments = json.loads(arguments)
        except json.JSONDecodeError:
            arguments = {}
    return ToolCall(
        # Older servers give calls no id; the loop matches results by id, and Anthropic (after a fallback)
        # wants ids unique across the conversation, so each call gets one of its own.
        id=str(call.get("id") or f"call_{uuid.uuid4().hex[:16]}"),
        name=str(function.get("name") or ""),
        arguments=arguments if isinstance(arguments, dict) else {},
        raw_arguments=raw,
    )
