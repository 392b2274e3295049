"""Publishing checks action.integration nodes against the org's connections and the action's params schema:
each problem is an issue naming the node and the field; templated params wait for the run."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.config import IntegrationApp, Settings
from tests.factories import Member, create_org_with_owner
from tests.fakes.github_api import GitHubFake, github_api

TOKEN = "ghp_publish_" + "k" * 20


@pytest.fixture
def gh(app: FastAPI, settings: Settings) -> Iterator[GitHubFake]:
    with github_api(tokens={TOKEN}) as fake:
        app.state.settings = settings.model_copy(
            update={"integration_apps": {"github": IntegrationApp(api_base=fake.url)}}
        )
        yield fake


def definition(**config: Any) -> dict[str, Any]:
    return {
        "nodes": [
            {"id": "start", "type": "trigger", "name": "start", "config": {"kind": "api"}},
            {"id": "act", "type": "action.integration", "name": "act", "config": config},
        ],
        "edges": [{"source": "start", "target": "act"}],
    }


async def publish(client: httpx.AsyncClient, owner: Member, defn: dict[str, Any]) -> httpx.Response:
    created = await client.post("/agents", json={"name": "gh", "definition": defn}, headers=owner.headers)
    assert created.status_code == 201, created.text
    return await client.post(
        f"/agents/{created.json()['id']}/publish", json={"message": "v1"}, headers=owner.headers
    )


def issues(response: httpx.Response) -> set[tuple[str, str, str]]:
    assert response.status_code == 422, response.text
    return {(i["node_id"], i["code"], i["field"]) for i in response.json()["error"]["details"]["errors"]}


async def connect(client: httpx.AsyncClient, owner: Member, name: str = "Octo") -> str:
    response = await client.post(
        "/integrations/github/connect",
        json={"name": name, "credentials": {"token": TOKEN}},
        headers=owner.headers,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


PARAMS = {"owner": "octo", "repo": "app", "title": "Hello"}


async def test_a_missing_default_connection_is_a_publish_error(
    client: httpx.AsyncClient, gh: GitHubFake, owner: Member
) -> None:
    found = issues(
        await publish(client, owner, definition(integration="github", action="create_issue", params=PARAMS))
    )
    assert found == {("act", "missing_connection", "config.connection_id")}
    await connect(client, owner)
    ok = await publish(client, owner, definition(integration="github", action="create_issue", params=PARAMS))
    assert ok.status_code == 201, ok.text
    await connect(client, owner, name="Second")
    several = await publish(
        client, owner, definition(integration="github", action="create_issue", params=PARAMS)
    )
    assert issues(several) == {("act", "missing_connection", "config.connection_id")}
    assert "pick one" in several.text


async def test_another_orgs_or_an_unknown_connection_is_a_publish_error(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, gh: GitHubFake, owner: Member
) -> None:
    other = await create_org_with_owner(session, settings, name="Org B")
    theirs = await connect(client, other)
    for connection_id in (theirs, "not-a-uuid"):
        defn = definition(
            integration="github", connection_id=connection_id, action="create_issue", params=PARAMS
        )
        assert issues(await publish(client, owner, defn)) == {
            ("act", "unknown_connection", "config.connection_id")
        }


async def test_unknown_actions_and_params_that_do_not_fit_are_publish_errors(
    client: httpx.AsyncClient, gh: GitHubFake, owner: Member
) -> None:
    connection_id = await connect(client, owner)
    unknown = definition(integration="github", connection_id=connection_id, action="delete_repo", params={})
    assert issues(await publish(client, owner, unknown)) == {("act", "unknown_action", "config.action")}
    bad = definition(
        integration="github",
        connection_id=connection_id,
        action="comment",
        params={"owner": "octo", "repo": "a/b", "issue_number": 0, "colour": "red"},
    )
    assert issues(await publish(client, owner, bad)) == {
        ("act", "invalid_params", "config.params.repo"),
        ("act", "invalid_params", "config.params.issue_number"),
        ("act", "invalid_params", "config.params.body"),
        ("act", "invalid_params", "config.params.colour"),
    }


async def test_templated_params_are_left_to_the_run(
    client: httpx.AsyncClient, gh: GitHubFake, owner: Member
) -> None:
    connection_id = await connect(client, owner)
    templated = definition(
        integration="github",
        connection_id=connection_id,
        action="comment",
        params={
            "owner": "octo",
            "repo": "{{trigger.output.repo}}",
            "issue_number": "{{trigger.output.n}}",
            "body": "x",
        },
    )
    published = await publish(client, owner, templated)
    assert published.status_code == 201, published.text
