"""Org provider settings (`/api/v1/org/providers`): keys in Vault, a metadata row here, never a key back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import Field, SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.ai.wiring import config_from_secret, provider_ref
from agentflow.auth.subject import AuthSubject
from agentflow.egress import EgressPolicy
from agentflow.errors import NotFound
from agentflow.kit.schemas import InputSchema, Schema, examples
from agentflow.models import OrgSecret
from agentflow.providers.check import ProviderCheck, check_provider
from agentflow.providers.config import ProviderName
from agentflow.secrets.paths import SecretKind
from agentflow.secrets.repository import SecretRepository
from agentflow.secrets.store import SecretStore


class ProviderSettingsIn(InputSchema):
    model_config = examples(
        {"provider": "openai", "api_key": "sk-…", "default_model": "gpt-4o-mini"},
        {"provider": "ollama", "base_url": "http://127.0.0.1:11434", "default_model": "llama3.1"},
    )

    provider: ProviderName
    api_key: SecretStr | None = Field(
        default=None,
        max_length=1000,
        description="Kept in Vault; never returned. Omitted or null: the current key is kept (so a base URL "
        "or model can change without typing the key again); an empty string removes it.",
    )
    base_url: str | None = Field(
        default=None,
        max_length=500,
        description="For OpenAI-compatible servers (vLLM, LM Studio, Azure), Ollama.",
    )
    default_model: str | None = Field(default=None, max_length=200)


class ProviderSettingsOut(Schema):
    provider: ProviderName
    base_url: str | None
    default_model: str | None
    has_api_key: bool
    updated_at: datetime


class ProviderCheckOut(Schema):
    ok: bool
    provider: str
    model: str | None
    message: str = Field(description="`ok`, or the provider's own error message.")
    latency_ms: float | None


@dataclass(frozen=True)
class ProviderSettings:
    row: OrgSecret
    base_url: str | None
    default_model: str | None
    has_api_key: bool


class ProviderSettingsService:
    async def list(
        self, session: AsyncSession, store: SecretStore, *, subject: AuthSubject
    ) -> list[ProviderSettings]:
        """Configured providers with their non-secret settings (the key is only reported as present)."""
        rows = await SecretRepository(session).all_of_kind(subject.org_id, SecretKind.provider)
        found = []
        for row in rows:
            data = await store.read(provider_ref(subject.org_id, row.name)) or {}  # type: ignore[arg-type]
            found.append(
                ProviderSettings(
                    row,
                    data.get("base_url") or None,
                    data.get("default_model") or None,
                    bool(data.get("api_key")),
                )
            )
        return found

    async def put(
        self, session: AsyncSession, store: SecretStore, *, subject: AuthSubject, body: ProviderSettingsIn
    ) -> ProviderSettings:
        """Add or replace one provider's settings (Vault last: if it is down, nothing is kept)."""
        repo = SecretRepository(session)
        ref = provider_ref(subject.org_id, body.provider)
        row = await repo.get_by_name(subject.org_id, SecretKind.provider, body.provider, for_update=True)
        if row is None:
            row = await repo.insert_if_absent(
                {
                    "org_id": subject.org_id,
                    "kind": SecretKind.provider.value,
                    "name": body.provider,
                    "description": f"{body.provider} provider settings",
                    "vault_path": store.path(ref),
                    "version": 0,
                    "created_by": subject.user_id,
                    "updated_by": subject.user_id,
                }
            ) or await repo.get_by_name(subject.org_id, SecretKind.provider, body.provider, for_update=True)
        assert row is not None
        data = {"base_url": body.base_url or "", "default_model": body.default_model or ""}
        if body.api_key is not None:
            data["api_key"] = body.api_key.get_secret_value()
        else:  # keep the stored key: the form that edits a URL or a model never sees it
            kept = (await store.read(ref) or {}).get("api_key")
            if kept:
                data["api_key"] = kept
        row.version = await store.write(ref, data)
        row.updated_by = subject.user_id
        await session.flush()
        return ProviderSettings(row, body.base_url, body.default_model, bool(data.get("api_key")))

    async def delete(
        self, session: AsyncSession, store: SecretStore, *, subject: AuthSubject, provider: ProviderName
    ) -> None:
        """Remove a provider's settings; AI nodes routed to it fail until it is configured again."""
        repo = SecretRepository(session)
        row = await repo.get_by_name(subject.org_id, SecretKind.provider, provider, for_update=True)
        if row is None:
            raise NotFound(f"Provider {provider} is not configured", code="provider_not_configured")
        await repo.delete(row)
        await store.delete(provider_ref(subject.org_id, provider))

    async def test(
        self, store: SecretStore, *, subject: AuthSubject, provider: ProviderName, egress: EgressPolicy
    ) -> ProviderCheck:
        """One tiny real call with the stored settings; the provider's own error message when it fails."""
        data = await store.read(provider_ref(subject.org_id, provider))
        if data is None:
            raise NotFound(f"Provider {provider} is not configured", code="provider_not_configured")
        return await check_provider(config_from_secret(provider, data), egress=egress)


provider_settings_service = ProviderSettingsService()
