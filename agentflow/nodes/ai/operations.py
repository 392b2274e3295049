"""The AI node's four operations as plain async functions over a rendered `AiConfig` and a `Router`.

Each returns an `OperationResult`: the node's output (`{text}` / `{text, tool_calls}`, `{label, confidence}`
or the extracted object, always with `usage {input_tokens, output_tokens, cost_usd, cost_known, model,
provider}`) and the `provider_attempts` of the call. Each failure is an `AIStepError` that still carries the
tokens spent and the attempts made.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from agentflow.nodes.ai import prompts
from agentflow.nodes.ai.errors import AIStepError
from agentflow.nodes.ai.model import AiConfig, AiTool
from agentflow.nodes.ai.structured import InvalidSchema, classification_model, extraction_model
from agentflow.providers.base import (
    LLMResponse,
    M,
    Message,
    ProviderAttempt,
    ProviderError,
    StreamEnd,
    StructuredOutputError,
    StructuredResponse,
    TextDelta,
    ToolSpec,
    Usage,
)
from agentflow.providers.router import Routed, Router

DEFAULT_VALIDATION_RETRIES = 2
OnText = Callable[[str], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class OperationResult:
    """What an AI step produced: its output (with `usage`), the attempts, and the usage as exact Decimals."""

    output: dict[str, Any]
    provider_attempts: list[dict[str, Any]]
    usage: Usage
    model: str
    provider: str


def usage_json(usage: Usage, *, model: str, provider: str) -> dict[str, Any]:
    """`usage` as stored in the output; `cost_usd` is a JSON number that reads back as the exact Decimal."""
    return {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cost_usd": float(usage.cost_usd),
        "cost_known": usage.cost_known,
        "model": model,
        "provider": provider,
    }


def _result(
    body: dict[str, Any], usage: Usage, attempts: list[ProviderAttempt], *, model: str, provider: str
) -> OperationResult:
    output = {**body, "usage": usage_json(usage, model=model, provider=provider)}
    return OperationResult(
        output=output,
        provider_attempts=[attempt.to_json() for attempt in attempts],
        usage=usage,
        model=model,
        provider=provider,
    )


def _failure(exc: ProviderError | StructuredOutputError) -> AIStepError:
    if isinstance(exc, StructuredOutputError):
        return AIStepError(
            exc.message,
            code="output_validation",
            retryable=False,
            usage=exc.usage,
            attempts=exc.attempts,
            details={"last_output": exc.last_output, "calls": exc.calls},
        )
    return AIStepError(
        str(exc),
        code=exc.kind,
        retryable=exc.retryable,
        usage=exc.usage,
        attempts=exc.attempts,
        details={"status_code": exc.status_code},
    )


async def _complete(
    config: AiConfig,
    messages: list[Message],
    *,
    router: Router,
    org_id: uuid.UUID,
    fallback_models: Sequence[str],
    deadline: float | None,
    on_text: OnText | None,
    tools: Sequence[ToolSpec] = (),
) -> tuple[LLMResponse, Usage, list[ProviderAttempt]]:
    chain = config.fallback_models or fallback_models
    try:
        if on_text is None or tools:
            routed = await router.chat(
                org_id,
                messages,
                model=config.model,
                fallback_models=chain,
                temperature=config.temperature,
                max_tokens=config.max_tokens,
                tools=tools,
                deadline=deadline,
            )
            return routed.result, routed.usage, routed.attempts
        stream = router.stream_chat(
            org_id,
            messages,
            model=config.model,
            fallback_models=chain,
            temperature=config.temperature,
            max_tokens=config.max_tokens,
            deadline=deadline,
        )
        final: LLMResponse | None = None
        async for event in stream:
            if isinstance(event, TextDelta):
                await on_text(event.text)
            elif isinstance(event, StreamEnd):
                final = event.response
        assert final is not None  # a stream that ends without StreamEnd raises instead
        return final, stream.usage, stream.attempts
    except ProviderError as exc:
        raise _failure(exc) from exc


async def _structured(
    config: AiConfig,
    messages: Sequence[Message],
    response_model: type[M],
    *,
    router: Router,
    org_id: uuid.UUID,
    fallback_models: Sequence[str],
    deadline: float | None,
    validation_retries: int,
) -> Routed[StructuredResponse[M]]:
    """A validated answer through the router (the node's fallback chain first); failures as step errors."""
    try:
        return await router.structured(
            org_id,
            messages,
            model=config.model,
            response_model=response_model,
            validation_retries=validation_retries,
            fallback_models=config.fallback_models or fallback_models,
            temperature=config.temperature,
            max_tokens=config.max_tokens,
            deadline=deadline,
        )
    except (ProviderError, StructuredOutputError) as exc:
        raise _failure(exc) from exc


async def chat(
    config: AiConfig,
    *,
    router: Router,
    org_id: uuid.UUID,
    fallback_models: Sequence[str] = (),
    deadline: float | None = None,
    on_text: OnText | None = None,
) -> OperationResult:
    """Answer the prompt: `{text}`, plus `tool_calls` when the node offers tools."""
    tools = [ToolSpec(t.name, t.description, t.parameters) for t in config.tools if isinstance(t, AiTool)]
    response, usage, attempts = await _complete(
        config,
        prompts.chat_messages(config),
        router=router,
        org_id=org_id,
        fallback_models=fallback_models,
        deadline=deadline,
        on_text=on_text,
        tools=tools,
    )
    body: dict[str, Any] = {"text": response.content}
    if tools:
        body["tool_calls"] = [call.to_json() for call in response.tool_calls]
    return _result(body, usage, attempts, model=response.model, provider=response.provider)


async def summarize(
    config: AiConfig,
    *,
    router: Router,
    org_id: uuid.UUID,
    fallback_models: Sequence[str] = (),
    deadline: float | None = None,
    on_text: OnText | None = None,
) -> OperationResult:
    """Condense the prompt: `{text}`."""
    response, usage, attempts = await _complete(
        config,
        prompts.summarize_messages(config),
        router=router,
        org_id=org_id,
        fallback_models=fallback_models,
        deadline=deadline,
        on_text=on_text,
    )
    return _result(
        {"text": response.content}, usage, attempts, model=response.model, provider=response.provider
    )


async def classify(
    config: AiConfig,
    *,
    router: Router,
    org_id: uuid.UUID,
    fallback_models: Sequence[str] = (),
    deadline: float | None = None,
    validation_retries: int = DEFAULT_VALIDATION_RETRIES,
) -> OperationResult:
    """Pick one of `labels`: `{label, confidence}`; a label outside the list is asked again, then fails."""
    labels = config.labels or []
    if len(labels) < 2:
        raise AIStepError("classify needs at least two labels", code="config", retryable=False)
    routed = await _structured(
        config,
        prompts.classify_messages(config),
        classification_model(labels),
        router=router,
        org_id=org_id,
        fallback_models=fallback_models,
        deadline=deadline,
        validation_retries=validation_retries,
    )
    answer = routed.result
    body = {"label": answer.value.label, "confidence": answer.value.confidence}
    return _result(body, routed.usage, routed.attempts, model=answer.model, provider=answer.provider)


async def extract(
    config: AiConfig,
    *,
    router: Router,
    org_id: uuid.UUID,
    fallback_models: Sequence[str] = (),
    deadline: float | None = None,
    validation_retries: int = DEFAULT_VALIDATION_RETRIES,
) -> OperationResult:
    """Return an object matching `output_schema` (checked with JSON Schema, asked again when it does not)."""
    if not config.output_schema:
        raise AIStepError("extract needs an output_schema", code="config", retryable=False)
    try:
        model = extraction_model(config.output_schema)
    except InvalidSchema as exc:
        raise AIStepError(str(exc), code="config", retryable=False) from exc
    routed = await _structured(
        config,
        prompts.extract_messages(config),
        model,
        router=router,
        org_id=org_id,
        fallback_models=fallback_models,
        deadline=deadline,
        validation_retries=validation_retries,
    )
    answer = routed.result
    return _result(
        answer.value.model_dump(), routed.usage, routed.attempts, model=answer.model, provider=answer.provider
    )
