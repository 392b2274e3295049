"""Slack, Gmail and Notion through the worker's ConnectionRunner: committed connection rows, credentials in
the real Vault read with the worker's AppRole, the operator's settings pointing each provider at its loopback
fake. A Gmail token about to lapse is refreshed at the authorization server before the call; previews capture
writes without the token and still run reads (Notion's POST query too); Slack's `invalid_auth` marks the
connection `needs_reauth`."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Iterator
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
from agentflow.integrations.base import AuthExpired
from agentflow.integrations.runner import ConnectionRunner
from agentflow.models import IntegrationConnection, Organization
from agentflow.nodes.errors import PermanentStepError
from agentflow.secrets.store import SecretStore
from tests.conftest import vault_info
from tests.factories import create_org_with_owner
from tests.fakes.gmail_api import GmailAPI
from tests.fakes.notion_api import DATABASE, SOURCE, NotionAPI
from tests.fakes.notion_api import TOKEN as NOTION_TOKEN
from tests.fakes.oauth_server import OAuthServer, oauth_server
from tests.fakes.slack_api import BOT_TOKEN, SlackAPI


@dataclass
class Apps:
    sessions: async_sessionmaker[AsyncSession]
    api_store: SecretStore
    runner: ConnectionRunner
    slack: SlackAPI
    gmail: GmailAPI
    notion: NotionAPI
    oauth: OAuthServer
    org_id: uuid.UUID

    async def connection(self, provider: str, *, oauth: bool = False, **secret: str) -> uuid.UUID:
        row = IntegrationConnection(
            org_id=self.org_id,
            provider=provider,
            name=provider,
            auth_kind="oauth2" if oauth else "token",
            status="active",
            scopes=[],
            config={},
        )
        async with self.sessions() as session, session.begin():
            session.add(row)
        await credentials.write(self.api_store, row.org_id, row.id, secret)
        return row.id

    async def status(self, connection_id: uuid.UUID) -> str:
        async with self.sessions() as session:
            row = await session.get(IntegrationConnection, connection_id)
            assert row is not None
            return row.status

    async def run(
        self, provider: str, connection_id: uuid.UUID, action: str, params: dict[str, Any], **kw: Any
    ) -> Any:
        return await self.runner.run_action(
            self.org_id,
            integration=provider,
            connection_id=str(connection_id),
            action=action,
            params=params,
            preview=kw.get("preview", False),
        )


@pytest.fixture(scope="module")
def fakes() -> Iterator[tuple[SlackAPI, GmailAPI, NotionAPI]]:
    slack, gmail, notion = SlackAPI().start(), GmailAPI().start(), NotionAPI().start()
    yield slack, gmail, notion
    for fake in (slack, gmail, notion):
        fake.stop()


@pytest.fixture
async def apps(
    engine: AsyncEngine, settings: Settings, fakes: tuple[SlackAPI, GmailAPI, NotionAPI]
) -> AsyncIterator[Apps]:
    slack, gmail, notion = fakes
    for fake in fakes:
        fake.reset()
    vault = vault_info()
    with oauth_server(on_token=gmail.accept) as oauth:
        google = IntegrationApp(
            client_id=oauth.client_id,
            client_secret=SecretStr(oauth.client_secret),
            api_base=gmail.url,
            token_url=f"{oauth.url}/token",
        )
        worker_settings = settings.model_copy(
            update={
                "vault_role_id": vault["worker"]["role_id"],
                "vault_secret_id": SecretStr(vault["worker"]["secret_id"]),
                "vault_cache_seconds": 0.0,
                "integration_apps": {
                    "slack": IntegrationApp(api_base=f"{slack.url}/api"),
                    "gmail": google,
                    "notion": IntegrationApp(api_base=notion.url),
                },
            }
        )
        worker_store = SecretStore.from_settings(worker_settings)
        sessions = create_sessionmaker(engine)
        async with guarded_client(EgressPolicy.from_settings(settings)) as http:

            async def store() -> SecretStore:
                return worker_store

            async with sessions() as session, session.begin():
                member = await create_org_with_owner(session, settings, name=f"Apps {uuid.uuid4().hex[:6]}")
            runner = ConnectionRunner(sessions, store, http=http, settings=worker_settings)
            yield Apps(
                sessions,
                SecretStore.from_settings(settings),
                runner,
                slack,
                gmail,
                notion,
                oauth,
                member.org_id,
            )
        async with sessions() as session, session.begin():
            await session.execute(delete(Organization).where(Organization.id == member.org_id))


async def test_gmail_token_about_to_lapse_is_refreshed_before_the_call(apps: Apps) -> None:
    apps.oauth.refresh_tokens["rt-gmail"] = apps.oauth.client_id
    connection_id = await apps.connection(
        "gmail",
        oauth=True,
        access_token="ya29.lapsing",
        refresh_token="rt-gmail",
        token_type="bearer",
        expires_at=str(int(time.time() + 20)),
    )

    result = await apps.run("gmail", connection_id, "search", {"query": "pay", "include_body": False})

    assert [m["subject"] for m in result["messages"]] == ["Invoice 42"]
    assert [r["grant_type"] for r in apps.oauth.token_requests] == ["refresh_token"]
    fresh = apps.oauth.issued[-1]
    assert {r.header("authorization") for r in apps.gmail.requests} == {f"Bearer {fresh}"}
    stored = await credentials.read(apps.api_store, apps.org_id, connection_id)
    assert stored is not None and stored["access_token"] == fresh


async def test_slack_preview_captures_the_post_without_the_token(apps: Apps) -> None:
    connection_id = await apps.connection("slack", token=BOT_TOKEN)

    preview = await apps.run(
        "slack", connection_id, "send_message", {"channel": "C0GENERAL", "text": "Deployed"}, preview=True
    )
    assert preview == {
        "preview": True,
        "request": {
            "method": "POST",
            "url": f"{apps.slack.url}/api/chat.postMessage",
            "query": {},
            "json": {"channel": "C0GENERAL", "text": "Deployed", "unfurl_links": True},
        },
    }
    assert apps.slack.requests == []
    read = await apps.run(
        "slack", connection_id, "read_channel_messages", {"channel": "C0GENERAL"}, preview=True
    )
    assert [m["text"] for m in read["messages"]] == ["third", "second", "first"]


async def test_slack_invalid_auth_marks_the_connection_for_reconnecting(apps: Apps) -> None:
    connection_id = await apps.connection("slack", token="xoxb-revoked")
    with pytest.raises(AuthExpired, match="invalid_auth"):
        await apps.run("slack", connection_id, "list_channels", {})
    assert await apps.status(connection_id) == "needs_reauth"
    with pytest.raises(PermanentStepError) as refused:
        await apps.run("slack", connection_id, "list_channels", {})
    assert refused.value.code == "needs_reauth"
    assert len(apps.slack.requests) == 1  # the second run failed fast, without calling Slack


async def test_notion_query_runs_in_a_preview_and_create_is_captured(apps: Apps) -> None:
    connection_id = await apps.connection("notion", token=NOTION_TOKEN)

    found = await apps.run("notion", connection_id, "query_database", {"database_id": DATABASE}, preview=True)
    assert sorted(r["title"] for r in found["results"]) == ["Plan", "Ship", "Write docs"]

    created = await apps.run(
        "notion", connection_id, "create_page", {"database_id": DATABASE, "title": "Draft"}, preview=True
    )
    assert created["preview"] is True
    assert created["request"]["json"]["parent"] == {"type": "data_source_id", "data_source_id": SOURCE}
    assert NOTION_TOKEN not in str(created)
    assert not [r for r in apps.notion.requests if r.path == "/v1/pages"]
