"""Queries on executions, steps, logs and events, and the one statement that records a new execution."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import ARRAY, Boolean, Select, String, TextClause, bindparam, func, or_, select, text, update

from agentflow.agents import access
from agentflow.auth.subject import AuthSubject
from agentflow.executions.schemas import ExecutionFilters
from agentflow.kit.fastread import FastReader, compile_query
from agentflow.kit.pagination import Page
from agentflow.kit.repository import TenantRepository
from agentflow.models import (
    Agent,
    AgentVersion,
    Execution,
    ExecutionEvent,
    ExecutionLog,
    ExecutionStep,
    TriggeredBy,
)
from agentflow.rbac import Permission

# Every execution is recorded by this statement, on the request's session (execute, test, retry) or on the
# fast reader (webhooks, schedules: fast_repository.py compiles it for asyncpg). ON CONFLICT: a concurrent
# request with the same idempotency key, or a retried scheduled flow run, finds the row already there
# (the caller then looks it up) instead of failing. clock_timestamp(), not now(): a session's transaction
# may have started well before this statement. The lane comes from the version's settings.execution_mode
# (a test run of a draft has no version: always the standard lane).
INSERT_QUEUED: TextClause = text(
    """
    INSERT INTO executions (id, org_id, agent_id, version_id, definition, status, triggered_by,
                            triggered_by_user, idempotency_key, input, prefect_flow_run_id, attempt,
                            total_tokens, total_cost_usd, test_options, created_at, updated_at, lane)
    VALUES (:id, :org_id, :agent_id, :version_id, CAST(CAST(:definition AS text) AS json), 'queued',
            :triggered_by, :user_id, :idempotency_key, CAST(CAST(:input AS text) AS jsonb), :flow_run_id,
            1, 0, 0, CAST(CAST(:test_options AS text) AS jsonb), clock_timestamp(), clock_timestamp(),
            COALESCE((SELECT 'fast' FROM agent_versions v WHERE v.id = :version_id
                      AND v.definition -> 'settings' ->> 'execution_mode' = 'fast'), 'standard'))
    ON CONFLICT DO NOTHING
    RETURNING id
    """
)


def _json(value: Any) -> str:
    try:
        return orjson.dumps(value, default=str).decode()
    except orjson.JSONEncodeError:  # integers beyond 64 bits: Postgres keeps them, orjson refuses them
        return json.dumps(value, default=str)


@dataclass(frozen=True)
class NewExecution:
    """A queued execution about to be recorded: every source fills in this one shape."""

    org_id: uuid.UUID
    agent_id: uuid.UUID
    triggered_by: TriggeredBy
    input: Any
    version_id: uuid.UUID | None = None
    definition: dict[str, Any] | None = None  # a test run's own definition, frozen (it has no version)
    user_id: uuid.UUID | None = None
    idempotency_key: str | None = None
    flow_run_id: uuid.UUID | None = None  # a scheduled run: Prefect created the flow run first
    test_options: dict[str, Any] | None = None  # a test run's per-node preview / sample / send choices

    def params(self) -> dict[str, Any]:
        """INSERT_QUEUED's parameters (a fresh id each time)."""
        return {
            "id": uuid.uuid4(),
            "org_id": self.org_id,
            "agent_id": self.agent_id,
            "version_id": self.version_id,
            "definition": _json(self.definition) if self.definition is not None else None,
            "triggered_by": str(self.triggered_by),
            "user_id": self.user_id,
            "idempotency_key": self.idempotency_key,
            "input": _json(self.input),
            "flow_run_id": self.flow_run_id,
            "test_options": _json(self.test_options) if self.test_options else None,
        }


class ExecutionRepository(TenantRepository[Execution]):
    model = Execution

    def reachable(self, org_id: uuid.UUID, agent_ids: Select[Any] | None) -> Select[Execution]:
        """The org's executions of the agents the caller may read (`agent_ids`, agents/access.py; None:
        every agent)."""
        statement = self.readable(org_id)
        return statement if agent_ids is None else statement.where(Execution.agent_id.in_(agent_ids))

    async def get_reachable(
        self, org_id: uuid.UUID, execution_id: uuid.UUID, agent_ids: Select[Any] | None
    ) -> Execution | None:
        return await self.one_or_none(self.reachable(org_id, agent_ids).where(Execution.id == execution_id))

    async def page_filtered(
        self,
        org_id: uuid.UUID,
        filters: ExecutionFilters,
        *,
        cursor: str | None,
        limit: int,
        agent_ids: Select[Any] | None,
    ) -> Page[Execution]:
        statement = self.reachable(org_id, agent_ids)
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

    async def version_numbers(self, version_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
        """The number of each of these published versions."""
        if not version_ids:
            return {}
        rows = await self.session.execute(
            select(AgentVersion.id, AgentVersion.number).where(AgentVersion.id.in_(version_ids))
        )
        return {version_id: number for version_id, number in rows.all()}

    async def approvals_rejected(
        self, org_id: uuid.UUID, execution_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, bool]:
        """Per execution with a decided approval step: whether any of them was rejected."""
        if not execution_ids:
            return {}
        rejected = ExecutionStep.output["approved"].as_boolean().is_(False)
        rows = await self.session.execute(
            select(ExecutionStep.execution_id, func.bool_or(rejected))
            .where(
                ExecutionStep.org_id == org_id,
                ExecutionStep.execution_id.in_(execution_ids),
                ExecutionStep.node_type == "human.approval",
                ExecutionStep.status == "completed",
            )
            .group_by(ExecutionStep.execution_id)
        )
        return {execution_id: bool(any_rejected) for execution_id, any_rejected in rows.all()}

    async def run_stats(
        self, agent_ids: Sequence[uuid.UUID], *, window: timedelta
    ) -> dict[uuid.UUID, dict[str, Any]]:
        if not agent_ids:
            return {}
        since = datetime.now(UTC) - window
        recent = Execution.created_at >= since
        finished = Execution.status.in_(("completed", "failed", "timed_out"))
        # Test runs try out drafts: they say nothing about how the published agent does.
        real = Execution.triggered_by != TriggeredBy.test
        rows = await self.session.execute(
            select(
                Execution.agent_id,
                func.max(Execution.created_at),
                func.count().filter(recent, finished, real),
                func.count().filter(recent, real, Execution.status == "completed"),
            )
            .where(Execution.agent_id.in_(agent_ids))
            .group_by(Execution.agent_id)
        )
        return {
            agent_id: {"last_run_at": last, "success_rate": (ok / done) if done else None}
            for agent_id, last, done, ok in rows.all()
        }

    async def insert_queued(self, new: NewExecution) -> uuid.UUID | None:
        """Record the execution in the session's transaction; None if one with its key exists already."""
        row = (await self.session.execute(INSERT_QUEUED, new.params())).first()
        return row.id if row is not None else None

    async def by_idempotency_key(self, org_id: uuid.UUID, agent_id: uuid.UUID, key: str) -> Execution | None:
        return await self.one_or_none(
            self.readable(org_id).where(Execution.agent_id == agent_id, Execution.idempotency_key == key)
        )

    async def locked(
        self, org_id: uuid.UUID, execution_id: uuid.UUID, agent_ids: Select[Any] | None
    ) -> Execution | None:
        return await self.one_or_none(
            self.reachable(org_id, agent_ids)
            .where(Execution.id == execution_id)
            .with_for_update(of=Execution)
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

    async def end_unfinished_steps(self, execution_id: uuid.UUID, *, status: str, error: str) -> None:
        """Steps still under way (or waiting for an approval) of an execution that is being ended."""
        await self.session.execute(
            update(ExecutionStep)
            .where(
                ExecutionStep.execution_id == execution_id,
                ExecutionStep.status.in_(("running", "retrying", "waiting")),
            )
            .values(
                status=status,
                error=error,
                error_kind=status if status in ("cancelled", "timed_out") else None,
                finished_at=datetime.now(UTC),
                updated_at=datetime.now(UTC),
            )
        )


# The execution's status if the caller may read its agent (agents/access.py's rule, compiled once).
_STATUS_REACHABLE = compile_query(
    select(Execution.status)
    .join(Agent, Agent.id == Execution.agent_id)
    .where(
        Execution.id == bindparam("execution_id"),
        Execution.org_id == bindparam("org_id"),
        or_(
            bindparam("bypass", type_=Boolean),
            access.rule(bindparam("org_id"), bindparam("user_id"), bindparam("named", type_=ARRAY(String))),
        ),
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

    async def status_reachable(self, subject: AuthSubject, execution_id: uuid.UUID) -> str | None:
        """The execution's status, or None when the caller's org has no such execution (another org's
        included) or it is of a restricted agent the caller may not read."""
        row = await self.reader.fetchrow(
            _STATUS_REACHABLE,
            execution_id=execution_id,
            org_id=subject.org_id,
            user_id=subject.user_id,
            bypass=access.has_bypass(subject),
            named=access.granting(Permission.agents_read),
        )
        return None if row is None else str(row["status"])

    async def events_after(
        self, execution_id: uuid.UUID, *, after: int, limit: int
    ) -> Sequence[dict[str, Any]]:
        """Events with an id above `after`, in order; the same columns `ExecutionRepository.events` reads."""
        rows = await self.reader.fetch(_EVENTS_AFTER, execution_id=execution_id, after=after, limit=limit)
        return [dict(row) for row in rows]
