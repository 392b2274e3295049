"""Model name → provider: the maintained table, per-organization policies and `route_model` (pure, no I/O).

In order: an explicit `provider/` prefix (`ollama/llama3.1`, `openai/my-vllm-model`); the organization's own
patterns (`RoutingPolicy.routes`); the maintained table `MODEL_ROUTES`; else the organization's default
provider (Ollama unless it chose another).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Protocol

from agentflow.providers.config import PROVIDER_NAMES, ProviderName

# The maintained table: glob pattern on the model name → provider. First match wins.
MODEL_ROUTES: tuple[tuple[str, ProviderName], ...] = (
    ("gpt-*", "openai"),
    ("chatgpt-*", "openai"),
    ("o[0-9]*", "openai"),  # o1, o3, o3-mini, o4-mini (not every name starting with "o": orca-mini is local)
    ("text-embedding-3-*", "openai"),
    ("text-embedding-ada-*", "openai"),
    ("claude-*", "anthropic"),
    ("gemini-*", "google"),
    ("models/gemini-*", "google"),
    ("text-embedding-004", "google"),
)


@dataclass(frozen=True, slots=True)
class RoutingPolicy:
    """One organization's routing choices."""

    routes: Mapping[str, ProviderName] = field(default_factory=dict)  # its patterns, checked before the table
    default_provider: ProviderName = "ollama"  # where names no pattern knows go
    default_model: str | None = None  # for nodes that name no model; else the default provider's
    fallback_models: tuple[str, ...] = ()  # for nodes that list no fallback models of their own


class RoutingPolicySource(Protocol):
    """Looks up an organization's routing policy (stored with its provider settings)."""

    async def routing_policy(self, org_id: uuid.UUID) -> RoutingPolicy:
        """The organization's policy; `RoutingPolicy()` when it set none."""
        ...


class StaticPolicies:
    """A `RoutingPolicySource` from a dict, with one default for every other organization."""

    def __init__(
        self,
        policies: Mapping[uuid.UUID, RoutingPolicy] | None = None,
        *,
        default: RoutingPolicy | None = None,
    ) -> None:
        self._policies = dict(policies or {})
        self._default = default or RoutingPolicy()

    def set(self, org_id: uuid.UUID, policy: RoutingPolicy) -> None:
        """Replace the organization's policy."""
        self._policies[org_id] = policy

    async def routing_policy(self, org_id: uuid.UUID) -> RoutingPolicy:
        return self._policies.get(org_id, self._default)


@dataclass(frozen=True, slots=True)
class Route:
    """Where a model name goes: the provider and the model name that provider knows."""

    provider: ProviderName
    model: str
    requested: str


def route_model(
    model: str, policy: RoutingPolicy, table: Sequence[tuple[str, ProviderName]] = MODEL_ROUTES
) -> Route:
    """The provider for a model name under a policy (pure; no credentials involved)."""
    prefix, slash, rest = model.partition("/")
    if slash and rest and prefix in PROVIDER_NAMES:
        return Route(provider=prefix, model=rest, requested=model)  # type: ignore[arg-type]
    for pattern, provider in (*policy.routes.items(), *table):
        if fnmatchcase(model, pattern):
            return Route(provider=provider, model=model, requested=model)
    return Route(provider=policy.default_provider, model=model, requested=model)
