"""Jira, Salesforce and HubSpot connected through /api/v1/integrations and used through the worker's
ConnectionRunner, against their loopback fakes: API-token connects checked with the provider, Salesforce's
OAuth from authorize to revoke (PKCE, the instance URL kept from the token answer, a refresh on an expired
session), previews, and credentials absent from answers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from agentflow.config import IntegrationApp, Settings
from agentflow.integrations.runner import ConnectionRunner
from agentflow.nodes.errors import PermanentStepError
from agentflow.secrets.store import SecretStore
from tests.factories import Member, create_org_with_owner
from tests.fakes import hubspot_api, jira_api, salesforce_api
from tests.fakes.hubspot_api import HubSpotAPI
from tests.fakes.jira_api import CLOUD_ID, JiraAPI
from tests.fakes.oauth_server import OAuthServer, oauth_server
from tests.fakes.rest_app import loopback_http
from tests.fakes.salesforce_api import SalesforceAPI

CALLBACK = "http://testserver/api/v1/integrations/oauth/callback"


@pytest.fixture(scope="module")
def fakes() -> Iterator[tuple[JiraAPI, SalesforceAPI, HubSpotAPI]]:
    servers = (JiraAPI().start(), SalesforceAPI().start(), HubSpotAPI().start())
    yield servers
    for server in servers:
        server.stop()


@pytest.fixture
def jira(fakes: tuple[JiraAPI, SalesforceAPI, HubSpotAPI]) -> JiraAPI:
    fakes[0].reset()
    return fakes[0]


@pytest.fixture
def salesforce(fakes: tuple[JiraAPI, SalesforceAPI, HubSpotAPI]) -> SalesforceAPI:
    fakes[1].reset()
    return fakes[1]


@pytest.fixture
def hubspot(fakes: tuple[JiraAPI, SalesforceAPI, HubSpotAPI]) -> HubSpotAPI:
    fakes[2].reset()
    return fakes[2]


@pytest.fixture(scope="module")
def atlassian() -> Iterator[OAuthServer]:
    """Atlassian's authorization server (auth.atlassian.com) on loopback."""
    with oauth_server(redirect_uri=CALLBACK) as server:
        yield server


@pytest.fixture
def configured(
    app: FastAPI,
    settings: Settings,
    jira: JiraAPI,
    atlassian: OAuthServer,
    salesforce: SalesforceAPI,
    hubspot: HubSpotAPI,
) -> Settings:
    """The operator registered an Atlassian OAuth app and a Salesforce connected app (their authorization
    servers are fakes), and pointed the Jira and HubSpot APIs at their fakes. Salesforce's API base is a
    closed port: requests must go to the instance URL from the token answer."""
    login = f"{salesforce.url}/services/oauth2"
    atlassian.on_token = lambda token: jira.access_tokens.add(token)
    configured = settings.model_copy(
        update={
            "integration_apps": {
                "jira": IntegrationApp(
                    client_id=atlassian.client_id,
                    client_secret=atlassian.client_secret,  # type: ignore[arg-type]
                    authorize_url=f"{atlassian.url}/authorize",
                    token_url=f"{atlassian.url}/token",
                    api_base=jira.url,
                ),
                "salesforce": IntegrationApp(
                    client_id=salesforce_api.CLIENT_ID,
                    client_secret=salesforce_api.CLIENT_SECRET,  # type: ignore[arg-type]
                    authorize_url=f"{login}/authorize",
                    token_url=f"{login}/token",
                    revoke_url=f"{login}/revoke",
                    api_base="http://127.0.0.1:9",
                ),
                "hubspot": IntegrationApp(api_base=hubspot.url),
            }
        }
    )
    app.state.settings = configured
    return configured


@pytest.fixture
async def runner(connection: AsyncConnection, configured: Settings) -> AsyncIterator[ConnectionRunner]:
    """The worker's runner, reading connections on the test's transaction."""
    sessions = async_sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )

    async def store() -> SecretStore:
        return SecretStore.from_settings(configured)

    async with loopback_http() as http:
        yield ConnectionRunner(sessions, store, http=http, settings=configured)


async def test_jira_api_token_connect_checks_the_site_and_runs_actions(
    client: httpx.AsyncClient, jira: JiraAPI, runner: ConnectionRunner, owner: Member
) -> None:
    body = {
        "name": "Acme Jira",
        "auth": "basic",
        "credentials": {"email": jira_api.EMAIL, "api_token": jira_api.API_TOKEN},
        "config": {"site_url": f"{jira.url}/jira/your-work"},
    }
    created = await client.post("/integrations/jira/connect", json=body, headers=owner.headers)

    assert created.status_code == 201, created.text
    connection = created.json()
    assert (connection["status"], connection["account"]) == ("active", "Ada Lovelace")
    assert connection["config"] == {"site_url": jira.url}
    assert jira_api.API_TOKEN not in created.text
    assert [r.path for r in jira.requests] == ["/rest/api/3/myself"]

    issue = await runner.run_action(
        owner.org_id,
        integration="jira",
        connection_id=connection["id"],
        action="create_issue",
        params={"project": "ENG", "summary": "From an agent", "description": "Found while testing"},
        preview=False,
    )
    assert issue == {"id": "10001", "key": "ENG-1", "url": f"{jira.url}/browse/ENG-1"}
    assert str(jira.last.header("authorization")).startswith("Basic ")

    previewed = await runner.run_action(
        owner.org_id,
        integration="jira",
        connection_id=connection["id"],
        action="add_comment",
        params={"issue": "ENG-1", "body": "Looks fixed"},
        preview=True,
    )
    assert previewed["preview"] is True
    assert previewed["request"]["url"] == f"{jira.url}/rest/api/3/issue/ENG-1/comment"
    assert jira.comments == {}


async def consent(client: httpx.AsyncClient, authorize_url: str) -> None:
    """The user grants access at the provider, which sends the browser back to our callback."""
    async with httpx.AsyncClient() as browser:
        granted = await browser.get(authorize_url)
    assert granted.status_code in (302, 307), granted.text
    callback = await client.get(f"/integrations/oauth/callback?{urlsplit(granted.headers['location']).query}")
    assert callback.status_code == 303, callback.text
    assert "connected=" in callback.headers["location"], callback.headers["location"]


async def test_jira_oauth_finds_the_site_and_calls_through_the_cloud_id(
    client: httpx.AsyncClient, jira: JiraAPI, atlassian: OAuthServer, runner: ConnectionRunner, owner: Member
) -> None:
    started = await client.post("/integrations/jira/connect", json={"name": "Jira"}, headers=owner.headers)
    assert started.status_code == 200, started.text
    asked = parse_qs(urlsplit(started.json()["authorize_url"]).query)
    assert asked["audience"] == ["api.atlassian.com"] and asked["prompt"] == ["consent"]
    assert "offline_access" in asked["scope"][0].split()
    assert "code_challenge" not in asked  # Atlassian's 3LO has no PKCE

    await consent(client, started.json()["authorize_url"])

    (connection,) = (await client.get("/integrations", headers=owner.headers)).json()
    assert (connection["status"], connection["account"]) == ("active", "Ada Lovelace")
    assert [r.path for r in jira.requests] == [
        "/oauth/token/accessible-resources",
        f"/ex/jira/{CLOUD_ID}/rest/api/3/myself",
    ]
    issue = await runner.run_action(
        owner.org_id,
        integration="jira",
        connection_id=connection["id"],
        action="create_issue",
        params={"project": "ENG", "summary": "Through OAuth"},
        preview=False,
    )
    assert issue["url"] == "https://acme.atlassian.net/browse/ENG-1"
    assert jira.last.path == f"/ex/jira/{CLOUD_ID}/rest/api/3/issue"
    assert jira.last.header("authorization") == f"Bearer {atlassian.issued[-1]}"


@pytest.mark.parametrize(
    ("credentials", "config", "code"),
    [
        ({"email": jira_api.EMAIL, "api_token": "wrong"}, None, "credentials_refused"),
        ({"email": jira_api.EMAIL, "api_token": jira_api.API_TOKEN}, {}, "validation_error"),
        (
            {"email": jira_api.EMAIL, "api_token": jira_api.API_TOKEN},
            {"site_url": "ftp://x"},
            "validation_error",
        ),
        ({"api_token": jira_api.API_TOKEN}, None, "missing_credential"),
    ],
)
async def test_jira_connects_that_cannot_work_are_refused(
    client: httpx.AsyncClient,
    jira: JiraAPI,
    owner: Member,
    credentials: dict[str, str],
    config: dict[str, str] | None,
    code: str,
) -> None:
    body = {
        "auth": "basic",
        "credentials": credentials,
        "config": {"site_url": jira.url} if config is None else config,
    }
    refused = await client.post("/integrations/jira/connect", json=body, headers=owner.headers)

    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == code
    assert (await client.get("/integrations", headers=owner.headers)).json() == []


async def test_salesforce_oauth_from_authorize_to_revoke(
    client: httpx.AsyncClient, salesforce: SalesforceAPI, runner: ConnectionRunner, owner: Member
) -> None:
    started = await client.post(
        "/integrations/salesforce/connect", json={"name": "Sales"}, headers=owner.headers
    )
    assert started.status_code == 200, started.text
    authorize_url = started.json()["authorize_url"]
    asked = parse_qs(urlsplit(authorize_url).query)
    assert asked["scope"] == ["api refresh_token"]
    assert asked["code_challenge_method"] == ["S256"]
    assert asked["redirect_uri"] == [CALLBACK]

    await consent(client, authorize_url)

    (connection,) = (await client.get("/integrations", headers=owner.headers)).json()
    assert connection["config"] == {
        "instance_url": salesforce.url,
        "org_id": salesforce_api.ORG_ID,
        "user_id": salesforce_api.USER_ID,
    }
    assert (connection["status"], connection["account"]) == ("active", "ada@acme.example")
    exchange = next(r for r in salesforce.requests if r.path == "/services/oauth2/token")
    assert exchange.body["grant_type"] == "authorization_code" and exchange.body["code_verifier"]

    lead = await runner.run_action(
        owner.org_id,
        integration="salesforce",
        connection_id=connection["id"],
        action="create_lead",
        params={"last_name": "Hopper", "company": "Navy"},
        preview=False,
    )
    assert lead["id"].startswith("00Q")
    assert lead["url"] == f"{salesforce.url}/lightning/r/Lead/{lead['id']}/view"

    salesforce.expire_sessions()  # the access token lapsed early: a 401, one refresh, the same request again
    found = await runner.run_action(
        owner.org_id,
        integration="salesforce",
        connection_id=connection["id"],
        action="soql_query",
        params={"query": "SELECT LastName, Company FROM Lead"},
        preview=False,
    )
    assert found["records"] == [{"LastName": "Hopper", "Company": "Navy"}]
    refresh = [r for r in salesforce.requests if r.path == "/services/oauth2/token"][-1]
    assert refresh.body["grant_type"] == "refresh_token"

    (kept,) = salesforce.refresh_tokens - {salesforce_api.REFRESH_TOKEN}
    deleted = await client.delete(f"/integrations/{connection['id']}", headers=owner.headers)
    assert deleted.status_code == 204
    assert salesforce.revoked == [kept]  # the refresh token, which ends every session issued from it


async def test_another_orgs_connection_is_not_found_by_the_runner(
    client: httpx.AsyncClient,
    hubspot: HubSpotAPI,
    runner: ConnectionRunner,
    owner: Member,
    session: AsyncSession,
    settings: Settings,
) -> None:
    body = {"auth": "token", "credentials": {"token": hubspot_api.PRIVATE_APP_TOKEN}}
    connection = (await client.post("/integrations/hubspot/connect", json=body, headers=owner.headers)).json()
    other = await create_org_with_owner(session, settings, name="Org B")

    with pytest.raises(PermanentStepError) as caught:
        await runner.run_action(
            other.org_id,
            integration="hubspot",
            connection_id=connection["id"],
            action="create_contact",
            params={"email": "ada@acme.example"},
            preview=False,
        )
    assert caught.value.code == "connection_not_found"
    assert hubspot.objects["contacts"] == {}


async def test_hubspot_private_app_token_and_an_activity_preview(
    client: httpx.AsyncClient,
    hubspot: HubSpotAPI,
    runner: ConnectionRunner,
    owner: Member,
    session: AsyncSession,
) -> None:
    body = {"name": "CRM", "auth": "token", "credentials": {"token": hubspot_api.PRIVATE_APP_TOKEN}}
    created = await client.post("/integrations/hubspot/connect", json=body, headers=owner.headers)
    assert created.status_code == 201, created.text
    connection = created.json()
    assert connection["account"] == str(hubspot_api.PORTAL_ID)
    assert hubspot_api.PRIVATE_APP_TOKEN not in created.text

    contact = await runner.run_action(
        owner.org_id,
        integration="hubspot",
        connection_id=connection["id"],
        action="create_contact",
        params={"email": "ada@acme.example"},
        preview=False,
    )
    previewed = await runner.run_action(
        owner.org_id,
        integration="hubspot",
        connection_id=connection["id"],
        action="log_activity",
        params={"body": "Intro call went well", "contact_ids": [contact["id"]]},
        preview=True,
    )
    assert previewed["request"]["url"] == f"{hubspot.url}/crm/v3/objects/notes"
    assert previewed["request"]["json"]["associations"][0]["to"] == {"id": contact["id"]}
    assert hubspot.objects["notes"] == {}

    with pytest.raises(PermanentStepError) as invalid:
        await runner.run_action(
            owner.org_id,
            integration="hubspot",
            connection_id=connection["id"],
            action="log_activity",
            params={"body": "on nothing"},
            preview=False,
        )
    assert invalid.value.code == "invalid_params"


async def test_the_catalog_describes_the_three_connectors(
    client: httpx.AsyncClient, configured: Settings, owner: Member
) -> None:
    response = await client.get("/integrations/catalog", headers=owner.headers)
    assert response.status_code == 200, response.text
    entries = {entry["name"]: entry for entry in response.json()}
    jira, salesforce, hubspot = entries["jira"], entries["salesforce"], entries["hubspot"]

    assert jira["auth_kinds"] == ["oauth2", "basic"] and jira["category"] == "engineering"
    assert [(f["name"], f["secret"]) for f in jira["credential_fields"]] == [
        ("email", False),
        ("api_token", True),
    ]
    assert [(f["name"], f["required"]) for f in jira["config_fields"]] == [("site_url", False)]
    assert jira["oauth_configured"] is True
    search = next(a for a in jira["actions"] if a["name"] == "search_issues")
    assert search["side_effect"] is False and search["params_schema"]["required"] == ["jql"]

    assert salesforce["auth_kinds"] == ["oauth2"] and salesforce["oauth_configured"] is True
    assert {a["name"] for a in salesforce["actions"]} == {
        "create_contact",
        "update_contact",
        "create_lead",
        "update_lead",
        "soql_query",
    }
    assert hubspot["auth_kinds"] == ["oauth2", "token"] and hubspot["category"] == "crm"
    assert hubspot["oauth_configured"] is False  # only its API base is set here: token connects only
    log = next(a for a in hubspot["actions"] if a["name"] == "log_activity")
    assert log["params_schema"]["properties"]["kind"]["enum"] == ["note", "call", "task"]
    assert "id" in log["result_schema"]["properties"]
