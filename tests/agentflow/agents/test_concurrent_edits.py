"""Edits of one agent in truly concurrent transactions: the row lock makes the second see the first.

These tests commit (two transactions cannot see each other's uncommitted rows), so they build their own
organization and delete it afterwards.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable

import pytest
from sqlalchemy import delete, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from agentflow.agents.schemas import AgentUpdate
from agentflow.agents.service import agent_service
from agentflow.config import Settings
from agentflow.errors import Conflict
from agentflow.models import Agent, AgentVersion, Organization, User
from tests.factories import Member, create_agent, create_org_with_owner, triage_definition


@pytest.fixture
async def committed(engine: AsyncEngine, settings: Settings) -> AsyncIterator[tuple[Member, uuid.UUID]]:
    async with AsyncSession(engine, expire_on_commit=False) as setup:
        owner = await create_org_with_owner(setup, settings, name=f"Concurrent {uuid.uuid4().hex[:6]}")
        agent_id = await create_agent(setup, owner)
        await setup.commit()
    try:
        yield owner, agent_id
    finally:
        async with AsyncSession(engine) as cleanup:
            await cleanup.execute(delete(Organization).where(Organization.id == owner.org_id))
            await cleanup.execute(delete(User).where(User.id == owner.user_id))
            await cleanup.commit()


async def backend_pid(session: AsyncSession) -> int:
    return int((await session.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def blocked(engine: AsyncEngine, pid: int, task: asyncio.Task[object]) -> bool:
    """True once Postgres shows the session `pid` waiting on a lock while its task has not finished: the
    second edit really queued behind the first (seen in the server's state, not guessed from a pause)."""
    async with engine.connect() as watcher:
        for _ in range(500):
            if task.done():
                return False
            waiting = await watcher.scalar(
                text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
            )
            if waiting == "Lock":
                return not task.done()
            await asyncio.sleep(0.02)
    return False


async def run(awaitable: Awaitable[object]) -> object:
    return await awaitable


async def test_second_of_two_concurrent_edits_with_the_same_revision_loses(
    engine: AsyncEngine, committed: tuple[Member, uuid.UUID]
) -> None:
    owner, agent_id = committed
    async with AsyncSession(engine, expire_on_commit=False) as first, AsyncSession(engine) as second:
        await agent_service.update(
            first, subject=owner.subject, agent_id=agent_id, body=AgentUpdate(name="First"), if_match=1
        )
        pid = await backend_pid(second)
        late = asyncio.create_task(
            run(
                agent_service.update(
                    second,
                    subject=owner.subject,
                    agent_id=agent_id,
                    body=AgentUpdate(name="Second"),
                    if_match=1,
                )
            )
        )
        assert await blocked(engine, pid, late)
        await first.commit()
        with pytest.raises(Conflict) as caught:
            await late
        assert caught.value.code == "edit_conflict" and caught.value.details["current_revision"] == 2
        await second.rollback()
    async with AsyncSession(engine) as check:
        agent = await check.get(Agent, agent_id)
        assert agent is not None and agent.name == "First" and agent.draft_revision == 2


async def test_concurrent_publishes_make_one_version(
    engine: AsyncEngine, committed: tuple[Member, uuid.UUID]
) -> None:
    owner, agent_id = committed
    async with AsyncSession(engine, expire_on_commit=False) as first, AsyncSession(engine) as second:
        version = await agent_service.publish(first, subject=owner.subject, agent_id=agent_id, message="a")
        pid = await backend_pid(second)
        late = asyncio.create_task(
            run(agent_service.publish(second, subject=owner.subject, agent_id=agent_id, message="b"))
        )
        assert await blocked(engine, pid, late)
        await first.commit()
        with pytest.raises(Conflict) as caught:
            await late
        assert caught.value.code == "nothing_to_publish"
        await second.rollback()
    assert version.number == 1
    async with AsyncSession(engine) as check:
        versions = (await check.execute(AgentVersion.__table__.select())).all()
        mine = [row for row in versions if row.agent_id == agent_id]
        assert [row.number for row in mine] == [1]
        assert mine[0].definition == triage_definition()
