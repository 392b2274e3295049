"""A custom API connected with the OAuth 2 authorization-code grant of its own authorization server: the
connection's authorize and token URLs, client id and (org secret) client secret instead of an operator's app,
end to end against a loopback authorization server and the API it guards."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from agentflow.config import Settings
from agentflow.egress import EgressPolicy, guarded_client
from agentflow.integrations import credentials
from agentflow.integrations.base import AuthExpired
from agentflow.integrations.runner import ConnectionRunner
from agentflow.secrets.store import SecretStore
from tests.factories import Member
from tests.fakes.custom_api import PetStore
from tests.fakes.loopback import LoopbackServer
from tests.fakes.oauth_server import OAuthServer, oauth_server

CALLBACK = "http://testserver/api/v1/integrations/oauth/callback"
SECRET_NAME = "PETS_OAUTH_CLIENT_SECRET"


@dataclass
class Api:
    pets: PetStore  # accepts only the access tokens the authorization server issued
    url: str
    oauth: OAuthServer


@pytest.fixture
def api() -> Iterator[Api]:
    pets = PetStore()
    pets.reset(("oauth2",))
    server = LoopbackServer(pets.app()).start()
    try:
        with oauth_server(redirect_uri=CALLBACK, on_token=pets.issued.add) as oauth:
            yield Api(pets, server.url, oauth)
    finally:
        server.stop()


@pytest.fixture
async def runner(connection: AsyncConnection, settings: Settings) -> AsyncIterator[ConnectionRunner]:
    """The worker's runner, on the test's transaction (it sees the connections the API made)."""
    sessions = async_sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )

    async def store() -> SecretStore:
        return SecretStore.from_settings(settings)

    async with guarded_client(EgressPolicy.from_settings(settings)) as http:
        yield ConnectionRunner(sessions, store, http=http, settings=settings)


def config(api: Api, **auth: Any) -> dict[str, Any]:
    return {
        "base_url": api.url + "/v1",
        "auth": {
            "type": "oauth2",
            "grant": "authorization_code",
            "authorize_url": api.oauth.url + "/authorize",
            "token_url": api.oauth.url + "/token",
            "client_id": api.oauth.client_id,
            "secret": SECRET_NAME,
            "scopes": ["pets:read", "pets:write"],
            **auth,
        },
        "actions": [
            {"name": "list_pets", "path": "/pets"},
            {"name": "create_pet", "method": "POST", "path": "/pets", "body": True},
        ],
    }


async def add_secret(client: httpx.AsyncClient, member: Member, value: str) -> None:
    created = await client.post(
        "/org/secrets", json={"name": SECRET_NAME, "value": value}, headers=member.headers
    )
    assert created.status_code == 201, created.text


async def authorize(
    client: httpx.AsyncClient, owner: Member, body: dict[str, Any]
) -> tuple[str, str, dict[str, str]]:
    """Start connecting, then play the user who consents: (code, state, the authorize URL's query)."""
    started = await client.post("/integrations/custom_api/connect", json=body, headers=owner.headers)
    assert started.status_code == 200, started.text
    url = started.json()["authorize_url"]
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    async with httpx.AsyncClient() as browser:
        consent = await browser.get(url)
    assert consent.status_code == 302, consent.text
    back = {k: v[0] for k, v in parse_qs(urlsplit(consent.headers["location"]).query).items()}
    return back["code"], back["state"], query


async def callback(client: httpx.AsyncClient, code: str, state: str) -> dict[str, str]:
    response = await client.get("/integrations/oauth/callback", params={"code": code, "state": state})
    assert response.status_code == 303, response.text
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["location"]).query).items()}


async def connected(client: httpx.AsyncClient, owner: Member, api: Api, **auth: Any) -> str:
    code, state, _ = await authorize(client, owner, {"name": "Pets", "config": config(api, **auth)})
    back = await callback(client, code, state)
    assert "connected" in back, back
    return back["connected"]


async def test_a_custom_api_connects_with_its_own_authorization_server(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    owner: Member,
    api: Api,
    runner: ConnectionRunner,
) -> None:
    await add_secret(client, owner, api.oauth.client_secret)
    code, state, asked = await authorize(client, owner, {"name": "Pets", "config": config(api)})
    assert asked["client_id"] == api.oauth.client_id and asked["redirect_uri"] == CALLBACK
    assert asked["response_type"] == "code" and asked["scope"] == "pets:read pets:write"
    assert asked["code_challenge_method"] == "S256" and len(asked["code_challenge"]) == 43
    assert asked["state"] == state and len(state) >= 43
    assert "client_secret" not in asked

    back = await callback(client, code, state)
    assert "error" not in back, back
    connection = (await client.get(f"/integrations/{back['connected']}", headers=owner.headers)).json()
    assert connection["provider"] == "custom_api" and connection["auth_kind"] == "oauth2"
    assert connection["status"] == "active" and connection["scopes"] == ["pets:read", "pets:write"]
    assert connection["token_expires_at"] is not None
    assert [a["name"] for a in connection["actions"]] == ["list_pets", "create_pet"]

    # The code went to the connection's token URL with its client id, the org secret and the verifier.
    (exchange,) = api.oauth.token_requests
    assert exchange["grant_type"] == "authorization_code" and exchange["redirect_uri"] == CALLBACK
    assert exchange["client_id"] == api.oauth.client_id
    assert exchange["client_secret"] == api.oauth.client_secret and exchange["code_verifier"]
    stored = await credentials.read(
        SecretStore.from_settings(settings), owner.org_id, uuid.UUID(connection["id"])
    )
    assert stored is not None and stored["access_token"] == api.oauth.issued[0]
    assert stored["refresh_token"].startswith("rt-")
    # Connecting tested the API with the new token.
    assert api.pets.last.headers["authorization"] == f"Bearer {api.oauth.issued[0]}"

    pets = await runner.run_action(
        owner.org_id,
        integration="custom_api",
        connection_id=connection["id"],
        action="list_pets",
        params={},
        preview=False,
    )
    assert pets == [{"id": 1, "name": "Rex"}]
    assert api.pets.last.method == "GET" and api.pets.last.raw_path == "/v1/pets"
    assert api.pets.last.headers["authorization"] == f"Bearer {api.oauth.issued[0]}"
    assert api.oauth.token_requests == [exchange]  # a valid token is not refreshed

    # Nothing secret in any row of any table: tokens, the client secret, the state or the verifier.
    secrets = [stored["access_token"], stored["refresh_token"], api.oauth.client_secret, state]
    secrets.append(exchange["code_verifier"])
    tables = (
        await session.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
    ).scalars()
    for table in list(tables):
        query = f'SELECT row_to_json(t)::text FROM "{table}" t'  # noqa: S608  (names from pg_tables)
        for row in (await session.execute(text(query))).scalars():
            assert not any(s in row for s in secrets), f"{table} holds a secret: {row[:200]}"


async def test_the_runner_refreshes_with_the_connections_own_token_url_and_client_secret(
    client: httpx.AsyncClient, settings: Settings, owner: Member, api: Api, runner: ConnectionRunner
) -> None:
    await add_secret(client, owner, api.oauth.client_secret)
    connection_id = await connected(client, owner, api, client_auth="client_secret_basic")
    vault = SecretStore.from_settings(settings)
    stored = await credentials.read(vault, owner.org_id, uuid.UUID(connection_id))
    assert stored is not None
    # About to lapse: the runner refreshes before the call.
    await credentials.write(
        vault, owner.org_id, uuid.UUID(connection_id), {**stored, "expires_at": str(int(time.time()) + 5)}
    )
    created = await runner.run_action(
        owner.org_id,
        integration="custom_api",
        connection_id=connection_id,
        action="create_pet",
        params={"body": {"name": "Tom"}},
        preview=False,
    )
    assert created == {"id": 7, "name": "Tom"}
    refresh = api.oauth.token_requests[-1]
    assert refresh["grant_type"] == "refresh_token" and refresh["refresh_token"] == stored["refresh_token"]
    assert "client_secret" not in refresh  # client_secret_basic: in the Authorization header
    fresh = await credentials.read(vault, owner.org_id, uuid.UUID(connection_id))
    assert fresh is not None and fresh["access_token"] == api.oauth.issued[-1] != stored["access_token"]
    assert api.pets.last.headers["authorization"] == f"Bearer {api.oauth.issued[-1]}"

    # A token the API stops accepting is refreshed once on its 401, and the request sent again.
    api.pets.issued.discard(fresh["access_token"])
    await runner.run_action(
        owner.org_id,
        integration="custom_api",
        connection_id=connection_id,
        action="list_pets",
        params={},
        preview=False,
    )
    assert [r.headers["authorization"] for r in api.pets.requests[-2:]] == [
        f"Bearer {fresh['access_token']}",
        f"Bearer {api.oauth.issued[-1]}",
    ]
    assert len(api.oauth.token_requests) == 3


async def test_a_wrong_client_secret_fails_the_exchange(
    client: httpx.AsyncClient, owner: Member, api: Api
) -> None:
    await add_secret(client, owner, "not-the-client-secret")
    code, state, _ = await authorize(client, owner, {"name": "Pets", "config": config(api)})
    assert (await callback(client, code, state))["error"] == "exchange_failed"
    (exchange,) = api.oauth.token_requests
    assert exchange["client_secret"] == "not-the-client-secret"
    assert api.oauth.issued == []
    assert (await client.get("/integrations", headers=owner.headers)).json() == []


async def test_pkce_can_be_turned_off_for_servers_that_refuse_it(
    client: httpx.AsyncClient, owner: Member, api: Api
) -> None:
    await add_secret(client, owner, api.oauth.client_secret)
    code, state, asked = await authorize(client, owner, {"name": "Pets", "config": config(api, pkce=False)})
    assert "code_challenge" not in asked and "code_challenge_method" not in asked
    assert "connected" in await callback(client, code, state)
    assert "code_verifier" not in api.oauth.token_requests[0]


@pytest.mark.parametrize(
    ("auth", "message"),
    [
        ({}, f"the org secret {SECRET_NAME} does not exist"),
        ({"authorize_url": None}, "authorize_url"),
        ({"authorize_url": "javascript:alert(1)"}, "authorize_url"),
        ({"token_url": "ftp://tokens.example"}, "token_url"),
        ({"scopes": ["s"] * 51}, "scopes"),
    ],
)
async def test_authorization_code_configs_that_cannot_work_are_422(
    client: httpx.AsyncClient, owner: Member, api: Api, auth: dict[str, Any], message: str
) -> None:
    body = config(api, **auth)
    body["auth"] = {k: v for k, v in body["auth"].items() if v is not None}
    refused = await client.post(
        "/integrations/custom_api/connect", json={"name": "Pets", "config": body}, headers=owner.headers
    )
    assert refused.status_code == 422, refused.text
    assert message in refused.text
    assert api.oauth.token_requests == []


async def test_a_refused_refresh_asks_for_a_reconnect_which_keeps_the_connection(
    client: httpx.AsyncClient, settings: Settings, owner: Member, api: Api, runner: ConnectionRunner
) -> None:
    await add_secret(client, owner, api.oauth.client_secret)
    connection_id = await connected(client, owner, api)
    api.pets.issued.clear()  # the API no longer accepts the token, and the grant is revoked
    api.oauth.refusing_refresh = True
    with pytest.raises(AuthExpired, match="reconnect it"):
        await runner.run_action(
            owner.org_id,
            integration="custom_api",
            connection_id=connection_id,
            action="list_pets",
            params={},
            preview=False,
        )
    assert api.oauth.token_requests[-1]["grant_type"] == "refresh_token"
    listed = (await client.get(f"/integrations/{connection_id}", headers=owner.headers)).json()
    assert listed["status"] == "needs_reauth"

    api.oauth.refusing_refresh = False
    body = {"name": "Pets", "connection_id": connection_id, "config": config(api)}
    code, state, _ = await authorize(client, owner, body)
    assert (await callback(client, code, state))["connected"] == connection_id
    listed = (await client.get(f"/integrations/{connection_id}", headers=owner.headers)).json()
    assert listed["status"] == "active"
    vault = SecretStore.from_settings(settings)
    stored = await credentials.read(vault, owner.org_id, uuid.UUID(connection_id))
    assert stored is not None and stored["access_token"] == api.oauth.issued[-1]
