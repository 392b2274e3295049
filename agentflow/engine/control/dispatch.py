"""Turning queued executions into Prefect flow runs: right after the trigger, and by a sweeper for any the
API could not dispatch (Prefect briefly down, the API process stopped between commit and dispatch)."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import text

from agentflow.engine.events import FAST_LANE_CHANNEL
from agentflow.engine.gateway import PrefectGateway
from agentflow.errors import AgentFlowError, ServiceUnavailable
from agentflow.kit.fastread import FastReader, compile_query

logger = logging.getLogger("agentflow.dispatch")

_PENDING = compile_query(
    text(
        """
        SELECT e.id, e.org_id, e.agent_id, e.version_id, e.triggered_by, e.lane, a.prefect_deployment_id,
               a.name AS agent_name, o.slug AS org_slug
        FROM executions e JOIN agents a ON a.id = e.agent_id JOIN organizations o ON o.id = e.org_id
        WHERE e.id = :execution_id AND e.status = 'queued' AND e.prefect_flow_run_id IS NULL
        """
    )
)
_SET_RUN = compile_query(
    text(
        """
        UPDATE executions SET prefect_flow_run_id = :flow_run_id, updated_at = now()
        WHERE id = :execution_id AND prefect_flow_run_id IS NULL
        """
    )
)
# Wakes the workers' fast lanes (they claim the execution themselves).
_WAKE_FAST_LANE = compile_query(text("SELECT pg_notify(:channel, '')"))
_DECIDED = compile_query(
    text(
        """
        SELECT prefect_flow_run_id FROM executions
        WHERE id = :execution_id AND status = 'paused' AND waiting_for ? 'decision'
          AND prefect_flow_run_id IS NOT NULL
        """
    )
)
_STRANDED = compile_query(
    text(
        """
        SELECT id FROM executions
        WHERE status = 'queued' AND prefect_flow_run_id IS NULL AND lane = 'standard'
          AND created_at < now() - make_interval(secs => :age)
        ORDER BY created_at LIMIT 100
        """
    )
)


class Dispatcher:
    def __init__(self, gateway: PrefectGateway, db: FastReader) -> None:
        self.gateway = gateway
        self.db = db

    async def dispatch(self, execution_id: uuid.UUID) -> uuid.UUID | None:
        """Create the flow run of a queued execution; None if there is nothing (left) to do, or the
        execution is the fast lane's (its workers are woken instead)."""
        row = await self.db.fetchrow(_PENDING, execution_id=execution_id)
        if row is None:
            return None
        if row["lane"] == "fast":
            await self.db.execute(_WAKE_FAST_LANE, channel=FAST_LANE_CHANNEL)
            return None
        if row["triggered_by"] == "test":
            deployment_id = await self.gateway.test_deployment()
        else:
            deployment_id = row["prefect_deployment_id"]
            if deployment_id is None:
                logger.error("execution %s: agent %s has no deployment", execution_id, row["agent_id"])
                return None
        flow_run_id = await self.gateway.create_run(
            deployment_id,
            execution_id=execution_id,
            org_id=row["org_id"],
            agent_id=row["agent_id"],
            version_id=row["version_id"],
            triggered_by=row["triggered_by"],
            agent_name=row["agent_name"],
            org_slug=row["org_slug"],
        )
        await self.db.execute(_SET_RUN, execution_id=execution_id, flow_run_id=flow_run_id)
        return flow_run_id

    async def dispatch_quietly(self, execution_id: uuid.UUID) -> None:
        """For background tasks: a failure leaves the execution queued for the sweeper."""
        try:
            await self.dispatch(execution_id)
        except ServiceUnavailable as exc:
            logger.warning("execution %s stays queued: %s", execution_id, exc.message)
        except Exception:
            logger.exception("execution %s stays queued", execution_id)

    async def resume_decided(self, execution_id: uuid.UUID) -> None:
        """Wake a paused run whose decision is committed (a background task after the approve request);
        a failure leaves it for the sweeper, which wakes decided runs that stay paused."""
        row = await self.db.fetchrow(_DECIDED, execution_id=execution_id)
        if row is None:
            return
        try:
            await self.gateway.resume(row["prefect_flow_run_id"])
        except AgentFlowError as exc:
            logger.warning("execution %s: the resume waits for the sweeper: %s", execution_id, exc.message)

    async def sweep(self, *, older_than_seconds: float = 3.0) -> int:
        rows = await self.db.fetch(_STRANDED, age=older_than_seconds)
        for row in rows:
            await self.dispatch_quietly(row["id"])
        return len(rows)
