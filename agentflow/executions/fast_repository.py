"""The executions queries of the hot paths that run without an ORM session: the webhook front door (the
benchmarked one: two statements per delivery, a third for a timestamped signature) and the worker's
scheduled runs. asyncpg directly (see kit/fastread.py), SQL compiled once at import."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from agentflow.billing.period import Period
from agentflow.billing.usage_repository import subscription_period
from agentflow.executions.repository import INSERT_QUEUED, NewExecution
from agentflow.kit.fastread import CompiledQuery, FastReader, compile_query


def _q(sql: str) -> CompiledQuery:
    return compile_query(text(sql))


_INSERT_QUEUED = compile_query(INSERT_QUEUED)
# The agent behind a webhook URL with the version that runs (none: never published, nothing to run), and
# its org's plan and subscription period, so the plan-limit check needs no statement of its own.
_WEBHOOK_AGENT = _q(
    """
    SELECT a.id, a.org_id, a.status, v.id AS version_id, v.definition, o.plan,
           b.current_period_start AS period_start, b.current_period_end AS period_end
    FROM agents a JOIN agent_versions v ON v.agent_id = a.id AND v.number = a.current_version
    JOIN organizations o ON o.id = a.org_id
    LEFT JOIN billing_accounts b ON b.org_id = a.org_id AND b.status IN ('active', 'trialing', 'past_due')
    WHERE a.webhook_token = :token
    """
)
# The agent a scheduled flow run names, only with a version of its own, and its org's plan.
_SCHEDULED_AGENT = _q(
    """
    SELECT a.org_id, a.status, a.prefect_deployment_id, o.plan,
           v.definition -> 'settings' ->> 'execution_mode' = 'fast' AS fast,
           b.current_period_start AS period_start, b.current_period_end AS period_end
    FROM agents a JOIN agent_versions v ON v.id = :version_id AND v.agent_id = a.id
    JOIN organizations o ON o.id = a.org_id
    LEFT JOIN billing_accounts b ON b.org_id = a.org_id AND b.status IN ('active', 'trialing', 'past_due')
    WHERE a.id = :agent_id
    """
)
_BY_KEY = _q("SELECT id FROM executions WHERE agent_id = :agent_id AND idempotency_key = :idempotency_key")
_BY_FLOW_RUN = _q("SELECT id FROM executions WHERE prefect_flow_run_id = :flow_run_id")
# Record the delivery id unless already seen; the same statement purges a few of this agent's expired ids
# (SKIP LOCKED: concurrent deliveries never wait on each other's purge).
_CLAIM = _q(
    """
    WITH expired AS (
        SELECT agent_id, delivery_id FROM webhook_deliveries
        WHERE org_id = :org_id AND agent_id = :agent_id
          AND received_at < now() - make_interval(secs => :keep_seconds)
        ORDER BY received_at LIMIT 20
        FOR UPDATE SKIP LOCKED
    ), purged AS (
        DELETE FROM webhook_deliveries d USING expired e
        WHERE d.agent_id = e.agent_id AND d.delivery_id = e.delivery_id
    )
    INSERT INTO webhook_deliveries (org_id, agent_id, delivery_id, received_at)
    VALUES (:org_id, :agent_id, :delivery_id, now())
    ON CONFLICT (agent_id, delivery_id) DO NOTHING
    RETURNING delivery_id
    """
)


@dataclass(frozen=True)
class WebhookAgent:
    id: uuid.UUID
    org_id: uuid.UUID
    status: str
    version_id: uuid.UUID
    definition: dict[str, Any]
    plan: str  # the org's stored plan
    subscription: Period | None  # a paying org's current subscription period


@dataclass(frozen=True)
class ScheduledAgent:
    org_id: uuid.UUID
    status: str
    deployment_id: uuid.UUID | None
    plan: str  # the org's stored plan
    subscription: Period | None  # a paying org's current subscription period
    fast: bool = False  # the version's execution_mode is `fast`


class FastExecutionRepository:
    def __init__(self, db: FastReader) -> None:
        self.db = db

    async def webhook_agent(self, token: str) -> WebhookAgent | None:
        row = await self.db.fetchrow(_WEBHOOK_AGENT, token=token)
        if row is None:
            return None
        return WebhookAgent(
            id=row["id"],
            org_id=row["org_id"],
            status=row["status"],
            version_id=row["version_id"],
            definition=row["definition"],
            plan=row["plan"],
            subscription=subscription_period(row["period_start"], row["period_end"]),
        )

    async def scheduled_agent(self, agent_id: uuid.UUID, version_id: uuid.UUID) -> ScheduledAgent | None:
        row = await self.db.fetchrow(_SCHEDULED_AGENT, agent_id=agent_id, version_id=version_id)
        if row is None:
            return None
        return ScheduledAgent(
            org_id=row["org_id"],
            status=row["status"],
            deployment_id=row["prefect_deployment_id"],
            plan=row["plan"],
            subscription=subscription_period(row["period_start"], row["period_end"]),
            fast=bool(row["fast"]),
        )

    async def insert_queued(self, new: NewExecution) -> uuid.UUID | None:
        """Record the execution (committed at once); None if one with its key or flow run exists."""
        row = await self.db.fetchrow(_INSERT_QUEUED, **new.params())
        return uuid.UUID(str(row["id"])) if row is not None else None

    async def id_by_idempotency_key(self, agent_id: uuid.UUID, key: str) -> uuid.UUID | None:
        row = await self.db.fetchrow(_BY_KEY, agent_id=agent_id, idempotency_key=key)
        return uuid.UUID(str(row["id"])) if row is not None else None

    async def id_by_flow_run(self, flow_run_id: uuid.UUID) -> uuid.UUID | None:
        row = await self.db.fetchrow(_BY_FLOW_RUN, flow_run_id=flow_run_id)
        return uuid.UUID(str(row["id"])) if row is not None else None

    async def claim_delivery(
        self, org_id: uuid.UUID, agent_id: uuid.UUID, delivery_id: str, *, keep_seconds: float
    ) -> bool:
        """Record a signed delivery's id; False when it was already received."""
        row = await self.db.fetchrow(
            _CLAIM, org_id=org_id, agent_id=agent_id, delivery_id=delivery_id, keep_seconds=keep_seconds
        )
        return row is not None
