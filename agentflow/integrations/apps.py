"""The operator's settings per provider (`Settings.integration_apps`, from AGENTFLOW_INTEGRATION_APPS) merged
with the provider's defaults: which OAuth app to use, and where the provider's API, authorize, token and
revoke endpoints are (self-hosted instances and test servers override them). A connection may bring its own
OAuth app instead (`IntegrationTool.connection_app`: a custom API's authorization-code grant)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from agentflow.config import IntegrationApp, Settings
from agentflow.integrations.base import ConnectionOAuth, IntegrationTool, OAuthApp


@dataclass(frozen=True)
class ProviderApp:
    """One provider as this deployment reaches it."""

    api_base: str
    oauth: OAuthApp | None  # URLs with the operator's overrides applied; None: the provider has no OAuth
    client_id: str | None
    client_secret: str | None = None

    @property
    def oauth_configured(self) -> bool:
        """Whether connecting with OAuth can work here: the operator registered an app and gave its keys."""
        return self.oauth is not None and bool(self.client_id) and bool(self.client_secret)


def provider_app(settings: Settings, tool: IntegrationTool) -> ProviderApp:
    app = settings.integration_apps.get(tool.name) or IntegrationApp()
    oauth = tool.oauth
    if oauth is not None:
        oauth = OAuthApp(
            authorize_url=app.authorize_url or oauth.authorize_url,
            token_url=app.token_url or oauth.token_url,
            revoke_url=app.revoke_url or oauth.revoke_url,
            scopes=tuple(app.scopes) if app.scopes is not None else oauth.scopes,
            pkce=oauth.pkce,
            scope_separator=oauth.scope_separator,
            authorize_params=oauth.authorize_params,
            token_endpoint_auth=oauth.token_endpoint_auth,
        )
    return ProviderApp(
        api_base=(app.api_base or tool.api_base).rstrip("/"),
        oauth=oauth,
        client_id=app.client_id,
        client_secret=app.client_secret.get_secret_value() if app.client_secret else None,
    )


def with_connection_app(app: ProviderApp, own: ConnectionOAuth | None) -> ProviderApp:
    """`app` with the connection's own OAuth endpoints and client in place of the operator's."""
    if own is None:
        return app
    return ProviderApp(
        api_base=app.api_base, oauth=own.oauth, client_id=own.client_id, client_secret=own.client_secret
    )


async def connection_app(
    settings: Settings,
    tool: IntegrationTool,
    config: Mapping[str, Any],
    org_secret: Callable[[str], Awaitable[str | None]],
) -> ProviderApp:
    """The OAuth app one connection uses: its own when its config brings one, else the operator's."""
    return with_connection_app(provider_app(settings, tool), await tool.connection_app(config, org_secret))
