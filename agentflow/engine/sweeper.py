"""Background duties of every worker: dispatch executions left queued, apply approval timeouts."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import text

from agentflow.engine.dispatch import Dispatcher
from agentflow.engine.gateway import PrefectGateway
from agentflow.errors import AgentFlowError
from agentflow.kit.fastread import FastReader, compile_query

logger = logging.getLogger("agentflow.sweeper")

# Claim overdue approvals atomically (several workers may sweep): the decision is written first.
_OVERDUE = compile_query(
    text(
        """
        UPDATE executions e
        SET waiting_for = jsonb_set(e.waiting_for, '{decision}', CAST(CAST(:decision AS text) AS jsonb)),
            updated_at = now()
        WHERE e.id IN (
            SELECT id FROM executions
            WHERE status = 'paused' AND waiting_for IS NOT NULL AND NOT (waiting_for ? 'decision')
              AND CAST(waiting_for ->> 'deadline' AS timestamptz) <= now()
            ORDER BY updated_at LIMIT 50 FOR UPDATE SKIP LOCKED
        )
        RETURNING e.id, e.prefect_flow_run_id, e.waiting_for
        """
    )
)


def timeout_decision(on_timeout: str) -> dict[str, Any]:
    return {
        "approved": on_timeout == "approve",
        "comment": "No decision before the deadline",
        "by": None,
        "at": datetime.now(UTC).isoformat(),
        "timed_out": True,
        "fields": {},
    }


class Sweeper:
    def __init__(self, gateway: PrefectGateway, db: FastReader) -> None:
        self.gateway = gateway
        self.db = db
        self.dispatcher = Dispatcher(gateway, db)

    async def apply_timeouts(self) -> int:
        # The decision differs per row (approve / reject / fail), so claim with a marker, then fill it in.
        rows = await self.db.fetch(_OVERDUE, decision=orjson.dumps({"pending": True}).decode())
        for row in rows:
            waiting = row["waiting_for"]
            decision = timeout_decision(str(waiting.get("on_timeout", "reject")))
            try:
                await self.gateway.resume(row["prefect_flow_run_id"], decision)
            except AgentFlowError as exc:
                logger.warning("could not apply the timeout of execution %s: %s", row["id"], exc.message)
        return len(rows)

    async def run_forever(self, interval: float = 2.0) -> None:
        while True:
            try:
                await self.dispatcher.sweep()
                await self.apply_timeouts()
            except Exception:
                logger.exception("sweep failed")
            await asyncio.sleep(interval)
