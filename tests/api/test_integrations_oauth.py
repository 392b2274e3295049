"""OAuth end to end: the API's authorize URL, a loopback authorization server that checks the client, the
redirect URI, the code and the PKCE S256 verifier, the public callback, tokens in Vault and nowhere else."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.config import IntegrationApp, Settings
from agentflow.integrations import credentials
from agentflow.secrets.store import SecretStore
from tests.factories import Member
from tests.fakes.github_api import GitHubFake, github_api
from tests.fakes.oauth_server import OAuthServer, oauth_server

CALLBACK = "http://testserver/api/v1/integrations/oauth/callback"


@dataclass
class Provider:
    gh: GitHubFake
    oauth: OAuthServer
    settings: Settings


@pytest.fixture
def provider(app: FastAPI, settings: Settings) -> Iterator[Provider]:
    with github_api() as gh, oauth_server(redirect_uri=CALLBACK, on_token=gh.tokens.add) as oauth:
        gh.apps[oauth.client_id] = oauth.client_secret
        app.state.settings = settings.model_copy(
            update={
                "integration_apps": {
                    "github": IntegrationApp(
                        client_id=oauth.client_id,
                        client_secret=oauth.client_secret,  # type: ignore[arg-type]
                        api_base=gh.url,
                        authorize_url=f"{oauth.url}/authorize",
                        token_url=f"{oauth.url}/token",
                    )
                }
            }
        )
        yield Provider(gh, oauth, app.state.settings)


async def authorize(
    client: httpx.AsyncClient, owner: Member, **body: object
) -> tuple[str, str, dict[str, str]]:
    """Start connecting, then play the user who consents at the provider: the code and state it returns."""
    started = await client.post("/integrations/github/connect", json=body, headers=owner.headers)
    assert started.status_code == 200, started.text
    url = started.json()["authorize_url"]
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    async with httpx.AsyncClient() as browser:
        consent = await browser.get(url)
    assert consent.status_code == 302, consent.text
    back = {k: v[0] for k, v in parse_qs(urlsplit(consent.headers["location"]).query).items()}
    return back["code"], back["state"], query


async def callback(client: httpx.AsyncClient, **query: str) -> dict[str, str]:
    """The browser's return to the (public) callback: where it is sent next."""
    response = await client.get("/integrations/oauth/callback", params=query)
    assert response.status_code == 303, response.text
    location = urlsplit(response.headers["location"])
    return {"path": location.path, **{k: v[0] for k, v in parse_qs(location.query).items()}}


async def test_oauth_connects_end_to_end_with_pkce(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, provider: Provider, owner: Member
) -> None:
    code, state, asked = await authorize(client, owner, name="Octo", redirect_to="/integrations/setup")
    assert asked["client_id"] == provider.oauth.client_id and asked["redirect_uri"] == CALLBACK
    assert asked["scope"] == "repo" and asked["code_challenge_method"] == "S256" and asked["code_challenge"]
    assert asked["state"] == state and len(state) >= 43

    back = await callback(client, code=code, state=state)
    assert back["path"] == "/integrations/setup" and "error" not in back, back
    connection = (await client.get(f"/integrations/{back['connected']}", headers=owner.headers)).json()
    assert connection["auth_kind"] == "oauth2" and connection["status"] == "active"
    assert connection["account"] == "octocat" and connection["scopes"] == ["repo"]
    assert connection["name"] == "Octo" and connection["token_expires_at"] is not None

    (exchange,) = provider.oauth.token_requests
    assert exchange["grant_type"] == "authorization_code" and exchange["redirect_uri"] == CALLBACK
    assert exchange["client_secret"] == provider.oauth.client_secret and exchange["code_verifier"]
    stored = await credentials.read(
        SecretStore.from_settings(settings), owner.org_id, uuid.UUID(connection["id"])
    )
    assert stored is not None and stored["access_token"] == provider.oauth.issued[0]
    assert stored["refresh_token"].startswith("rt-") and int(stored["expires_at"]) > 0
    (check,) = provider.gh.for_path("/user")
    assert check.header("authorization") == f"Bearer {provider.oauth.issued[0]}"

    # Nothing secret in any row of any table: tokens, the client secret, the state or the PKCE verifier.
    secrets = [stored["access_token"], stored["refresh_token"], provider.oauth.client_secret, state]
    secrets.append(exchange["code_verifier"])
    tables = (
        await session.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
    ).scalars()
    for table in list(tables):
        query = f'SELECT row_to_json(t)::text FROM "{table}" t'  # noqa: S608  (names from pg_tables)
        rows = (await session.execute(text(query))).scalars()
        for row in rows:
            assert not any(s in row for s in secrets), f"{table} holds a secret: {row[:200]}"

    # Disconnecting revokes the grant at GitHub with the app's credentials.
    assert (
        await client.delete(f"/integrations/{connection['id']}", headers=owner.headers)
    ).status_code == 204
    assert provider.gh.revoked == [stored["access_token"]]


async def test_a_state_works_once(client: httpx.AsyncClient, provider: Provider, owner: Member) -> None:
    code, state, _ = await authorize(client, owner)
    assert "connected" in await callback(client, code=code, state=state)
    again = await callback(client, code=code, state=state)
    assert again["error"] == "invalid_state" and again["path"] == "/integrations"
    assert len(provider.oauth.token_requests) == 1


async def test_an_unknown_state_is_refused(
    client: httpx.AsyncClient, provider: Provider, owner: Member
) -> None:
    code, _, _ = await authorize(client, owner)
    refused = await callback(client, code=code, state="forged-" + "x" * 40)
    assert refused["error"] == "invalid_state"
    assert provider.oauth.token_requests == []
    assert (await client.get("/integrations", headers=owner.headers)).json() == []


async def test_an_expired_state_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, provider: Provider, owner: Member
) -> None:
    code, state, _ = await authorize(client, owner)
    await session.execute(
        text("UPDATE integration_oauth_states SET expires_at = now() - interval '1 second'")
    )
    refused = await callback(client, code=code, state=state)
    assert refused["error"] == "expired_state"
    assert provider.oauth.token_requests == []
    remaining = await session.execute(text("SELECT count(*) FROM integration_oauth_states"))
    assert remaining.scalar() == 0


async def test_the_pkce_verifier_is_what_the_server_checks(
    client: httpx.AsyncClient, session: AsyncSession, provider: Provider, owner: Member
) -> None:
    code, state, _ = await authorize(client, owner)
    # Someone holding the code but not the verifier (here: a verifier that is not the one challenged).
    await session.execute(text("UPDATE integration_oauth_states SET code_verifier = 'x' || code_verifier"))
    refused = await callback(client, code=code, state=state)
    assert refused["error"] == "exchange_failed"
    (exchange,) = provider.oauth.token_requests
    assert exchange["code_verifier"].startswith("x")
    assert (await client.get("/integrations", headers=owner.headers)).json() == []


async def test_declining_uses_up_the_state(
    client: httpx.AsyncClient, provider: Provider, owner: Member
) -> None:
    code, state, _ = await authorize(client, owner, redirect_to="/settings")
    declined = await callback(client, error="access_denied", state=state)
    assert declined == {"path": "/settings", "error": "access_denied"}
    assert (await callback(client, code=code, state=state))["error"] == "invalid_state"


async def test_reconnecting_keeps_the_connection(
    client: httpx.AsyncClient, settings: Settings, provider: Provider, owner: Member
) -> None:
    code, state, _ = await authorize(client, owner)
    first = (await callback(client, code=code, state=state))["connected"]
    code, state, _ = await authorize(client, owner, connection_id=first)
    second = await callback(client, code=code, state=state)
    assert second["connected"] == first
    stored = await credentials.read(SecretStore.from_settings(settings), owner.org_id, uuid.UUID(first))
    assert stored is not None and stored["access_token"] == provider.oauth.issued[-1]
    assert len(provider.oauth.issued) == 2
