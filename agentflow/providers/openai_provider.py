"""OpenAI and any OpenAI-compatible server (vLLM, LM Studio, Azure OpenAI, Ollama's /v1) on `AsyncOpenAI`."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any, ClassVar, cast

import instructor
import openai
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletionMessageParam

from agentflow.egress import EgressPolicy
from agentflow.providers._structured import Reading, run_instructor
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
    refusal,
    status_kind,
)
from agentflow.providers.config import DEFAULT_BASE_URLS, ProviderConfig, ProviderName

# The SDK refuses to start without a key; servers that need none (vLLM, LM Studio) ignore this one.
_NO_KEY = "no-key"


# Gemini 3 refuses a tool turn whose first call carries no thought signature. Calls another provider made
# (a fallback mid-conversation) have none; Google documents this value for exactly that case.
SKIP_THOUGHT_SIGNATURE = {"google": {"thought_signature": "skip_thought_signature_validator"}}


def openai_messages(messages: Sequence[Message], *, gemini: bool = False) -> list[ChatCompletionMessageParam]:
    """Chat messages in the OpenAI wire format: assistant turns carry their `tool_calls` (arguments as a
    JSON string), each result is a `tool` message naming the call it answers. OpenAI has no error flag on a
    result: a failed tool's message is its error text.

    `gemini` adds what Gemini's endpoint requires besides: the tool's `name` on every result (it refuses a
    result without one; taken from the call when the message has none), and Google's placeholder signature
    on the first call of a turn whose calls carry no signature of their own."""
    names: dict[str, str] = {}  # call id -> tool name, from the assistant turns so far
    wire: list[ChatCompletionMessageParam] = []
    for message in messages:
        for call in message.tool_calls:
            names[call.id] = call.name
        converted = _openai_message(message, fill_signatures=gemini)
        if gemini and message.role == "tool":
            converted["name"] = message.name or names.get(message.tool_call_id or "", "")
        wire.append(cast(ChatCompletionMessageParam, converted))
    return wire


def _openai_message(message: Message, *, fill_signatures: bool) -> dict[str, Any]:
    if message.role == "tool":
        return {"role": "tool", "tool_call_id": message.tool_call_id or "", "content": message.content}
    if message.role != "assistant" or not message.tool_calls:
        return {"role": message.role, "content": message.content}
    calls = []
    for index, call in enumerate(message.tool_calls):
        wire: dict[str, Any] = {
            "id": call.id,
            "type": "function",
            "function": {"name": call.name, "arguments": _arguments_json(call)},
        }
        if call.extra_content is not None:
            wire["extra_content"] = call.extra_content
        elif fill_signatures and index == 0:
            wire["extra_content"] = SKIP_THOUGHT_SIGNATURE
        calls.append(wire)
    return {"role": "assistant", "content": message.content or None, "tool_calls": calls}


def _arguments_json(call: ToolCall) -> str:
    """The model's own argument text when it parsed (echoed as sent), else the parsed object (`{}`):
    Gemini parses the arguments of past calls and refuses a turn whose JSON does not."""
    try:
        understood = json.loads(call.raw_arguments) == call.arguments
    except json.JSONDecodeError:
        understood = False
    return call.raw_arguments if understood else json.dumps(call.arguments)


def openai_tools(tools: Sequence[ToolSpec]) -> list[dict[str, Any]]:
    """Function tools in the OpenAI wire format."""
    return [
        {
            "type": "function",
            "function": {"name": tool.name, "description": tool.description, "parameters": tool.parameters},
        }
        for tool in tools
    ]


def parse_arguments(raw: str | None) -> dict[str, Any]:
    """Tool-call arguments as an object; `{}` when the model's JSON does not parse to one."""
    try:
        value = json.loads(raw or "{}")
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def map_openai_error(exc: BaseException, provider: ProviderName, model: str) -> ProviderError | None:
    """An `openai` SDK exception as a `ProviderError`; None for anything else."""
    if isinstance(exc, openai.APITimeoutError):
        return ProviderError("the request timed out", provider=provider, kind="timeout", model=model)
    if isinstance(exc, openai.APIConnectionError):
        if (refused := refusal(exc, provider, model)) is not None:
            return refused
        cause = exc.__cause__
        detail = f": {cause}" if cause is not None and str(cause) else ""
        return ProviderError(
            f"could not connect to the provider{detail}", provider=provider, kind="connection", model=model
        )
    if isinstance(exc, openai.APIStatusError):
        return ProviderError(
            message_from_body(exc.body, fallback=exc.message),
            provider=provider,
            kind=status_kind(exc.status_code),
            status_code=exc.status_code,
            model=model,
        )
    if isinstance(exc, openai.APIResponseValidationError):
        return ProviderError(
            f"unreadable response: {exc.message}", provider=provider, kind="invalid_response", model=model
        )
    if isinstance(exc, openai.APIError):  # an error event in the middle of a stream
        return ProviderError(
            message_from_body(exc.body, fallback=exc.message), provider=provider, kind="server", model=model
        )
    if isinstance(exc, openai.OpenAIError):
        return ProviderError(str(exc), provider=provider, kind="bad_request", model=model)
    return None


class OpenAIProvider(LLMProvider):
    """Chat completions, streaming, embeddings and instructor structured output over `AsyncOpenAI`."""

    name: ClassVar[ProviderName] = "openai"
    structured_mode: ClassVar[instructor.Mode] = instructor.Mode.TOOLS
    path_suffix: ClassVar[str] = ""
    speaks_gemini: ClassVar[bool] = False  # Gemini's endpoint: tool names on results, thought signatures

    def __init__(
        self, config: ProviderConfig, *, egress: EgressPolicy, timeout: float = DEFAULT_TIMEOUT_SECONDS
    ) -> None:
        super().__init__(config, egress=egress, timeout=timeout)
        self.client = AsyncOpenAI(
            api_key=config.api_key or _NO_KEY,
            base_url=config.effective_base_url + self.path_suffix,
            max_retries=0,  # retries and fallback are the router's and the engine's
            timeout=timeout,
            http_client=self.sdk_http_client(),
        )
        self._instructor = instructor.from_openai(self.client, mode=self.structured_mode)
        # OpenAI itself wants max_completion_tokens (o-series models refuse max_tokens); compatible servers
        # (vLLM, LM Studio, Ollama, Gemini) all accept the classic max_tokens.
        self._max_tokens_param = (
            "max_completion_tokens"
            if self.name == "openai" and config.effective_base_url == DEFAULT_BASE_URLS["openai"]
            else "max_tokens"
        )

    def _options(
        self, temperature: float | None, max_tokens: int | None, timeout: float | None
    ) -> dict[str, Any]:
        options: dict[str, Any] = {"timeout": effective_timeout(self.timeout, timeout)}
        if temperature is not None:
            options["temperature"] = temperature
        if max_tokens is not None:
            options[self._max_tokens_param] = max_tokens
        return options

    def wire_messages(self, messages: Sequence[Message]) -> list[ChatCompletionMessageParam]:
        """The conversation as this server takes it."""
        return openai_messages(messages, gemini=self.speaks_gemini)

    def _error(self, exc: BaseException, model: str) -> ProviderError | None:
        return map_openai_error(exc, self.name, model)

    def _fail(self, exc: openai.OpenAIError, model: str) -> ProviderError:
        return map_openai_error(exc, self.name, model) or self.error(str(exc), "bad_request", model=model)

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
        kwargs = self._options(temperature, max_tokens, timeout)
        if tools:
            kwargs["tools"] = openai_tools(tools)
        if response_format is not None:
            kwargs["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": response_format.name, "schema": response_format.schema},
            }
        started = time.perf_counter()
        try:
            completion = await self.client.chat.completions.create(
                model=model,
                messages=self.wire_messages(messages),
                **kwargs,
            )
        except openai.OpenAIError as exc:
            raise self._fail(exc, model) from exc
        latency_ms = (time.perf_counter() - started) * 1000
        if not completion.choices:
            raise self.error("the response has no choices", "invalid_response", model=model)
        choice = completion.choices[0]
        tool_calls = tuple(
            ToolCall(
                id=call.id,
                name=call.function.name,
                arguments=parse_arguments(call.function.arguments),
                raw_arguments=call.function.arguments or "",
                extra_content=_extra_content(call),
            )
            for call in choice.message.tool_calls or ()
            if call.type == "function"
        )
        return self.priced_response(
            requested=model,
            answered=completion.model,
            content=choice.message.content or "",
            tool_calls=tool_calls,
            input_tokens=completion.usage.prompt_tokens if completion.usage else 0,
            output_tokens=completion.usage.completion_tokens if completion.usage else 0,
            latency_ms=latency_ms,
            finish_reason=choice.finish_reason,
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
        kwargs = self._options(temperature, max_tokens, timeout)
        started = time.perf_counter()
        parts: list[str] = []
        input_tokens = output_tokens = 0
        answered = model
        finish_reason: str | None = None
        try:
            stream = await self.client.chat.completions.create(
                model=model,
                messages=self.wire_messages(messages),
                stream=True,
                stream_options={"include_usage": True},
                **kwargs,
            )
            async with stream:
                async for chunk in stream:
                    answered = chunk.model or answered
                    if chunk.usage is not None:
                        input_tokens = chunk.usage.prompt_tokens
                        output_tokens = chunk.usage.completion_tokens
                    for choice in chunk.choices:
                        if choice.finish_reason:
                            finish_reason = choice.finish_reason
                        text = choice.delta.content if choice.delta else None
                        if text:
                            parts.append(text)
                            yield TextDelta(text)
        except openai.OpenAIError as exc:
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
                finish_reason=finish_reason,
            )
        )

    async def embed(
        self, texts: Sequence[str], *, model: str, timeout: float | None = None
    ) -> EmbeddingResponse:
        started = time.perf_counter()
        try:
            result = await self.client.embeddings.create(
                model=model,
                input=list(texts),
                encoding_format="float",
                timeout=effective_timeout(self.timeout, timeout),
            )
        except openai.OpenAIError as exc:
            raise self._fail(exc, model) from exc
        vectors = [list(item.embedding) for item in sorted(result.data, key=lambda item: item.index)]
        input_tokens = result.usage.prompt_tokens if result.usage else 0
        cost = self.price_call(model, result.model, input_tokens, 0)
        return EmbeddingResponse(
            vectors=vectors,
            input_tokens=input_tokens,
            cost_usd=cost.usd,
            cost_known=cost.known,
            model=result.model or model,
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
        return await run_instructor(
            self,
            self._instructor,
            model=model,
            response_model=response_model,
            validation_retries=validation_retries,
            read=_read_completion,
            map_error=lambda exc: self._error(exc, model),
            messages=self.wire_messages(messages),
            **self._options(temperature, max_tokens, timeout),
        )

    async def aclose(self) -> None:
        await self.client.close()


def _extra_content(call: Any) -> dict[str, Any] | None:
    """A field outside OpenAI's schema that the SDK keeps as an extra (Gemini's thought signature)."""
    extra = (call.model_extra or {}).get("extra_content")
    return extra if isinstance(extra, dict) else None


def _read_completion(completion: Any) -> Reading:
    usage = getattr(completion, "usage", None)
    text = ""
    choices = getattr(completion, "choices", None) or []
    if choices:
        message = choices[0].message
        calls = message.tool_calls or []
        text = (calls[0].function.arguments or "") if calls else (message.content or "")
    return Reading(
        input_tokens=getattr(usage, "prompt_tokens", 0) or 0,
        output_tokens=getattr(usage, "completion_tokens", 0) or 0,
        model=getattr(completion, "model", None),
        text=text,
    )
