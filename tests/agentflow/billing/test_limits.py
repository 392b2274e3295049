"""The limit checks' cost: none with billing off; on the fast path, a count only when the cached one cannot
decide. And the thresholds the notifications read."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.billing.limits import Crossing, PlanLimits
from agentflow.billing.plans import LimitName
from agentflow.config import Settings
from agentflow.errors import PlanLimitReached
from agentflow.kit.fastread import CompiledQuery, ConnectionReader
from tests.factories import create_agent, create_org_with_owner
from tests.support.billing import seed_executions


class CountingReader:
    """The test connection's reader, counting the statements it runs."""

    def __init__(self, inner: ConnectionReader) -> None:
        self.inner = inner
        self.statements = 0

    async def fetchrow(self, query: CompiledQuery, **values: Any) -> asyncpg.Record | None:
        self.statements += 1
        return await self.inner.fetchrow(query, **values)

    async def fetch(self, query: CompiledQuery, **values: Any) -> Sequence[asyncpg.Record]:
        self.statements += 1
        return await self.inner.fetch(query, **values)

    async def execute(self, query: CompiledQuery, **values: Any) -> None:
        self.statements += 1
        await self.inner.execute(query, **values)


async def reader_of(session: AsyncSession) -> CountingReader:
    raw = await (await session.connection()).get_raw_connection()
    return CountingReader(ConnectionReader(raw.driver_connection))


async def test_billing_off_checks_make_no_query(session: AsyncSession) -> None:
    limits = PlanLimits(billing_enabled=False, public_url="http://testserver")
    statements: list[str] = []
    connection = (await session.connection()).sync_connection
    assert connection is not None
    event.listen(connection, "before_cursor_execute", lambda *args: statements.append(args[2]))
    reader = await reader_of(session)
    for limit in LimitName:
        await limits.check(session, org_id=uuid.uuid4(), limit=limit)
    await limits.check_execution_fast(reader, org_id=uuid.uuid4(), stored_plan="free")
    assert await limits.crossed_thresholds(session, org_id=uuid.uuid4()) == []
    assert statements == [] and reader.statements == 0


async def test_fast_check_counts_only_when_the_cached_figure_cannot_decide(
    session: AsyncSession, settings: Settings
) -> None:
    now = [0.0]
    limits = PlanLimits(billing_enabled=True, public_url="http://testserver", clock=lambda: now[0])
    owner = await create_org_with_owner(session, settings)
    agent_id = await create_agent(session, owner)
    reader = await reader_of(session)
    await seed_executions(session, owner.org_id, agent_id, 500)

    await limits.check_execution_fast(reader, org_id=owner.org_id, stored_plan="free")
    assert reader.statements == 1
    for _ in range(10):  # far from 1,000: the cached count decides
        await limits.check_execution_fast(reader, org_id=owner.org_id, stored_plan="free")
    assert reader.statements == 1
    now[0] += 6  # stale: counted again
    await limits.check_execution_fast(reader, org_id=owner.org_id, stored_plan="free")
    assert reader.statements == 2

    await seed_executions(session, owner.org_id, agent_id, 450)  # 950: within the last tenth
    now[0] += 6
    for expected in (3, 4):  # every start counts again
        await limits.check_execution_fast(reader, org_id=owner.org_id, stored_plan="free")
        assert reader.statements == expected

    await seed_executions(session, owner.org_id, agent_id, 50)  # 1,000
    with pytest.raises(PlanLimitReached) as refused:
        await limits.check_execution_fast(reader, org_id=owner.org_id, stored_plan="free")
    assert refused.value.details["used"] == 1000
    with pytest.raises(PlanLimitReached):  # still refused from the cache, no statement
        await limits.check_execution_fast(reader, org_id=owner.org_id, stored_plan="free")
    assert reader.statements == 5
    await limits.check_execution_fast(reader, org_id=owner.org_id, stored_plan="starter")  # upgraded


async def test_crossed_thresholds_names_each_limit_at_80_or_100_percent(
    session: AsyncSession, settings: Settings
) -> None:
    limits = PlanLimits(billing_enabled=True, public_url="http://testserver")
    owner = await create_org_with_owner(session, settings)
    agents = [await create_agent(session, owner) for _ in range(3)]
    await seed_executions(session, owner.org_id, agents[0], 800)

    crossed = await limits.crossed_thresholds(session, org_id=owner.org_id)
    assert {(c.limit, c.threshold, c.used, c.allowed) for c in crossed} == {
        (LimitName.agents, 100, 3, 3),
        (LimitName.executions, 80, 800, 1000),
    }
    assert all(isinstance(c, Crossing) and c.period == limits.period() for c in crossed)
