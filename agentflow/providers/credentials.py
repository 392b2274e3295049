"""Where the router gets each organization's provider settings: the `CredentialSource` protocol.

The secrets store implements it on Vault (the key lives there, never in Postgres or Prefect); tests and
single-tenant setups use `InMemoryCredentials`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from agentflow.providers.config import ProviderConfig, ProviderName


@runtime_checkable
class CredentialSource(Protocol):
    """Looks up one organization's settings for one provider."""

    async def provider_config(self, org_id: uuid.UUID, provider: ProviderName) -> ProviderConfig | None:
        """The organization's settings for `provider`, or None when it has not configured it."""
        ...


class InMemoryCredentials:
    """A `CredentialSource` held in a dict: `{org_id: {provider: ProviderConfig}}`."""

    def __init__(self, configs: dict[uuid.UUID, Iterable[ProviderConfig]] | None = None) -> None:
        self._configs: dict[uuid.UUID, dict[ProviderName, ProviderConfig]] = {}
        for org_id, org_configs in (configs or {}).items():
            for config in org_configs:
                self.set(org_id, config)

    def set(self, org_id: uuid.UUID, config: ProviderConfig) -> None:
        """Add or replace the organization's settings for `config.provider`."""
        self._configs.setdefault(org_id, {})[config.provider] = config

    def remove(self, org_id: uuid.UUID, provider: ProviderName) -> None:
        """Forget the organization's settings for `provider`."""
        self._configs.get(org_id, {}).pop(provider, None)

    async def provider_config(self, org_id: uuid.UUID, provider: ProviderName) -> ProviderConfig | None:
        return self._configs.get(org_id, {}).get(provider)
