"""A connection the provider refuses tells owners, admins and whoever connected it, once, by email after
the commit; a refused first connect (rolled back) tells nobody."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.config import IntegrationApp, Settings
from agentflow.email.sender import SMTPSender
from agentflow.models import Notification
from agentflow.rbac import Role
from api.deps import get_email_sender
from tests.factories import Member, add_member
from tests.fakes.github_api import GitHubFake, github_api
from tests.support.mailbox import Mailbox, smtp_server, text_of

TOKEN = "ghp_" + "n0t1fy" * 6


@pytest.fixture
def gh(app: FastAPI, settings: Settings) -> Iterator[GitHubFake]:
    with github_api(tokens={TOKEN}) as fake:
        app.state.settings = settings.model_copy(
            update={"integration_apps": {"github": IntegrationApp(api_base=fake.url)}}
        )
        yield fake


@pytest.fixture
def mailbox(app: FastAPI, settings: Settings) -> Iterator[Mailbox]:
    with smtp_server() as box:
        smtp = settings.model_copy(
            update={"smtp_host": "127.0.0.1", "smtp_port": box.port, "smtp_starttls": False}
        )
        app.dependency_overrides[get_email_sender] = lambda: SMTPSender(smtp)
        yield box


async def told(session: AsyncSession, org_id: uuid.UUID) -> list[Notification]:
    rows = await session.execute(
        select(Notification).where(
            Notification.org_id == org_id, Notification.kind == "integration.needs_reauth"
        )
    )
    return list(rows.scalars())


async def test_a_refused_connection_notifies_once_by_email(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    owner: Member,
    gh: GitHubFake,
    mailbox: Mailbox,
) -> None:
    admin = await add_member(session, settings, owner.org_id, Role.admin)
    editor = await add_member(session, settings, owner.org_id, Role.editor)
    connected = await client.post(
        "/integrations/github/connect",
        json={"name": "Engineering", "credentials": {"token": TOKEN}},
        headers=admin.headers,
    )
    assert connected.status_code == 201, connected.text
    connection_id = connected.json()["id"]
    gh.tokens.clear()  # revoked on GitHub

    tested = await client.post(f"/integrations/{connection_id}/test", headers=owner.headers)
    assert tested.json()["connection"]["status"] == "needs_reauth"
    rows = await told(session, owner.org_id)
    assert {r.user_id for r in rows} == {owner.user_id, admin.user_id}  # the admin connected it
    assert all(r.link == "/integrations" and r.email_status == "sent" for r in rows)
    assert {m["To"] for m in mailbox.messages} == {owner.email, admin.email}
    message = mailbox.to(admin.email)[0]
    assert message["Subject"] == "Reconnect GitHub: Engineering"
    assert "http://testserver/integrations" in text_of(message)
    assert TOKEN not in text_of(message) and "Bad credentials" not in text_of(message)

    # Still refused: nothing new to tell.
    await client.post(f"/integrations/{connection_id}/test", headers=owner.headers)
    assert len(await told(session, owner.org_id)) == 2 and len(mailbox.messages) == 2
    editor_list = await client.get("/notifications", headers=editor.headers)
    assert editor_list.json()["items"] == []
    admin_list = (await client.get("/notifications", headers=admin.headers)).json()
    assert [i["kind"] for i in admin_list["items"]] == ["integration.needs_reauth"]


async def test_a_refused_first_connect_is_rolled_back_and_tells_nobody(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member, gh: GitHubFake, mailbox: Mailbox
) -> None:
    refused = await client.post(
        "/integrations/github/connect",
        json={"name": "Engineering", "credentials": {"token": "ghp_wrong"}},
        headers=owner.headers,
    )
    assert refused.status_code == 422, refused.text
    assert await told(session, owner.org_id) == []
    assert mailbox.messages == []
