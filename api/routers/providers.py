"""/api/v1/org/providers: the org's LLM provider settings (keys stay in Vault) and a live check."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from agentflow.ai.provider_settings import (
    ProviderCheckOut,
    ProviderSettings,
    ProviderSettingsIn,
    ProviderSettingsOut,
    provider_settings_service,
)
from agentflow.auth.subject import AuthSubject
from agentflow.providers.config import ProviderName
from agentflow.rbac import Permission
from api.deps import Authorize, EgressDep, SecretStoreDep, SessionDep
from api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/org/providers", tags=["ai providers"], responses=ERROR_RESPONSES)

Reader = Annotated[AuthSubject, Depends(Authorize(Permission.secrets_read))]
Writer = Annotated[AuthSubject, Depends(Authorize(Permission.secrets_write))]


def _out(settings: ProviderSettings) -> ProviderSettingsOut:
    return ProviderSettingsOut(
        provider=settings.row.name,  # type: ignore[arg-type]
        base_url=settings.base_url,
        default_model=settings.default_model,
        has_api_key=settings.has_api_key,
        updated_at=settings.row.updated_at,
    )


@router.get("", response_model=list[ProviderSettingsOut])
async def list_providers(
    subject: Reader, session: SessionDep, store: SecretStoreDep
) -> list[ProviderSettingsOut]:
    """Configured providers (editor+); keys are never returned, only whether one is set."""
    return [_out(s) for s in await provider_settings_service.list(session, store, subject=subject)]


@router.post("", response_model=ProviderSettingsOut)
async def put_provider(
    body: ProviderSettingsIn, subject: Writer, session: SessionDep, store: SecretStoreDep
) -> ProviderSettingsOut:
    """Add or replace a provider's settings (admin+): openai, anthropic, google or ollama."""
    return _out(await provider_settings_service.put(session, store, subject=subject, body=body))


@router.delete("/{provider}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_provider(
    provider: ProviderName, subject: Writer, session: SessionDep, store: SecretStoreDep
) -> Response:
    """Remove a provider's settings and key (admin+)."""
    await provider_settings_service.delete(session, store, subject=subject, provider=provider)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{provider}/test", response_model=ProviderCheckOut)
async def test_provider(
    provider: ProviderName, subject: Reader, store: SecretStoreDep, egress: EgressDep
) -> ProviderCheckOut:
    """Make one tiny real call with the stored settings; reports success or the provider's error.

    The call goes through the same egress guard as agents' calls: a private or local base URL is refused
    unless the operator allowlists it."""
    check = await provider_settings_service.test(store, subject=subject, provider=provider, egress=egress)
    return ProviderCheckOut(
        ok=check.ok,
        provider=check.provider,
        model=check.model,
        message=check.message,
        latency_ms=check.latency_ms,
    )
