"""The provider contract: `LLMProvider`, what it returns (responses, stream events, vectors), its errors."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar, Generic, Literal, TypeVar

import httpx
import httpx2
from pydantic import BaseModel

from agentflow.egress import EgressPolicy, EgressRefused, guarded_client, guarded_sdk_client
from agentflow.providers import pricing
from agentflow.providers.config import ProviderConfig, ProviderName

Role = Literal["system", "user", "assistant", "tool"]
ErrorKind = Literal[
    "rate_limit",  # 429
    "server",  # 5xx, 408, 409
    "timeout",
    "connection",
    "auth",  # 401, 403
    "bad_request",  # 400, 422, other 4xx
    "not_found",  # 404: usually an unknown model
    "not_configured",  # no credentials for the provider in this organization
    "unsupported",  # the provider has no such API (Anthropic embeddings)
    "invalid_response",  # the provider answered with something we cannot read
    "refused",  # the egress guard refused the provider's address (private, or one of the stack's own)
]
RETRYABLE_KINDS: frozenset[ErrorKind] = frozenset({"rate_limit", "server", "timeout", "connection"})
DEFAULT_TIMEOUT_SECONDS = 60.0
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A function the model may call: name, description and JSON Schema of its arguments."""

    name: str
    description: str = ""
    parameters: dict[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A call the model asked for; `arguments` is `{}` when the model's JSON did not parse (see raw)."""

    id: str
    name: str
    arguments: dict[str, Any]
    raw_arguments: str = ""
    # What the provider attached to the call and wants back with it in the next request, opaque to us:
    # Gemini's `extra_content` (its thought signature; Gemini 3 refuses a tool turn without it).
    extra_content: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        """As stored in a step's output."""
        return {"id": self.id, "name": self.name, "arguments": self.arguments}


@dataclass(frozen=True, slots=True)
class Message:
    """One chat message; each provider converts a list of them into its own wire format.

    A tool-calling conversation is the same list for every provider (so it survives a fallback): an
    assistant turn carries the `tool_calls` the model asked for, and each result is a `tool` message naming
    the call it answers (`tool_call_id`) and the tool (`name`: Gemini and Ollama match results by name).
    """

    role: Role
    content: str
    tool_calls: tuple[ToolCall, ...] = ()  # an assistant turn that asked for tools (content may be "")
    tool_call_id: str | None = None  # role "tool": the ToolCall.id this answers
    name: str | None = None  # role "tool": the tool's name
    is_error: bool = False  # role "tool": the tool failed; content is the error text


@dataclass(frozen=True, slots=True)
class ResponseFormat:
    """Ask for a JSON answer matching `schema` (the provider's native JSON-schema output)."""

    schema: dict[str, Any]
    name: str = "response"


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens and cost of one or more calls; adding two adds every figure exactly."""

    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: Decimal = Decimal(0)
    cost_known: bool = True  # False when a model had no price (its cost counted as 0)

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cost_usd=self.cost_usd + other.cost_usd,
            cost_known=self.cost_known and other.cost_known,
        )


@dataclass(frozen=True, slots=True)
class LLMResponse:
    """One completed chat call."""

    content: str
    tool_calls: tuple[ToolCall, ...]
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal
    model: str  # the model that answered, as the provider reports it
    provider: ProviderName
    latency_ms: float
    cost_known: bool = True
    finish_reason: str | None = None

    @property
    def usage(self) -> Usage:
        """Tokens and cost of this call."""
        return Usage(self.input_tokens, self.output_tokens, self.cost_usd, self.cost_known)


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A piece of the answer as the provider streams it."""

    text: str


@dataclass(frozen=True, slots=True)
class StreamEnd:
    """The last stream event: the whole answer with usage and cost."""

    response: LLMResponse


StreamEvent = TextDelta | StreamEnd


@dataclass(frozen=True, slots=True)
class EmbeddingResponse:
    """Vectors for the input texts, in order."""

    vectors: list[list[float]]
    input_tokens: int
    cost_usd: Decimal
    model: str
    provider: ProviderName
    latency_ms: float
    cost_known: bool = True


@dataclass(frozen=True, slots=True)
class StructuredResponse(Generic[M]):
    """A validated object plus what it took: every call's tokens and cost, and how many calls."""

    value: M
    usage: Usage
    model: str
    provider: ProviderName
    latency_ms: float
    calls: int  # 1 + the validation retries that were needed


@dataclass(frozen=True, slots=True)
class ProviderAttempt:
    """One provider call the router made for a step, as recorded in `provider_attempts`."""

    provider: ProviderName | str
    model: str
    status: Literal["ok", "error"]
    error: str | None
    latency_ms: float

    def to_json(self) -> dict[str, Any]:
        """`{provider, model, status, error, latency_ms}`."""
        return {
            "provider": self.provider,
            "model": self.model,
            "status": self.status,
            "error": self.error,
            "latency_ms": round(self.latency_ms, 3),
        }


class ProviderError(Exception):
    """A provider call failed. `retryable` errors (rate limit, 5xx, timeout, connection) may fall back."""

    def __init__(
        self,
        message: str,
        *,
        provider: ProviderName,
        kind: ErrorKind,
        status_code: int | None = None,
        model: str | None = None,
        usage: Usage | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message  # the provider's own message where it sent one
        self.provider = provider
        self.kind = kind
        self.status_code = status_code  # the provider's HTTP status, when it answered
        self.model = model
        self.usage = usage or Usage()  # tokens already spent before the failure (validation retries)
        self.attempts: list[ProviderAttempt] = []  # filled by the router: every call it made

    @property
    def retryable(self) -> bool:
        """Rate limits, server errors, timeouts and connection failures; never 400/401/403/404/422."""
        return self.kind in RETRYABLE_KINDS

    def __str__(self) -> str:
        status = f" {self.status_code}" if self.status_code is not None else ""
        return f"{self.provider}{status} ({self.kind}): {self.message}"


class StructuredOutputError(Exception):
    """The model's answer never matched the required shape, after every validation retry."""

    def __init__(
        self,
        message: str,
        *,
        provider: ProviderName,
        model: str,
        calls: int,
        usage: Usage,
        last_output: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.model = model
        self.calls = calls
        self.usage = usage
        self.last_output = last_output  # what the model said last, truncated, for the step record
        self.attempts: list[ProviderAttempt] = []  # filled by the router: every call it made


def refusal(exc: BaseException, provider: ProviderName, model: str | None) -> ProviderError | None:
    """The guard's refusal, raised directly or wrapped by an SDK's connection error; never retried."""
    cause = exc if isinstance(exc, EgressRefused) else exc.__cause__
    if isinstance(cause, EgressRefused):
        return ProviderError(cause.message, provider=provider, kind="refused", model=model)
    return None


def status_kind(status_code: int) -> ErrorKind:
    """How an HTTP status from a provider is classified."""
    if status_code == 429:
        return "rate_limit"
    if status_code >= 500 or status_code in (408, 409):
        return "server"
    if status_code in (401, 403):
        return "auth"
    if status_code == 404:
        return "not_found"
    return "bad_request"


class LLMProvider(ABC):
    """One provider's chat, streaming, embeddings and structured output over its official client.

    Implementations never retry on their own (SDK retries are off): retries and fallback belong to the router
    and the engine. Every failure surfaces as `ProviderError` (or `StructuredOutputError` from `structured`).
    """

    name: ClassVar[ProviderName]

    def __init__(
        self, config: ProviderConfig, *, egress: EgressPolicy, timeout: float = DEFAULT_TIMEOUT_SECONDS
    ) -> None:
        self.config = config
        self.egress = egress
        self.timeout = timeout

    def http_client(self, **options: Any) -> httpx.AsyncClient:
        """The HTTP client a provider talks through: the egress guard checks each connection (a tenant's
        base URL cannot point at the private network), and redirects are not followed."""
        return guarded_client(self.egress, timeout=self.timeout, **options)

    def sdk_http_client(self) -> httpx2.AsyncClient:
        """The same for the OpenAI and Anthropic SDKs, which are built on `httpx2`."""
        return guarded_sdk_client(self.egress, timeout=self.timeout)

    @abstractmethod
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
        """One completion: the answer's text and tool calls, tokens and cost."""

    @abstractmethod
    def stream_chat(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        temperature: float | None = None,
        max_tokens: int | None = None,
        timeout: float | None = None,
    ) -> AsyncIterator[StreamEvent]:
        """The answer as `TextDelta`s, then one `StreamEnd` with the whole response and usage."""

    @abstractmethod
    async def embed(
        self, texts: Sequence[str], *, model: str, timeout: float | None = None
    ) -> EmbeddingResponse:
        """One vector per text."""

    @abstractmethod
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
        """An answer validated against `response_model` (instructor), re-asked `validation_retries` times."""

    @abstractmethod
    async def aclose(self) -> None:
        """Close the underlying HTTP connections."""

    def estimate_cost(self, model: str, input_tokens: int, output_tokens: int) -> pricing.Cost:
        """Cost in USD from the pricing table; unknown models cost 0 with `known=False`."""
        return pricing.cost(model, input_tokens, output_tokens)

    def price_call(
        self, requested: str, answered: str | None, input_tokens: int, output_tokens: int
    ) -> pricing.Cost:
        """Price by the model that answered when it is in the table, else by the requested name."""
        if answered and answered != requested:
            by_answer = self.estimate_cost(answered, input_tokens, output_tokens)
            if by_answer.known:
                return by_answer
        return self.estimate_cost(requested, input_tokens, output_tokens)

    def priced_response(
        self,
        *,
        requested: str,
        answered: str | None,
        content: str,
        tool_calls: tuple[ToolCall, ...],
        input_tokens: int,
        output_tokens: int,
        latency_ms: float,
        finish_reason: str | None,
    ) -> LLMResponse:
        """A completed call, priced with `price_call` and named by the model that answered (if it said)."""
        cost = self.price_call(requested, answered, input_tokens, output_tokens)
        return LLMResponse(
            content=content,
            tool_calls=tool_calls,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cost_usd=cost.usd,
            cost_known=cost.known,
            model=answered or requested,
            provider=self.name,
            latency_ms=latency_ms,
            finish_reason=finish_reason,
        )

    def error(
        self, message: str, kind: ErrorKind, *, status_code: int | None = None, model: str | None = None
    ) -> ProviderError:
        """A `ProviderError` from this provider."""
        return ProviderError(message, provider=self.name, kind=kind, status_code=status_code, model=model)


def effective_timeout(default: float, requested: float | None) -> float:
    """The per-call timeout: the caller's (a remaining budget) when given and shorter."""
    if requested is None:
        return default
    return max(min(default, requested), 0.001)


def message_from_body(body: object, *, fallback: str) -> str:
    """The provider's own error message from an error body of any of the known shapes.

    OpenAI `{"error": {"message"}}` (the SDKs hand over the inner object), Anthropic
    `{"type": "error", "error": {"type", "message"}}`, Gemini's OpenAI endpoint `[{"error": {...}}]`,
    Ollama `{"error": "..."}`.
    """
    for _ in range(4):
        if isinstance(body, list) and body:
            body = body[0]
        elif isinstance(body, dict):
            inner = body.get("error")
            if isinstance(inner, str) and inner:
                return inner
            if isinstance(inner, dict | list):
                body = inner
                continue
            message = body.get("message")
            if isinstance(message, str) and message:
                return message
            break
        elif isinstance(body, str) and body:
            return body
        else:
            break
    return fallback
