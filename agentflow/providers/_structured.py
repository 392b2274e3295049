"""Instructor glue shared by the providers: per-call usage capture and error mapping for `structured()`."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from instructor.core.hooks import Hooks
from instructor.v2.core.errors import IncompleteOutputException, InstructorRetryException
from pydantic import BaseModel, ValidationError

from agentflow.providers.base import (
    M,
    ProviderError,
    StructuredOutputError,
    StructuredResponse,
    Usage,
)

if TYPE_CHECKING:
    from instructor import AsyncInstructor

    from agentflow.providers.base import LLMProvider

_LAST_OUTPUT_LIMIT = 2000
# instructor logs every failed call and exhausted retry at ERROR; we raise (and the step records) each of
# them with more context, so its own lines would only duplicate them in the worker logs.
logging.getLogger("instructor.v2.retry").setLevel(logging.CRITICAL)


@dataclass(frozen=True, slots=True)
class Reading:
    """What one raw completion says about itself."""

    input_tokens: int
    output_tokens: int
    model: str | None
    text: str


class CallLog:
    """Every raw completion instructor receives during one structured call: tokens, cost, last answer.

    Instructor accumulates usage into the response objects *after* the `completion:response` hook runs, so the
    hook sees each call's own figures; pricing each call separately keeps the sum exact.
    """

    def __init__(self, provider: LLMProvider, model: str, read: Callable[[Any], Reading]) -> None:
        self.provider = provider
        self.model = model
        self.read = read
        self.usage = Usage()
        self.calls = 0
        self.answered_by: str | None = None
        self.last_output: str | None = None

    def hooks(self) -> Hooks:
        """Per-call hooks (the instructor client is shared by concurrent calls)."""
        hooks = Hooks()
        hooks.on("completion:response", self._on_response)
        return hooks

    def _on_response(self, response: Any) -> None:
        reading = self.read(response)
        cost = self.provider.price_call(
            self.model, reading.model, reading.input_tokens, reading.output_tokens
        )
        self.usage += Usage(reading.input_tokens, reading.output_tokens, cost.usd, cost.known)
        self.calls += 1
        self.answered_by = reading.model or self.model
        self.last_output = reading.text[:_LAST_OUTPUT_LIMIT]


def describe_invalid(exc: BaseException | None) -> str:
    """A short, human reason why an answer did not validate (no pydantic URLs, no stack)."""
    if isinstance(exc, ValidationError):
        parts = []
        for error in exc.errors(include_url=False):
            where = ".".join(str(part) for part in error["loc"]) or "answer"
            parts.append(f"{where}: {error['msg'].removeprefix('Value error, ')}")
        return "; ".join(parts)
    if isinstance(exc, json.JSONDecodeError):
        return f"the answer is not valid JSON ({exc.msg} at position {exc.pos})"
    if exc is None:
        return "unknown reason"
    return str(exc) or type(exc).__name__


async def run_instructor(
    provider: LLMProvider,
    client: AsyncInstructor,
    *,
    model: str,
    response_model: type[M],
    validation_retries: int,
    read: Callable[[Any], Reading],
    map_error: Callable[[BaseException], ProviderError | None],
    **create_kwargs: Any,
) -> StructuredResponse[M]:
    """Run one instructor call, turning SDK errors into `ProviderError` and exhausted retries into
    `StructuredOutputError`; both carry the tokens already spent."""
    log = CallLog(provider, model, read)
    started = time.perf_counter()
    try:
        value = await client.create(
            response_model=response_model,
            model=model,
            max_retries=validation_retries,
            strict=False,
            hooks=log.hooks(),
            **create_kwargs,
        )
    except IncompleteOutputException as exc:
        raise StructuredOutputError(
            "the answer was cut off by max_tokens before it was complete; raise max_tokens",
            provider=provider.name,
            model=model,
            calls=max(log.calls, 1),
            usage=log.usage,
            last_output=log.last_output,
        ) from exc
    except InstructorRetryException as exc:
        cause = exc.__cause__
        mapped = map_error(cause) if cause is not None else None
        if mapped is not None:
            mapped.usage = log.usage
            raise mapped from exc
        attempts = exc.n_attempts or log.calls
        raise StructuredOutputError(
            f"the model's answer did not match the required shape after {attempts} attempt"
            f"{'s' if attempts != 1 else ''}: {describe_invalid(cause)}",
            provider=provider.name,
            model=model,
            calls=log.calls,
            usage=log.usage,
            last_output=log.last_output,
        ) from exc
    except Exception as exc:
        mapped = map_error(exc)
        if mapped is None:
            raise
        mapped.usage = log.usage
        raise mapped from exc
    if not isinstance(value, BaseModel):  # pragma: no cover - instructor returns the model it was given
        raise TypeError(f"instructor returned {type(value).__name__}")
    return StructuredResponse(
        value=value,  # type: ignore[arg-type]
        usage=log.usage,
        model=log.answered_by or model,
        provider=provider.name,
        latency_ms=(time.perf_counter() - started) * 1000,
        calls=log.calls,
    )
