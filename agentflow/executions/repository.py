"""Queries on executions, steps, logs and events."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select

from agentflow.executions.schemas import ExecutionFilters
from agentflow.kit.fastread import FastReader, compile_query
from agentflow.kit.pagination import Page
from agentflow.kit.repository import TenantRepository
from agentflow.models import Execution, ExecutionEvent, ExecutionLog, ExecutionStep


class ExecutionRepository(TenantRepository[Execution]):
    model = Execution

    async def page_filtered(
        self, org_id: uuid.UUID, filters: ExecutionFilters, *, cursor: str | None, limit: int
    ) -> Page[Execution]:
        statement = self.readable(org_id)
        if filters.agent_id is not None:
            statement = statement.where(Execution.agent_id == filters.agent_id)
        if filters.status is not None:
            statement = statement.where(Execution.status == filters.status)
        if filters.triggered_by is not None:
            statement = statement.where(Execution.triggered_by == filters.triggered_by)
        if filters.since is not None:
            statement = statement.where(Execution.created_at >= filters.since)
        if filters.until is not None:
            statement = statement.where(Execution.created_at < filters.until)
        return await self.page(statement, cursor=cursor, limit=limit)

    async def run_stats(
        self, agent_ids: Sequence[uuid.UUID], *, window: timedelta
    ) -> dict[uuid.UUID, dict[str, Any]]:
        if not agent_ids:
            return {}
        since = datetime.now(UTC) - window
        recent = Execution.created_at >= since
        finished = Execution.status.in_(("completed", "failed", "timed_out"))
        rows = await self.session.execute(
            select(
                Execution.agent_id,
                func.max(Execution.created_at),
                func.count().filter(recent, finished),
                func.count().filter(recent, Execution.status == "completed"),
            )
            .where(Execution.agent_id.in_(agent_ids))
            .group_by(Execution.agent_id)
        )
        return {
            agent_id: {"last_run_at": last, "success_rate": (ok / done) if done else None}
            for agent_id, last, done, ok in rows.all()
        }

    async def by_idempotency_key(self, org_id: uuid.UUID, agent_id: uuid.UUID, key: str) -> Execution | None:
        return await self.one_or_none(
            self.readable(org_id).where(Execution.agent_id == agent_id, Execution.idempotency_key == key)
        )

    async def locked(self, org_id: uuid.UUID, execution_id: uuid.UUID) -> Execution | None:
        return await self.one_or_none(
            self.readable(org_id).where(Execution.id == execution_id).with_for_update()
        )

    async def steps(self, execution_id: uuid.UUID) -> Sequence[ExecutionStep]:
        return await self.all(
            select(ExecutionStep)
            .where(ExecutionStep.execution_id == execution_id)
            .order_by(ExecutionStep.created_at, ExecutionStep.step_key)
        )

    async def logs(self, execution_id: uuid.UUID, *, after: int, limit: int) -> Sequence[ExecutionLog]:
        return await self.all(
            select(ExecutionLog)
            .where(ExecutionLog.execution_id == execution_id, ExecutionLog.id > after)
            .order_by(ExecutionLog.id)
            .limit(limit)
        )

    async def events(self, execution_id: uuid.UUID, *, after: int, limit: int) -> Sequence[ExecutionEvent]:
        return await self.all(
            select(ExecutionEvent)
            .where(ExecutionEvent.execution_id == execution_id, ExecutionEvent.id > after)
            .order_by(ExecutionEvent.id)
            .limit(limit)
        )


_STATUS_IN_ORG = compile_query(
    select(Execution.status).where(
        Execution.id == bindparam("execution_id"), Execution.org_id == bindparam("org_id")
    )
)
_EVENTS_AFTER = compile_query(
    select(
        ExecutionEvent.id,
        ExecutionEvent.type,
        ExecutionEvent.node_id,
        ExecutionEvent.step_key,
        ExecutionEvent.data,
        ExecutionEvent.created_at,
    )
    .where(ExecutionEvent.execution_id == bindparam("execution_id"), ExecutionEvent.id > bindparam("after"))
    .order_by(ExecutionEvent.id)
    .limit(bindparam("limit"))
)


class ExecutionStreamRepository:
    """The live stream's reads, on the fast reader: a stream stays open for minutes and must not hold a
    session (a pooled connection) while it waits for the next event."""

    def __init__(self, reader: FastReader) -> None:
        self.reader = reader

    async def status_in_org(self, org_id: uuid.UUID, execution_id: uuid.UUID) -> str | None:
        """The execution's status, or None when the org has no such execution (another org's included)."""
        row = await self.reader.fetchrow(_STATUS_IN_ORG, execution_id=execution_id, org_id=org_id)
        return None if row is None else str(row["status"])

    async def events_after(
        self, execution_id: uuid.UUID, *, after: int, limit: int
    ) -> Sequence[dict[str, Any]]:
        """Events with an id above `after`, in order; the same columns `ExecutionRepository.events` reads."""
        rows = await self.reader.fetch(_EVENTS_AFTER, execution_id=execution_id, after=after, limit=limit)
        return [dict(row) for row in rows]
