"""Plan limits enforced with billing on (a free org): every limit's 402 body, the webhook's 429, what is
not counted, and that nothing is recorded by a refusal."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.billing.plans import MiB
from agentflow.config import Settings
from agentflow.executions.triggers import trigger_service
from agentflow.kit.fastread import FastReader
from agentflow.rbac import Role
from tests.api.test_triggers import published, webhook_token
from tests.factories import Member, add_member, create_agent, create_org_with_owner
from tests.support.billing import UPGRADE_URL, bill, executions_in_org, seed_executions, set_plan


def refused(response: httpx.Response, limit: str, used: int, allowed: int, *, status: int = 402) -> None:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == "plan_limit_reached"
    assert error["details"] == {"limit": limit, "used": used, "allowed": allowed, "upgrade_url": UPGRADE_URL}
    assert "upgrade" in error["message"]


@pytest.fixture
def billed(app: FastAPI, settings: Settings) -> Settings:
    # A large operator cap on knowledge, so the plan's 100 MB is what refuses.
    return bill(app, settings, knowledge_max_org_bytes=1024 * MiB)


async def test_creating_a_fourth_agent_on_free_is_refused_on_every_path(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member, billed: Settings
) -> None:
    first = await create_agent(session, owner)
    await create_agent(session, owner)
    third = await create_agent(session, owner)

    refused(await client.post("/agents", json={"name": "Fourth"}, headers=owner.headers), "agents", 3, 3)
    refused(await client.post(f"/agents/{first}/duplicate", json={}, headers=owner.headers), "agents", 3, 3)
    exported = await client.get(f"/agents/{first}/export", headers=owner.headers)
    imported = await client.post(
        "/agents/import",
        content=exported.content,
        headers={**owner.headers, "Content-Type": "application/yaml"},
    )
    refused(imported, "agents", 3, 3)
    assert (await client.get("/agents", headers=owner.headers)).json()["items"].__len__() == 3

    # An archived agent frees its place; restoring it needs the place back.
    archive = await client.put(f"/agents/{third}/status", json={"status": "archived"}, headers=owner.headers)
    assert archive.status_code == 200, archive.text
    assert (await client.post("/agents", json={"name": "Fourth"}, headers=owner.headers)).status_code == 201
    restore = await client.put(f"/agents/{third}/status", json={"status": "draft"}, headers=owner.headers)
    refused(restore, "agents", 3, 3)


async def test_a_paid_plan_allows_more_and_another_org_is_not_counted(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member, settings: Settings, billed: Settings
) -> None:
    other = await create_org_with_owner(session, settings, name="Org B")
    for _ in range(3):
        await create_agent(session, other)
    # Org B is full; org A is not held to B's agents.
    assert (await client.post("/agents", json={"name": "A1"}, headers=owner.headers)).status_code == 201
    refused(await client.post("/agents", json={"name": "B4"}, headers=other.headers), "agents", 3, 3)
    await set_plan(session, other.org_id, "starter")
    assert (await client.post("/agents", json={"name": "B4"}, headers=other.headers)).status_code == 201


async def test_executions_over_the_month_are_refused_but_test_runs_are_not_counted(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member, billed: Settings
) -> None:
    agent_id = await published(client, session, owner)
    await seed_executions(session, owner.org_id, agent_id, 998)
    # Neither test runs nor runs other agents started as tools count.
    await seed_executions(session, owner.org_id, agent_id, 5, triggered_by="test")
    await seed_executions(session, owner.org_id, agent_id, 5, triggered_by="agent")
    execute = f"/agents/{agent_id}/execute"
    body = {"input": {"text": "hi"}}

    assert (await client.post(execute, json=body, headers=owner.headers)).status_code == 202
    assert (
        await client.post(f"/agents/{agent_id}/test", json=body, headers=owner.headers)
    ).status_code == 202
    assert (await client.post(execute, json=body, headers=owner.headers)).status_code == 202  # the 1000th
    before = await executions_in_org(session, owner.org_id)

    refused(await client.post(execute, json=body, headers=owner.headers), "executions", 1000, 1000)
    failed = await session.scalar(
        text(
            "UPDATE executions SET status = 'failed', prefect_flow_run_id = gen_random_uuid() "
            "WHERE id = (SELECT id FROM executions WHERE agent_id = :id AND triggered_by = 'api' LIMIT 1) "
            "RETURNING id"
        ),
        {"id": agent_id},
    )
    rerun = await client.post(
        f"/executions/{failed}/retry", json={"from_failed": False}, headers=owner.headers
    )
    refused(rerun, "executions", 1000, 1000)
    # A test run is never refused: building goes on when the month's runs are used up.
    assert (
        await client.post(f"/agents/{agent_id}/test", json=body, headers=owner.headers)
    ).status_code == 202
    assert await executions_in_org(session, owner.org_id) == before + 1


async def test_a_webhook_over_the_limit_answers_429_and_records_nothing(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member, billed: Settings
) -> None:
    agent_id = await published(client, session, owner)
    token = await webhook_token(client, owner, agent_id)
    await seed_executions(session, owner.org_id, agent_id, 999)
    assert (await client.post(f"/hooks/{token}", json={"text": "last one"})).status_code == 202
    before = await executions_in_org(session, owner.org_id)

    over = await client.post(f"/hooks/{token}", json={"text": "one too many"})
    refused(over, "executions", 1000, 1000, status=429)
    assert await executions_in_org(session, owner.org_id) == before

    await set_plan(session, owner.org_id, "starter")  # upgraded: the next delivery runs
    assert (await client.post(f"/hooks/{token}", json={"text": "after upgrade"})).status_code == 202


async def test_a_scheduled_run_over_the_limit_does_not_run_and_is_logged(
    client: httpx.AsyncClient,
    session: AsyncSession,
    owner: Member,
    app: FastAPI,
    billed: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    agent_id = await published(client, session, owner)
    deployment_id = uuid.uuid4()
    version_id = await session.scalar(
        text("SELECT id FROM agent_versions WHERE agent_id = :id ORDER BY number DESC LIMIT 1"),
        {"id": agent_id},
    )
    await session.execute(
        text("UPDATE agents SET status = 'active', prefect_deployment_id = :d WHERE id = :id"),
        {"d": deployment_id, "id": agent_id},
    )
    await seed_executions(session, owner.org_id, agent_id, 1000)
    reader: FastReader = app.state.reader
    before = await executions_in_org(session, owner.org_id)

    with caplog.at_level(logging.WARNING, logger="agentflow.executions"):
        skipped = await trigger_service.schedule(
            reader,
            limits=app.state.limits,
            agent_id=agent_id,
            version_id=version_id,
            flow_run_id=uuid.uuid4(),
            deployment_id=deployment_id,
            scheduled_at=None,
        )
    assert skipped is None
    assert await executions_in_org(session, owner.org_id) == before
    (record,) = [r for r in caplog.records if "plan's executions limit" in r.getMessage()]
    assert record.__dict__["org_id"] == str(owner.org_id) and record.__dict__["allowed"] == 1000


def _files(*items: tuple[str, bytes]) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("files", (name, data, "application/octet-stream")) for name, data in items]


async def test_uploads_that_would_pass_the_plans_storage_are_refused(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member, billed: Settings
) -> None:
    kb = (await client.post("/knowledge-bases", json={"name": "Handbook"}, headers=owner.headers)).json()
    allowed = 100 * MiB
    await session.execute(
        text("UPDATE knowledge_bases SET bytes_used = :used WHERE id = :id"),
        {"used": allowed - 40, "id": kb["id"]},
    )
    upload = f"/knowledge-bases/{kb['id']}/documents"
    small, large = b"# FAQ\n\nShort answer.\n", b"# FAQ\n\n" + b"A longer answer. " * 4

    refused(
        await client.post(upload, files=_files(("big.md", large)), headers=owner.headers),
        "knowledge_bytes",
        allowed - 40,
        allowed,
    )
    assert (
        await client.post(upload, files=_files(("faq.md", small)), headers=owner.headers)
    ).status_code == 201

    # Full: a URL is refused before it is fetched (this address would only fail).
    await session.execute(
        text("UPDATE knowledge_bases SET bytes_used = :used WHERE id = :id"),
        {"used": allowed, "id": kb["id"]},
    )
    by_url = await client.post(
        f"{upload}/url", json={"url": "http://127.0.0.1:9/page"}, headers=owner.headers
    )
    refused(by_url, "knowledge_bytes", allowed, allowed)


async def test_inviting_past_the_plans_seats_is_refused_and_pending_invitations_hold_seats(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member, settings: Settings, billed: Settings
) -> None:
    await add_member(session, settings, owner.org_id, Role.editor)
    invite = "/org/members/invite"
    first = await client.post(
        invite, json={"email": "first@example.com", "role": "viewer"}, headers=owner.headers
    )
    assert first.status_code == 201, first.text

    refused(
        await client.post(
            invite, json={"email": "second@example.com", "role": "viewer"}, headers=owner.headers
        ),
        "seats",
        3,
        3,
    )
    # Inviting the same person again replaces their invitation: no new seat.
    again = await client.post(
        invite, json={"email": "first@example.com", "role": "editor"}, headers=owner.headers
    )
    assert again.status_code == 201, again.text
    # A revoked invitation frees its seat.
    revoked = await client.delete(f"/org/invitations/{again.json()['id']}", headers=owner.headers)
    assert revoked.status_code == 204, revoked.text
    second = await client.post(
        invite, json={"email": "second@example.com", "role": "viewer"}, headers=owner.headers
    )
    assert second.status_code == 201, second.text
