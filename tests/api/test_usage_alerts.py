"""Usage notifications from the limit checks: 80 % and 100 % of a plan limit tell owners and admins, once."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.config import Settings
from agentflow.rbac import Role
from tests.api.test_triggers import published
from tests.factories import Member, add_member, create_agent
from tests.support.billing import bill, seed_executions


@pytest.fixture
def billed(app: FastAPI, settings: Settings) -> Settings:
    return bill(app, settings)


async def usage_notices(client: httpx.AsyncClient, member: Member) -> list[dict[str, Any]]:
    listed = await client.get("/notifications", headers=member.headers)
    assert listed.status_code == 200, listed.text
    return [item for item in listed.json()["items"] if item["kind"] == "usage.threshold"]


async def test_the_last_agent_of_the_plan_notifies_owners_and_admins_once(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member, billed: Settings
) -> None:
    admin = await add_member(session, settings, owner.org_id, Role.admin)
    editor = await add_member(session, settings, owner.org_id, Role.editor)
    await create_agent(session, owner)
    second = await client.post("/agents", json={"name": "Second"}, headers=owner.headers)
    assert second.status_code == 201, second.text
    assert await usage_notices(client, owner) == []  # 2 of 3 is under 80 %

    third = await client.post("/agents", json={"name": "Third"}, headers=owner.headers)
    assert third.status_code == 201, third.text
    for member in (owner, admin):
        notices = await usage_notices(client, member)
        assert len(notices) == 1, notices
        assert notices[0]["title"] == "Plan limit reached: agents"
        assert notices[0]["link"] == "/settings/billing"
    assert await usage_notices(client, editor) == []

    # Archiving and restoring the same place again notifies nobody twice.
    status = f"/agents/{third.json()['id']}/status"
    await client.put(status, json={"status": "archived"}, headers=owner.headers)
    restored = await client.put(status, json={"status": "draft"}, headers=owner.headers)
    assert restored.status_code == 200, restored.text
    assert len(await usage_notices(client, owner)) == 1


async def test_executions_reaching_80_percent_notify_in_app(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member, billed: Settings
) -> None:
    agent_id = await published(client, session, owner)
    await seed_executions(session, owner.org_id, agent_id, 798)
    execute = f"/agents/{agent_id}/execute"
    body = {"input": {"text": "hi"}}
    assert (await client.post(execute, json=body, headers=owner.headers)).status_code == 202  # 799
    assert await usage_notices(client, owner) == []
    for _ in range(2):  # the 800th reaches 80 %; the 801st is past it and says nothing new
        assert (await client.post(execute, json=body, headers=owner.headers)).status_code == 202
    notices = await usage_notices(client, owner)
    assert len(notices) == 1, notices
    assert "80 %" in notices[0]["title"] and "executions" in notices[0]["title"]
