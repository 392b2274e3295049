"""The worker's ConnectionRunner against the loopback GitHub API and authorization server, on committed rows
and the real Vault with the worker's own AppRole: actions, previews, validation, errors, default and foreign
connections, refresh before expiry, refresh on a 401, and refresh failures marking the connection."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from agentflow.config import IntegrationApp, Settings
from agentflow.db import create_sessionmaker
from agentflow.egress import EgressPolicy, guarded_client
from agentflow.integrations import credentials
from agentflow.integrations.runner import ConnectionRunner
from agentflow.models import IntegrationConnection, Organization
from agentflow.nodes.errors import PermanentStepError, StepError, TransientStepError
from agentflow.secrets.store import SecretStore
from tests.conftest import vault_info
from tests.factories import create_org_with_owner
from tests.fakes.github_api import GitHubFake, github_api
from tests.fakes.loopback import Reply
from tests.fakes.oauth_server import OAuthServer, oauth_server

TOKEN = "ghp_" + "Zq9" * 12
ISSUE = {"owner": "octo", "repo": "app", "title": "Login fails", "body": "Steps…", "labels": ["bug"]}


@dataclass
class World:
    sessions: async_sessionmaker[AsyncSession]
    api_store: SecretStore  # what the API writes with
    runner: ConnectionRunner  # the worker's, with the worker's AppRole
    gh: GitHubFake
    oauth: OAuthServer
    org_id: uuid.UUID
    orgs: list[uuid.UUID]

    async def org(self, settings: Settings) -> uuid.UUID:
        async with self.sessions() as session, session.begin():
            member = await create_org_with_owner(session, settings, name=f"Runner {uuid.uuid4().hex[:6]}")
        self.orgs.append(member.org_id)
        return member.org_id

    async def connection(
        self, *, org_id: uuid.UUID | None = None, name: str = "gh", oauth: bool = False, **secret: str
    ) -> uuid.UUID:
        row = IntegrationConnection(
            org_id=org_id or self.org_id,
            provider="github",
            name=name,
            auth_kind="oauth2" if oauth else "token",
            status="active",
            scopes=["repo"] if oauth else [],
            config={},
        )
        async with self.sessions() as session, session.begin():
            session.add(row)
        await credentials.write(self.api_store, row.org_id, row.id, secret or {"token": TOKEN})
        return row.id

    async def oauth_connection(self, *, expires_in: float, access: str = "at-old") -> uuid.UUID:
        self.oauth.refresh_tokens["rt-old"] = self.oauth.client_id
        return await self.connection(
            oauth=True,
            access_token=access,
            refresh_token="rt-old",
            token_type="bearer",
            expires_at=str(int(time.time() + expires_in)),
        )

    async def row(self, connection_id: uuid.UUID) -> IntegrationConnection:
        async with self.sessions() as session:
            found = await session.get(IntegrationConnection, connection_id)
            assert found is not None
            return found

    async def run(
        self, action: str, params: dict[str, Any], connection_id: uuid.UUID | None = None, **kw: Any
    ) -> Any:
        return await self.runner.run_action(
            kw.pop("org_id", self.org_id),
            integration=kw.pop("integration", "github"),
            connection_id=str(connection_id) if connection_id else None,
            action=action,
            params=params,
            preview=kw.pop("preview", False),
        )


@pytest.fixture
async def world(engine: AsyncEngine, settings: Settings) -> AsyncIterator[World]:
    vault = vault_info()
    worker_settings = settings.model_copy(
        update={
            "vault_role_id": vault["worker"]["role_id"],
            "vault_secret_id": SecretStr(vault["worker"]["secret_id"]),
            "vault_cache_seconds": 0.0,
        }
    )
    with github_api(tokens={TOKEN}) as gh, oauth_server(on_token=gh.tokens.add) as oauth:
        worker_settings = worker_settings.model_copy(
            update={
                "integration_apps": {
                    "github": IntegrationApp(
                        client_id=oauth.client_id,
                        client_secret=SecretStr(oauth.client_secret),
                        api_base=gh.url,
                        token_url=f"{oauth.url}/token",
                    )
                }
            }
        )
        worker_store = SecretStore.from_settings(worker_settings)
        sessions = create_sessionmaker(engine)
        async with guarded_client(EgressPolicy.from_settings(settings)) as http:

            async def store() -> SecretStore:
                return worker_store

            runner = ConnectionRunner(sessions, store, http=http, settings=worker_settings)
            world = World(sessions, SecretStore.from_settings(settings), runner, gh, oauth, uuid.uuid4(), [])
            world.org_id = await world.org(settings)
            yield world
        async with sessions() as session, session.begin():
            await session.execute(delete(Organization).where(Organization.id.in_(world.orgs)))


async def test_read_actions_run_in_previews_and_side_effects_are_captured(world: World) -> None:
    connection_id = await world.connection()
    pulls = await world.run(
        "list_pull_requests", {"owner": "octo", "repo": "app"}, connection_id, preview=True
    )
    assert pulls["pull_requests"][0] == {
        "number": 7,
        "title": "Fix the flaky test",
        "state": "open",
        "url": "https://github.com/octo/app/pull/7",
        "author": "hubot",
        "head": "fix-flaky",
        "base": "main",
        "draft": False,
    }
    (listed,) = world.gh.for_path("/pulls?state=open&per_page=30")
    assert listed.method == "GET" and listed.header("authorization") == f"Bearer {TOKEN}"

    preview = await world.run("create_issue", ISSUE, connection_id, preview=True)
    assert preview == {
        "preview": True,
        "request": {
            "method": "POST",
            "url": f"{world.gh.url}/repos/octo/app/issues",
            "query": {},
            "json": {"title": "Login fails", "body": "Steps…", "labels": ["bug"]},
        },
    }
    assert [r.method for r in world.gh.requests] == ["GET"]  # nothing was created
    assert world.gh.issues == []


async def test_side_effects_act_outside_previews(world: World) -> None:
    connection_id = await world.connection()
    issue = await world.run("create_issue", ISSUE, connection_id)
    assert issue == {
        "number": 1,
        "url": "https://github.com/octo/app/issues/1",
        "id": issue["id"],
        "state": "open",
    }
    (sent,) = world.gh.for_path("/repos/octo/app/issues")
    assert sent.body == {"title": "Login fails", "body": "Steps…", "labels": ["bug"]}
    assert sent.header("x-github-api-version") == "2022-11-28"
    comment = await world.run("comment", {"owner": "octo", "repo": "app", "issue_number": 1, "body": "On it"})
    assert comment["url"].endswith(f"#issuecomment-{comment['id']}")
    review = await world.run(
        "create_pull_request_review",
        {"owner": "octo", "repo": "app", "pull_number": 7, "event": "REQUEST_CHANGES", "body": "Add a test"},
    )
    assert review["state"] == "CHANGES_REQUESTED"
    assert world.gh.for_path("/pulls/7/reviews")[0].body == {"event": "REQUEST_CHANGES", "body": "Add a test"}


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"owner": "octo", "repo": "app"}, "title"),
        ({**ISSUE, "colour": "red"}, "colour"),
        ({**ISSUE, "repo": "../../admin"}, "repo"),
        ({**ISSUE, "title": "x" * 300}, "title"),
    ],
)
async def test_invalid_params_name_the_field(world: World, params: dict[str, Any], named: str) -> None:
    await world.connection()
    with pytest.raises(PermanentStepError) as failure:
        await world.run("create_issue", params)
    assert failure.value.code == "invalid_params" and named in failure.value.message
    assert world.gh.requests == []


async def test_provider_errors_are_permanent_or_transient_with_the_providers_message(world: World) -> None:
    connection_id = await world.connection()
    with pytest.raises(PermanentStepError) as refused:  # GitHub's own validation, e.g. a review without body
        await world.run(
            "create_pull_request_review", {"owner": "o", "repo": "r", "pull_number": 7, "event": "COMMENT"}
        )
    assert refused.value.code == "http_422" and "Body is required for COMMENT" in refused.value.message
    world.gh.enqueue(Reply(429, {"message": "API rate limit exceeded"}, headers={"Retry-After": "7"}))
    with pytest.raises(TransientStepError) as limited:
        await world.run("create_issue", ISSUE, connection_id)
    assert limited.value.code == "rate_limit" and limited.value.output["retry_after"] == "7"
    assert "API rate limit exceeded" in limited.value.message


async def test_credentials_are_masked_out_of_errors_and_results(world: World) -> None:
    await world.connection()
    world.gh.enqueue(Reply(403, {"message": f"token {TOKEN} may not write here"}))
    with pytest.raises(StepError) as failure:
        await world.run("create_issue", ISSUE)
    assert TOKEN not in failure.value.message and "***" in failure.value.message
    assert TOKEN not in str(failure.value.output) and TOKEN not in str(failure.value)
    world.gh.pulls[0]["title"] = f"leaks {TOKEN}"
    pulls = await world.run("list_pull_requests", {"owner": "octo", "repo": "app"})
    assert pulls["pull_requests"][0]["title"] == "leaks ***"


async def test_the_default_connection_is_the_orgs_only_active_one(world: World, settings: Settings) -> None:
    with pytest.raises(PermanentStepError) as none:
        await world.run("list_pull_requests", {"owner": "o", "repo": "r"})
    assert none.value.code == "connection_not_found"
    await world.connection(name="first")
    assert (await world.run("list_pull_requests", {"owner": "o", "repo": "r"}))["pull_requests"]
    await world.connection(name="second")
    with pytest.raises(PermanentStepError) as several:
        await world.run("list_pull_requests", {"owner": "o", "repo": "r"})
    assert several.value.code == "connection_ambiguous" and "pick one" in several.value.message


async def test_another_orgs_connection_is_not_found(world: World, settings: Settings) -> None:
    theirs = await world.connection(org_id=await world.org(settings))
    for connection_id in (str(theirs), "not-a-uuid", str(uuid.uuid4())):
        with pytest.raises(PermanentStepError) as failure:
            await world.runner.run_action(
                world.org_id,
                integration="github",
                connection_id=connection_id,
                action="list_pull_requests",
                params={"owner": "o", "repo": "r"},
                preview=False,
            )
        assert failure.value.code == "connection_not_found"
    assert world.gh.requests == []


async def test_unknown_actions_and_other_providers_are_refused(world: World) -> None:
    connection_id = await world.connection()
    with pytest.raises(PermanentStepError) as unknown:
        await world.run("delete_repo", {}, connection_id)
    assert unknown.value.code == "unknown_action"
    with pytest.raises(PermanentStepError) as other:
        await world.run("list_pull_requests", {"owner": "o", "repo": "r"}, connection_id, integration="slack")
    assert other.value.code == "connection_not_found"
    described = await world.runner.describe(
        world.org_id, connection_id=str(connection_id), action="create_issue"
    )
    assert described.side_effect and "title" in described.parameters["properties"]


async def test_a_token_about_to_lapse_is_refreshed_first(world: World, settings: Settings) -> None:
    connection_id = await world.oauth_connection(expires_in=30)
    await world.run("list_pull_requests", {"owner": "o", "repo": "r"}, connection_id)
    (refresh,) = world.oauth.token_requests
    assert refresh["grant_type"] == "refresh_token" and refresh["refresh_token"] == "rt-old"
    new_token = world.oauth.issued[0]
    (listed,) = world.gh.for_path("/pulls?state=open&per_page=30")
    assert listed.header("authorization") == f"Bearer {new_token}"
    stored = await credentials.read(SecretStore.from_settings(settings), world.org_id, connection_id)
    assert stored is not None and stored["access_token"] == new_token and stored["refresh_token"] != "rt-old"
    row = await world.row(connection_id)
    assert row.token_expires_at is not None and row.token_expires_at.timestamp() > time.time() + 3000


async def test_parallel_calls_share_one_refresh(world: World) -> None:
    connection_id = await world.oauth_connection(expires_in=20)
    params = {"owner": "o", "repo": "r"}
    results = await asyncio.gather(
        *(world.run("list_pull_requests", params, connection_id) for _ in range(4))
    )
    assert all(r["pull_requests"] for r in results)
    assert len(world.oauth.token_requests) == 1  # the provider rotates refresh tokens: a second would fail
    assert {r.header("authorization") for r in world.gh.requests} == {f"Bearer {world.oauth.issued[0]}"}
    assert (await world.row(connection_id)).status == "active"


async def test_a_401_refreshes_once_and_retries(world: World) -> None:
    connection_id = await world.oauth_connection(expires_in=3600, access="at-revoked")
    pulls = await world.run("list_pull_requests", {"owner": "o", "repo": "r"}, connection_id)
    assert pulls["pull_requests"]
    first, second = world.gh.for_path("/pulls?state=open&per_page=30")
    assert first.header("authorization") == "Bearer at-revoked"
    assert second.header("authorization") == f"Bearer {world.oauth.issued[0]}"
    assert len(world.oauth.token_requests) == 1


async def test_a_failed_refresh_marks_the_connection_needs_reauth(world: World) -> None:
    world.oauth.refusing_refresh = True
    connection_id = await world.oauth_connection(expires_in=10)
    with pytest.raises(PermanentStepError) as failure:
        await world.run("list_pull_requests", {"owner": "o", "repo": "r"}, connection_id)
    assert failure.value.code == "refresh_failed" and "reconnect" in failure.value.message
    row = await world.row(connection_id)
    assert row.status == "needs_reauth" and "invalid_grant" in (row.last_error or "")
    with pytest.raises(PermanentStepError) as later:
        await world.run("list_pull_requests", {"owner": "o", "repo": "r"}, connection_id)
    assert later.value.code == "needs_reauth"
    assert world.gh.requests == []


async def test_refused_even_after_a_refresh_needs_reauth(world: World) -> None:
    world.oauth.on_token = None  # GitHub accepts none of the new tokens either
    connection_id = await world.oauth_connection(expires_in=3600, access="at-revoked")
    with pytest.raises(PermanentStepError) as failure:
        await world.run("list_pull_requests", {"owner": "o", "repo": "r"}, connection_id)
    assert failure.value.code == "auth" and "Bad credentials" in failure.value.message
    assert len(world.gh.requests) == 2 and len(world.oauth.token_requests) == 1
    assert (await world.row(connection_id)).status == "needs_reauth"


async def test_a_revoked_personal_token_needs_reauth(world: World) -> None:
    connection_id = await world.connection()
    world.gh.tokens.clear()
    with pytest.raises(PermanentStepError) as failure:
        await world.run("list_pull_requests", {"owner": "o", "repo": "r"}, connection_id)
    assert failure.value.code == "auth"
    assert (await world.row(connection_id)).status == "needs_reauth"


async def test_an_unreachable_vault_is_a_transient_failure(world: World, settings: Settings) -> None:
    connection_id = await world.connection()
    down = SecretStore.from_settings(
        settings.model_copy(update={"vault_addr": "http://127.0.0.1:9", "vault_timeout_seconds": 1.0})
    )

    async def store() -> SecretStore:
        return down

    world.runner.store = store
    with pytest.raises(TransientStepError) as failure:
        await world.run("list_pull_requests", {"owner": "o", "repo": "r"}, connection_id)
    assert failure.value.code == "vault_unavailable"
    assert world.gh.requests == []
