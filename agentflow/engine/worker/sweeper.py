"""Background duties of every worker: dispatch executions left queued, apply approval timeouts."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import text

from agentflow.engine.control.dispatch import Dispatcher
from agentflow.engine.gateway import PrefectGateway
from agentflow.kit.fastread import FastReader, compile_query

logger = logging.getLogger("agentflow.sweeper")

# Decide overdue approvals atomically (several workers may sweep): the decision is recorded in the row,
# where the resumed run reads it, before the run is woken.
_OVERDUE = compile_query(
    text(
        """
        UPDATE executions e
        SET waiting_for = jsonb_set(
                e.waiting_for,
                '{decision}',
                jsonb_build_object(
                    'approved', e.waiting_for ->> 'on_timeout' = 'approve',
                    'comment', 'No decision before the deadline',
                    'by', NULL, 'at', to_jsonb(now()), 'timed_out', true, 'fields', '{}'::jsonb)),
            updated_at = now()
        WHERE e.id IN (
            SELECT id FROM executions
            WHERE status = 'paused' AND waiting_for IS NOT NULL AND NOT (waiting_for ? 'decision')
              AND CAST(waiting_for ->> 'deadline' AS timestamptz) <= now()
            ORDER BY updated_at LIMIT 50 FOR UPDATE SKIP LOCKED
        )
        RETURNING e.id
        """
    )
)
# Decided but still paused a while later: the wake-up after the decision was lost (Prefect was down, the API
# stopped between its commit and the resume). Waking a run twice is harmless: Prefect refuses the second.
_DECIDED = compile_query(
    text(
        """
        SELECT id FROM executions
        WHERE status = 'paused' AND waiting_for ? 'decision' AND prefect_flow_run_id IS NOT NULL
          AND updated_at < now() - make_interval(secs => :age)
        ORDER BY updated_at LIMIT 50
        """
    )
)


class Sweeper:
    def __init__(self, gateway: PrefectGateway, db: FastReader) -> None:
        self.gateway = gateway
        self.db = db
        self.dispatcher = Dispatcher(gateway, db)

    async def apply_timeouts(self) -> int:
        rows = await self.db.fetch(_OVERDUE)
        for row in rows:
            await self.dispatcher.resume_decided(row["id"])
        return len(rows)

    async def wake_decided(self, *, older_than_seconds: float = 5.0) -> int:
        """Resume paused runs whose decision is recorded but which never woke."""
        rows = await self.db.fetch(_DECIDED, age=older_than_seconds)
        for row in rows:
            await self.dispatcher.resume_decided(row["id"])
        return len(rows)

    async def run_forever(self, interval: float = 2.0) -> None:
        while True:
            try:
                await self.dispatcher.sweep()
                await self.apply_timeouts()
                await self.wake_decided()
            except Exception:
                logger.exception("sweep failed")
            await asyncio.sleep(interval)
