"""How the engine reaches providers: org keys from Vault, routing choices from org settings, one router."""

from __future__ import annotations

import time
import uuid
from typing import Any

from sqlalchemy import text

from agentflow.egress import EgressPolicy
from agentflow.kit.fastread import FastReader, compile_query
from agentflow.providers.config import PROVIDER_NAMES, ProviderConfig, ProviderName, is_provider_name
from agentflow.providers.router import Router
from agentflow.providers.routing import RoutingPolicy
from agentflow.secrets.paths import SecretKind, SecretRef
from agentflow.secrets.store import SecretStore

# Org settings key for routing: {"default_provider": "openai", "default_model": "gpt-4o-mini",
# "fallback_models": ["claude-haiku-4-5"], "routes": {"my-*": "ollama"}} (set with PUT /api/v1/org).
SETTINGS_KEY = "ai"
_POLICY_SECONDS = 10.0
_SETTINGS = compile_query(text("SELECT settings FROM organizations WHERE id = :org_id"))


def provider_ref(org_id: uuid.UUID, provider: ProviderName) -> SecretRef:
    """Where an org's settings for one provider live in Vault (key, base URL, default model)."""
    return SecretRef(org_id=org_id, kind=SecretKind.provider, name=provider)


def config_from_secret(provider: ProviderName, data: dict[str, str]) -> ProviderConfig:
    return ProviderConfig(
        provider=provider,
        api_key=data.get("api_key") or None,
        base_url=data.get("base_url") or None,
        default_model=data.get("default_model") or None,
    )


class VaultCredentials:
    """`CredentialSource` on the secret store (its short read cache keeps lookups off Vault per call)."""

    def __init__(self, store: SecretStore) -> None:
        self.store = store

    async def provider_config(self, org_id: uuid.UUID, provider: ProviderName) -> ProviderConfig | None:
        data = await self.store.read(provider_ref(org_id, provider))
        return None if data is None else config_from_secret(provider, data)


class OrgSettingsPolicies:
    """`RoutingPolicySource` from the org's settings (`settings.ai`), cached briefly per process."""

    def __init__(self, db: FastReader) -> None:
        self.db = db
        self._cache: dict[uuid.UUID, tuple[float, RoutingPolicy]] = {}

    async def routing_policy(self, org_id: uuid.UUID) -> RoutingPolicy:
        cached = self._cache.get(org_id)
        if cached is not None and time.monotonic() - cached[0] < _POLICY_SECONDS:
            return cached[1]
        row = await self.db.fetchrow(_SETTINGS, org_id=org_id)
        policy = policy_from_settings((row["settings"] if row else None) or {})
        self._cache[org_id] = (time.monotonic(), policy)
        return policy


def policy_from_settings(settings: dict[str, Any]) -> RoutingPolicy:
    """Unknown providers in the settings are ignored rather than failing every AI step of the org."""
    ai = settings.get(SETTINGS_KEY) or {}
    default_provider = ai.get("default_provider")
    routes = {
        str(pattern): provider
        for pattern, provider in (ai.get("routes") or {}).items()
        if isinstance(provider, str) and is_provider_name(provider)
    }
    return RoutingPolicy(
        routes=routes,  # type: ignore[arg-type]
        default_provider=default_provider if default_provider in PROVIDER_NAMES else "ollama",
        default_model=ai.get("default_model") or None,
        fallback_models=tuple(
            str(name) for name in (ai.get("fallback_models") or []) if isinstance(name, str) and name
        ),
    )


_router: Router | None = None


def process_router(db: FastReader) -> Router:
    """The worker's router: one per process, it caches provider clients across steps."""
    global _router
    if _router is None:
        from agentflow.config import get_settings

        settings = get_settings()
        store = SecretStore.from_settings(settings)
        _router = Router(
            VaultCredentials(store),
            egress=EgressPolicy.from_settings(settings),
            policies=OrgSettingsPolicies(db),
        )
    return _router
