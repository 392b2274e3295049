"""The router: one cached client per provider settings, the fallback chain, and what every call cost.

Where a model name goes is `routing.route_model`; a node without a model uses the organization's default
model. When a call fails with a retryable `ProviderError` (rate limit, 5xx, timeout, connection), the
next model of the chain (the node's, else the agent's) is tried; any other failure ends the chain at once.
Every call is recorded as a `ProviderAttempt`, on the result or on the raised error.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from agentflow.egress import EgressPolicy
from agentflow.providers.base import (
    DEFAULT_TIMEOUT_SECONDS,
    EmbeddingResponse,
    LLMProvider,
    LLMResponse,
    M,
    Message,
    ProviderAttempt,
    ProviderError,
    ResponseFormat,
    StreamEnd,
    StreamEvent,
    StructuredOutputError,
    StructuredResponse,
    ToolSpec,
    Usage,
)
from agentflow.providers.config import ProviderConfig, ProviderName
from agentflow.providers.credentials import CredentialSource
from agentflow.providers.registry import create_provider
from agentflow.providers.routing import (
    MODEL_ROUTES,
    Route,
    RoutingPolicy,
    RoutingPolicySource,
    StaticPolicies,
    route_model,
)

__all__ = [
    "MODEL_ROUTES",
    "Route",
    "Routed",
    "RoutedStream",
    "Router",
    "RoutingPolicy",
    "RoutingPolicySource",
    "StaticPolicies",
    "route_model",
]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Routed(Generic[T]):
    """A result with every call made for it and the tokens of all of them (failed validation calls too)."""

    result: T
    attempts: list[ProviderAttempt]
    usage: Usage


class Router:
    """Routes calls to the organization's providers, with fallback, attempts and usage; caches clients."""

    def __init__(
        self,
        credentials: CredentialSource,
        *,
        egress: EgressPolicy,
        policies: RoutingPolicySource | None = None,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        table: Sequence[tuple[str, ProviderName]] = MODEL_ROUTES,
        max_clients: int = 512,
    ) -> None:
        self.credentials = credentials
        self.egress = egress
        self.policies: RoutingPolicySource = policies or StaticPolicies()
        self.timeout_seconds = timeout_seconds
        self.table = tuple(table)
        self._clients: OrderedDict[ProviderConfig, LLMProvider] = OrderedDict()
        self._max_clients = max_clients

    async def resolve(self, org_id: uuid.UUID, model: str | None) -> Route:
        """Where `model` (or the organization's default model) goes."""
        policy = await self.policies.routing_policy(org_id)
        if model is None:
            model = policy.default_model
            if model is None:
                config = await self.credentials.provider_config(org_id, policy.default_provider)
                model = config.default_model if config else None
            if model is None:
                raise ProviderError(
                    "the node names no model and the organization has no default model; set one "
                    "under Settings → AI providers",
                    provider=policy.default_provider,
                    kind="not_configured",
                )
        return route_model(model, policy, self.table)

    async def provider(self, org_id: uuid.UUID, provider: ProviderName) -> LLMProvider:
        """The organization's client for `provider`; ProviderError(not_configured) when it has no settings."""
        config = await self.credentials.provider_config(org_id, provider)
        if config is None:
            raise ProviderError(
                f"the organization has no {provider} settings; add them under Settings → AI providers",
                provider=provider,
                kind="not_configured",
            )
        return self.client_for(config)

    def client_for(self, config: ProviderConfig) -> LLMProvider:
        """One client per distinct settings: connection pools are reused, a rotated key gets a new client."""
        client = self._clients.get(config)
        if client is not None:
            self._clients.move_to_end(config)
            return client
        client = create_provider(config, egress=self.egress, timeout=self.timeout_seconds)
        self._clients[config] = client
        if len(self._clients) > self._max_clients:
            # Not closed here: a call may still be using it; its connections close when it is collected.
            self._clients.popitem(last=False)
        return client

    async def aclose(self) -> None:
        """Close every cached client."""
        clients, self._clients = list(self._clients.values()), OrderedDict()
        for client in clients:
            await client.aclose()

    async def _chain(
        self, org_id: uuid.UUID, model: str | None, fallback_models: Sequence[str]
    ) -> list[Route]:
        primary = await self.resolve(org_id, model)
        chain = [primary]
        seen = {(primary.provider, primary.model)}
        # A node's own chain wins; else the organization's (Settings → AI providers).
        if not fallback_models:
            fallback_models = (await self.policies.routing_policy(org_id)).fallback_models
        for name in fallback_models:
            route = await self.resolve(org_id, name)
            if (route.provider, route.model) not in seen:
                seen.add((route.provider, route.model))
                chain.append(route)
        return chain

    async def _run(
        self,
        org_id: uuid.UUID,
        model: str | None,
        fallback_models: Sequence[str],
        deadline: float | None,
        call: Callable[[LLMProvider, str, float | None], Awaitable[T]],
        usage_of: Callable[[T], Usage],
    ) -> Routed[T]:
        attempts: list[ProviderAttempt] = []
        spent = Usage()
        last_error: ProviderError | None = None
        for position, route in enumerate(await self._chain(org_id, model, fallback_models)):
            started = time.perf_counter()
            try:
                provider = await self.provider(org_id, route.provider)
                started = time.perf_counter()
                result = await call(provider, route.model, _remaining(deadline, route))
            except ProviderError as exc:
                attempts.append(_failed(route, exc, started))
                spent += exc.usage
                if exc.kind == "not_configured" and position > 0:
                    continue  # an unconfigured fallback is skipped, not fatal
                if not exc.retryable:
                    _with(exc, attempts, spent)
                    raise
                last_error = exc
                continue
            except StructuredOutputError as exc:
                attempts.append(_failed(route, exc, started))
                spent += exc.usage
                _with(exc, attempts, spent)
                raise
            attempts.append(
                ProviderAttempt(
                    route.provider, route.model, "ok", None, (time.perf_counter() - started) * 1000
                )
            )
            return Routed(result=result, attempts=attempts, usage=spent + usage_of(result))
        assert last_error is not None
        raise _with(last_error, attempts, spent)

    async def chat(
        self,
        org_id: uuid.UUID,
        messages: Sequence[Message],
        *,
        model: str | None,
        fallback_models: Sequence[str] = (),
        temperature: float | None = None,
        max_tokens: int | None = None,
        tools: Sequence[ToolSpec] = (),
        response_format: ResponseFormat | None = None,
        deadline: float | None = None,
    ) -> Routed[LLMResponse]:
        """One completion from the first model of the chain that answers."""

        async def call(provider: LLMProvider, name: str, timeout: float | None) -> LLMResponse:
            return await provider.chat(
                messages,
                model=name,
                temperature=temperature,
                max_tokens=max_tokens,
                tools=tools,
                response_format=response_format,
                timeout=timeout,
            )

        return await self._run(
            org_id, model, fallback_models, deadline, call, lambda response: response.usage
        )

    async def structured(
        self,
        org_id: uuid.UUID,
        messages: Sequence[Message],
        *,
        model: str | None,
        response_model: type[M],
        validation_retries: int = 2,
        fallback_models: Sequence[str] = (),
        temperature: float | None = None,
        max_tokens: int | None = None,
        deadline: float | None = None,
    ) -> Routed[StructuredResponse[M]]:
        """A validated object; an answer that never validates is a `StructuredOutputError` (no fallback)."""

        async def call(provider: LLMProvider, name: str, timeout: float | None) -> StructuredResponse[M]:
            return await provider.structured(
                messages,
                model=name,
                response_model=response_model,
                validation_retries=validation_retries,
                temperature=temperature,
                max_tokens=max_tokens,
                timeout=timeout,
            )

        return await self._run(
            org_id, model, fallback_models, deadline, call, lambda response: response.usage
        )

    def stream_chat(
        self,
        org_id: uuid.UUID,
        messages: Sequence[Message],
        *,
        model: str | None,
        fallback_models: Sequence[str] = (),
        temperature: float | None = None,
        max_tokens: int | None = None,
        deadline: float | None = None,
    ) -> RoutedStream:
        """Stream the answer; falls back only while nothing has been streamed yet."""
        return RoutedStream(self, org_id, messages, model, fallback_models, temperature, max_tokens, deadline)

    async def embed(
        self, org_id: uuid.UUID, texts: Sequence[str], *, model: str | None, deadline: float | None = None
    ) -> EmbeddingResponse:
        """Vectors from exactly this model: no fallback, since another model's vectors would not compare."""
        route = await self.resolve(org_id, model)
        provider = await self.provider(org_id, route.provider)
        return await provider.embed(texts, model=route.model, timeout=_remaining(deadline, route))


class RoutedStream:
    """An async iterable of `TextDelta`s and one `StreamEnd`; `attempts` and `usage` are set as it goes."""

    def __init__(
        self,
        router: Router,
        org_id: uuid.UUID,
        messages: Sequence[Message],
        model: str | None,
        fallback_models: Sequence[str],
        temperature: float | None,
        max_tokens: int | None,
        deadline: float | None,
    ) -> None:
        self._router = router
        self._org_id = org_id
        self._messages = messages
        self._model = model
        self._fallback_models = fallback_models
        self._temperature = temperature
        self._max_tokens = max_tokens
        self._deadline = deadline
        self.attempts: list[ProviderAttempt] = []
        self.usage = Usage()

    def __aiter__(self) -> AsyncIterator[StreamEvent]:
        return self._events()

    async def _events(self) -> AsyncIterator[StreamEvent]:
        router = self._router
        last_error: ProviderError | None = None
        chain = await router._chain(self._org_id, self._model, self._fallback_models)
        for position, route in enumerate(chain):
            started = time.perf_counter()
            streamed = False
            try:
                provider = await router.provider(self._org_id, route.provider)
                started = time.perf_counter()
                async for event in provider.stream_chat(
                    self._messages,
                    model=route.model,
                    temperature=self._temperature,
                    max_tokens=self._max_tokens,
                    timeout=_remaining(self._deadline, route),
                ):
                    if isinstance(event, StreamEnd):
                        self.usage += event.response.usage
                        self.attempts.append(
                            ProviderAttempt(
                                route.provider,
                                route.model,
                                "ok",
                                None,
                                (time.perf_counter() - started) * 1000,
                            )
                        )
                    streamed = True
                    yield event
                return
            except ProviderError as exc:
                self.attempts.append(_failed(route, exc, started))
                if exc.kind == "not_configured" and position > 0:
                    continue  # an unconfigured fallback is skipped, not fatal
                if streamed or not exc.retryable:
                    _with(exc, self.attempts, self.usage)
                    raise
                last_error = exc
        assert last_error is not None
        raise _with(last_error, self.attempts, self.usage)


def _remaining(deadline: float | None, route: Route) -> float | None:
    if deadline is None:
        return None
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise ProviderError(
            "the node's time budget ran out before the call",
            provider=route.provider,
            kind="timeout",
            model=route.model,
        )
    return remaining


def _failed(route: Route, exc: ProviderError | StructuredOutputError, started: float) -> ProviderAttempt:
    return ProviderAttempt(
        route.provider, route.model, "error", str(exc), (time.perf_counter() - started) * 1000
    )


E = TypeVar("E", ProviderError, StructuredOutputError)


def _with(exc: E, attempts: list[ProviderAttempt], usage: Usage) -> E:
    exc.attempts = list(attempts)
    exc.usage = usage
    return exc
