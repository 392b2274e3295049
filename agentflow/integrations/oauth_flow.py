"""The OAuth 2 authorization-code flow of a connect: the state row and authorize URL, then the callback's
code exchange into a connection whose tokens are in Vault.

The app is the operator's for the provider, or the connection's own (`IntegrationTool.connection_app`: a
custom API's authorize and token URLs, with the client secret read from an org secret); the state row keeps
the connection's config, so the callback exchanges the code with the same app.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.auth.subject import AuthSubject
from agentflow.config import Settings
from agentflow.egress import EgressPolicy
from agentflow.errors import Conflict
from agentflow.integrations import credentials, registry
from agentflow.integrations.apps import ProviderApp, connection_app
from agentflow.integrations.base import IntegrationTool
from agentflow.integrations.oauth import OAuthClient, OAuthFailed, new_code_verifier, new_state, state_hash
from agentflow.integrations.repository import ConnectionRepository, OAuthStateRepository
from agentflow.integrations.runner import expiry_of
from agentflow.kit.models import utcnow
from agentflow.models import ConnectionStatus, IntegrationConnection, IntegrationOAuthState
from agentflow.secrets.paths import SecretKind, SecretRef, valid_name
from agentflow.secrets.store import SecretStore

logger = logging.getLogger("agentflow.integrations")

STATE_TTL = timedelta(minutes=10)
CALLBACK_PATH = "/api/v1/integrations/oauth/callback"
DEFAULT_RETURN = "/integrations"


@dataclass(frozen=True)
class Services:
    """What connecting and testing reach: Vault, the egress policy and its guarded client, the settings."""

    store: SecretStore
    settings: Settings
    policy: EgressPolicy
    http: httpx.AsyncClient


def redirect_uri(settings: Settings) -> str:
    """The callback URL the operator registers with each provider's OAuth app."""
    return settings.public_url.rstrip("/") + CALLBACK_PATH


def org_secret_reader(store: SecretStore, org_id: uuid.UUID) -> Callable[[str], Awaitable[str | None]]:
    """An org secret's value by name (None for a name that cannot be one, or is not set)."""

    async def org_secret(name: str) -> str | None:
        if not valid_name(SecretKind.env, name):
            return None
        return await store.read_value(SecretRef(org_id, SecretKind.env, name))

    return org_secret


async def app_of(
    services: Services, tool: IntegrationTool, org_id: uuid.UUID, config: Mapping[str, Any]
) -> ProviderApp:
    return await connection_app(services.settings, tool, config, org_secret_reader(services.store, org_id))


def not_configured(tool: IntegrationTool, *, own: bool) -> Conflict:
    if own:
        return Conflict(
            f"{tool.label}: the org secret holding the OAuth client secret is not set",
            code="oauth_not_configured",
        )
    return Conflict(
        f"{tool.label} OAuth is not configured on this server: the operator sets its client id and "
        "secret (see the integrations guide)",
        code="oauth_not_configured",
    )


async def start(
    session: AsyncSession,
    services: Services,
    *,
    subject: AuthSubject,
    tool: IntegrationTool,
    app: ProviderApp,
    name: str,
    connection_id: uuid.UUID | None,
    config: dict[str, Any],
    redirect_to: str | None,
) -> str:
    """A fresh single-use state (only its hash is kept) and the URL to send the browser to."""
    state, hashed = new_state()
    verifier = new_code_verifier() if app.oauth is not None and app.oauth.pkce else None
    now = utcnow()
    await OAuthStateRepository(session).add(
        IntegrationOAuthState(
            state_hash=hashed,
            org_id=subject.org_id,
            user_id=subject.user_id,
            provider=tool.name,
            connection_name=name,
            connection_id=connection_id,
            code_verifier=verifier,
            config=config,
            redirect_to=redirect_to or DEFAULT_RETURN,
            created_at=now,
            expires_at=now + STATE_TTL,
        )
    )
    return OAuthClient(app, services.policy).authorize_url(
        redirect_uri=redirect_uri(services.settings), state=state, code_verifier=verifier
    )


async def abandon(session: AsyncSession, *, state: str) -> str:
    """A declined authorization: its state is consumed; the UI path to return to."""
    pending = await OAuthStateRepository(session).consume(state_hash(state)) if state else None
    return pending.redirect_to if pending is not None else DEFAULT_RETURN


@dataclass(frozen=True)
class Finished:
    back: str  # the UI path to return to
    row: IntegrationConnection | None = None
    tool: IntegrationTool | None = None
    error: str | None = None


async def finish(session: AsyncSession, services: Services, *, code: str, state: str) -> Finished:
    """The code exchanged and the connection made (or updated, on a reconnect). The state is the
    credential: it names the org, user and provider, works once, and only within ten minutes."""
    pending = await OAuthStateRepository(session).consume(state_hash(state))
    if pending is None:
        return Finished(DEFAULT_RETURN, error="invalid_state")
    back = pending.redirect_to
    if pending.expires_at <= utcnow():
        return Finished(back, error="expired_state")
    tool = registry.get(pending.provider)
    app = await app_of(services, tool, pending.org_id, pending.config) if tool is not None else None
    if tool is None or app is None or not app.oauth_configured:
        return Finished(back, error="oauth_not_configured")
    try:
        token = await OAuthClient(app, services.policy).exchange(
            code=code, redirect_uri=redirect_uri(services.settings), code_verifier=pending.code_verifier
        )
    except OAuthFailed as exc:
        logger.info("OAuth code exchange for %s refused: %s", pending.provider, exc)
        return Finished(back, error="exchange_failed")
    data = credentials.from_token_response(token)
    repo = ConnectionRepository(session)
    row = await repo.get_for_update(pending.org_id, pending.connection_id) if pending.connection_id else None
    granted = token.get("scope")
    scopes = (
        [s for s in str(granted).replace(",", " ").split() if s]
        if granted
        else list(app.oauth.scopes if app.oauth else ())
    )
    config = {**pending.config, **tool.connection_config(token)}
    if row is None:
        if await repo.named(pending.org_id, tool.name, pending.connection_name) is not None:
            return Finished(back, error="name_taken")
        row = IntegrationConnection(
            id=uuid.uuid4(),
            org_id=pending.org_id,
            provider=tool.name,
            name=pending.connection_name,
            auth_kind="oauth2",
            connected_by=pending.user_id,
        )
    # The provider calls back with a GET, whose session commits each statement by itself: the tokens
    # go to Vault before the row that names them, so a Vault failure leaves no connection without them.
    await credentials.write(services.store, pending.org_id, row.id, data)
    row.config, row.scopes, row.connected_by, row.connected_at = config, scopes, pending.user_id, utcnow()
    row.status, row.last_error = ConnectionStatus.active.value, None
    row.token_expires_at = expiry_of(data)
    if row not in session:
        session.add(row)
    await session.flush()
    return Finished(back, row=row, tool=tool)
