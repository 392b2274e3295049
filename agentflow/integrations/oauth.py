"""OAuth 2 authorization code with PKCE S256, code exchange, refresh and revocation, with authlib.

authlib's client is an httpx2 client; every request it makes is handed to an egress-guarded httpx2 client
(`guarded_sdk_client`) through `_ViaGuarded`, so a token URL pointing inward is refused like any other call.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from typing import Any

import httpx2
from authlib.integrations.base_client import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client

from agentflow.egress import EgressPolicy, EgressRefused, guarded_sdk_client
from agentflow.integrations.apps import ProviderApp

TIMEOUT_SECONDS = 20.0


class OAuthFailed(Exception):
    """The provider refused (`refused`: the grant is no good, reconnect) or could not be reached."""

    def __init__(self, message: str, *, refused: bool) -> None:
        super().__init__(message)
        self.refused = refused


class _ViaGuarded(httpx2.AsyncBaseTransport):
    """A transport that sends through another (guarded) client; closing it leaves that client open."""

    def __init__(self, client: httpx2.AsyncClient) -> None:
        self.client = client

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        response = await self.client.send(request, stream=True)
        return httpx2.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=response.stream,
            extensions=response.extensions,
        )


def new_state() -> tuple[str, str]:
    """A fresh `state` (32 random bytes, URL-safe) and the hash that is stored instead of it."""
    state = secrets.token_urlsafe(32)
    return state, state_hash(state)


def state_hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def new_code_verifier() -> str:
    """A PKCE verifier: 64 URL-safe characters (RFC 7636 allows 43 to 128)."""
    return secrets.token_urlsafe(48)


class OAuthClient:
    """The OAuth operations of one provider app, through the egress guard."""

    def __init__(self, app: ProviderApp, policy: EgressPolicy) -> None:
        if app.oauth is None or not app.oauth_configured:
            raise ValueError("the provider's OAuth app is not configured")
        self.app = app
        self.oauth = app.oauth
        self.policy = policy

    def _client(self, guarded: httpx2.AsyncClient | None, **kwargs: Any) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=self.app.client_id,
            client_secret=self.app.client_secret,
            token_endpoint_auth_method=self.oauth.token_endpoint_auth,
            code_challenge_method="S256" if self.oauth.pkce else None,
            transport=_ViaGuarded(guarded) if guarded is not None else None,
            timeout=TIMEOUT_SECONDS,
            trust_env=False,
            **kwargs,
        )

    def authorize_url(self, *, redirect_uri: str, state: str, code_verifier: str | None) -> str:
        """Where the browser goes to grant access (no request is made here)."""
        client = self._client(
            None, redirect_uri=redirect_uri, scope=self.oauth.scope_separator.join(self.oauth.scopes) or None
        )
        url, _ = client.create_authorization_url(
            self.oauth.authorize_url,
            state=state,
            code_verifier=code_verifier if self.oauth.pkce else None,
            **dict(self.oauth.authorize_params),
        )
        return str(url)

    async def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        async with guarded_sdk_client(self.policy, timeout=TIMEOUT_SECONDS, max_connections=4) as guarded:
            client = self._client(guarded, redirect_uri=kwargs.pop("redirect_uri", None))
            try:
                async with client:
                    if operation == "exchange":
                        token = await client.fetch_token(
                            self.oauth.token_url, grant_type="authorization_code", **kwargs
                        )
                    else:
                        token = await client.refresh_token(self.oauth.token_url, **kwargs)
            except OAuthError as exc:
                # The provider's own refusal (invalid_grant, bad verifier…): a message without secrets.
                raise OAuthFailed(f"{exc.error}: {exc.description or 'refused'}", refused=True) from None
            except EgressRefused as exc:
                raise OAuthFailed(str(exc), refused=False) from None
            except httpx2.HTTPStatusError as exc:
                status = exc.response.status_code
                raise OAuthFailed(
                    f"the token endpoint answered HTTP {status}", refused=status < 500
                ) from None
            except (httpx2.TransportError, ValueError) as exc:
                raise OAuthFailed(f"the token endpoint could not be used: {exc}", refused=False) from None
        if not isinstance(token, Mapping) or not token.get("access_token"):
            raise OAuthFailed("the token endpoint gave no access token", refused=True)
        return dict(token)

    async def exchange(self, *, code: str, redirect_uri: str, code_verifier: str | None) -> dict[str, Any]:
        """The token answer for an authorization code (the PKCE verifier proves we asked for it)."""
        extra = {"code_verifier": code_verifier} if code_verifier and self.oauth.pkce else {}
        return await self._call("exchange", code=code, redirect_uri=redirect_uri, **extra)

    async def refresh(self, refresh_token: str) -> dict[str, Any]:
        return await self._call("refresh", refresh_token=refresh_token)
