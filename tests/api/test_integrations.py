"""/api/v1/integrations with token auth against the loopback GitHub API: catalog, connect, list, get, test,
rename, delete; refused credentials, bad input and another org's connections."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.config import IntegrationApp, Settings
from agentflow.integrations import credentials
from agentflow.rbac import Role
from agentflow.secrets.store import SecretStore
from tests.factories import Member, add_member, create_org_with_owner
from tests.fakes.github_api import GitHubFake, github_api

TOKEN = "ghp_" + "a1B2c3D4" * 4


@pytest.fixture
def gh() -> Iterator[GitHubFake]:
    with github_api(tokens={TOKEN}) as fake:
        yield fake


@pytest.fixture
def configured(app: FastAPI, settings: Settings, gh: GitHubFake) -> Settings:
    """The operator pointed GitHub's API at the loopback fake (as for GitHub Enterprise)."""
    configured = settings.model_copy(update={"integration_apps": {"github": IntegrationApp(api_base=gh.url)}})
    app.state.settings = configured
    return configured


async def connect(
    client: httpx.AsyncClient, owner: Member, token: str = TOKEN, **body: object
) -> httpx.Response:
    return await client.post(
        "/integrations/github/connect",
        json={"name": "Engineering", "credentials": {"token": token}, **body},
        headers=owner.headers,
    )


async def test_catalog_lists_integrations_and_the_webhook_connectors(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    viewer = await add_member(session, settings, owner.org_id, Role.viewer)
    response = await client.get("/integrations/catalog", headers=viewer.headers)
    assert response.status_code == 200, response.text
    entries = {entry["name"]: entry for entry in response.json()}
    github, webhook = entries["github"], entries["webhook"]
    assert github["kind"] == "integration" and webhook["kind"] == "builtin"
    assert github["auth_kinds"] == ["oauth2", "token"] and github["scopes"] == ["repo"]
    assert github["oauth_configured"] is False  # no client id/secret configured here
    assert [f["name"] for f in github["credential_fields"]] == ["token"]
    actions = {a["name"]: a for a in github["actions"]}
    assert set(actions) == {"create_issue", "comment", "list_pull_requests", "create_pull_request_review"}
    assert actions["list_pull_requests"]["side_effect"] is False and actions["create_issue"]["side_effect"]
    schema = actions["create_issue"]["params_schema"]
    assert set(schema["required"]) == {"owner", "repo", "title"}
    assert schema["additionalProperties"] is False
    assert "number" in actions["create_issue"]["result_schema"]["properties"]


async def test_connect_list_get_test_rename_delete(
    client: httpx.AsyncClient, settings: Settings, configured: Settings, gh: GitHubFake, owner: Member
) -> None:
    created = await connect(client, owner)
    assert created.status_code == 201, created.text
    connection = created.json()
    assert connection["provider"] == "github" and connection["auth_kind"] == "token"
    assert connection["status"] == "active" and connection["account"] == "octocat"
    assert connection["connected_by"] == str(owner.user_id)
    assert {a["name"] for a in connection["actions"]} >= {"create_issue", "list_pull_requests"}
    assert TOKEN not in created.text
    # Connecting checked the token with GitHub, the way GitHub wants to be called.
    (check,) = gh.for_path("/user")
    assert check.method == "GET" and check.header("authorization") == f"Bearer {TOKEN}"
    assert check.header("accept") == "application/vnd.github+json"
    assert check.header("x-github-api-version") == "2022-11-28"
    connection_id = uuid.UUID(connection["id"])
    # Fresh stores: each keeps a read cache of its own.
    assert await credentials.read(SecretStore.from_settings(settings), owner.org_id, connection_id) == {
        "token": TOKEN
    }

    listed = await client.get("/integrations", headers=owner.headers)
    assert [c["id"] for c in listed.json()] == [connection["id"]] and TOKEN not in listed.text
    one = await client.get(f"/integrations/{connection_id}", headers=owner.headers)
    assert one.json()["name"] == "Engineering"

    gh.login = "hubot"
    tested = await client.post(f"/integrations/{connection_id}/test", headers=owner.headers)
    assert tested.status_code == 200, tested.text
    assert tested.json()["ok"] is True and tested.json()["connection"]["account"] == "hubot"

    renamed = await client.patch(
        f"/integrations/{connection_id}", json={"name": "Platform"}, headers=owner.headers
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "Platform"

    deleted = await client.delete(f"/integrations/{connection_id}", headers=owner.headers)
    assert deleted.status_code == 204
    assert (await client.get(f"/integrations/{connection_id}", headers=owner.headers)).status_code == 404
    assert await credentials.read(SecretStore.from_settings(settings), owner.org_id, connection_id) is None


async def test_a_revoked_token_fails_the_test_and_needs_reconnecting(
    client: httpx.AsyncClient, configured: Settings, gh: GitHubFake, owner: Member
) -> None:
    connection = (await connect(client, owner)).json()
    gh.tokens.clear()  # the user revoked the token on GitHub
    tested = await client.post(f"/integrations/{connection['id']}/test", headers=owner.headers)
    assert tested.status_code == 200
    body = tested.json()
    assert body["ok"] is False and "Bad credentials" in body["error"]
    assert (
        body["connection"]["status"] == "needs_reauth"
        and "Bad credentials" in body["connection"]["last_error"]
    )


async def test_refused_credentials_are_422_and_nothing_is_kept(
    client: httpx.AsyncClient, configured: Settings, owner: Member
) -> None:
    refused = await connect(client, owner, token="ghp_wrong")
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == "credentials_refused"
    assert "ghp_wrong" not in refused.text
    assert (await client.get("/integrations", headers=owner.headers)).json() == []


async def test_an_unreachable_provider_keeps_the_connection_with_an_error(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings, owner: Member
) -> None:
    app.state.settings = settings.model_copy(
        update={"integration_apps": {"github": IntegrationApp(api_base="http://127.0.0.1:9")}}
    )
    created = await connect(client, owner)
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "error" and created.json()["last_error"]


async def test_names_are_unique_per_org_and_provider(
    client: httpx.AsyncClient, configured: Settings, owner: Member
) -> None:
    assert (await connect(client, owner)).status_code == 201
    again = await connect(client, owner)
    assert again.status_code == 409 and again.json()["error"]["code"] == "name_taken"


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("/integrations/nope/connect", {"credentials": {"token": "x"}}, 404, "unknown_integration"),
        ("/integrations/github/connect", {"credentials": {"password": "x"}}, 422, "unknown_credential"),
        ("/integrations/github/connect", {"auth": "token"}, 422, "missing_credential"),
        (
            "/integrations/github/connect",
            {"auth": "api_key", "credentials": {"token": "x"}},
            422,
            "invalid_auth",
        ),
        ("/integrations/github/connect", {"credentials": {"token": "x" * 9000}}, 422, "validation_error"),
        (
            "/integrations/github/connect",
            {"credentials": {"token": "x"}, "colour": "red"},
            422,
            "validation_error",
        ),
        (
            "/integrations/github/connect",
            {"name": "n" * 121, "credentials": {"token": "x"}},
            422,
            "validation_error",
        ),
        (
            "/integrations/github/connect",
            {"credentials": {"token": "x"}, "config": {"api_base": "ftp://x"}},
            422,
            "validation_error",
        ),
        ("/integrations/github/connect", {"redirect_to": "https://evil.example/"}, 422, "validation_error"),
        ("/integrations/github/connect", {"redirect_to": "//evil.example/"}, 422, "validation_error"),
        ("/integrations/github/connect", {}, 409, "oauth_not_configured"),
    ],
)
async def test_bad_input_is_refused_clearly(
    client: httpx.AsyncClient, owner: Member, path: str, body: dict[str, object], status: int, code: str
) -> None:
    response = await client.post(path, json=body, headers=owner.headers)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code


async def test_another_orgs_connection_is_404_everywhere(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, configured: Settings, owner: Member
) -> None:
    connection = (await connect(client, owner)).json()
    other = await create_org_with_owner(session, settings, name="Org B")
    path = f"/integrations/{connection['id']}"
    for method, url, body in (
        ("GET", path, None),
        ("POST", f"{path}/test", None),
        ("PATCH", path, {"name": "mine now"}),
        ("DELETE", path, None),
    ):
        response = await client.request(method, url, json=body, headers=other.headers)
        assert response.status_code == 404, f"{method} {url}: {response.text}"
    assert (await client.get("/integrations", headers=other.headers)).json() == []
    assert (await client.get(path, headers=owner.headers)).json()["name"] == "Engineering"


async def test_editors_use_but_cannot_connect(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, configured: Settings, owner: Member
) -> None:
    editor = await add_member(session, settings, owner.org_id, Role.editor)
    assert (await connect(client, editor)).status_code == 403
    connection = (await connect(client, owner)).json()
    assert (await client.get(f"/integrations/{connection['id']}", headers=editor.headers)).status_code == 200
    assert (
        await client.delete(f"/integrations/{connection['id']}", headers=editor.headers)
    ).status_code == 403


async def test_tokens_never_reach_the_logs(
    client: httpx.AsyncClient,
    configured: Settings,
    gh: GitHubFake,
    owner: Member,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG):
        connection = (await connect(client, owner)).json()
        gh.tokens.clear()
        await client.post(f"/integrations/{connection['id']}/test", headers=owner.headers)
        await client.delete(f"/integrations/{connection['id']}", headers=owner.headers)
        await connect(client, owner, token="ghp_refused_" + "z" * 20)
    for record in caplog.records:
        text = f"{record.getMessage()} {vars(record)}"
        assert TOKEN not in text and "ghp_refused_" not in text
