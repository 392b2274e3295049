"""Background duties of every worker, each on its own loop so that one stuck on an outage holds up no other:
dispatch executions and exports left queued, apply approval timeouts, mail notifications nobody mailed yet,
end executions whose flow run ended without them (reconcile.py), end the runs of dead workers (heartbeat.py),
delete expired checkpoints (retention.py), and, with billing on, report finished executions to Stripe's meter
(agentflow/billing/meters.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import text

from agentflow.engine.control.dispatch import Dispatcher
from agentflow.engine.gateway import PrefectGateway
from agentflow.engine.worker.heartbeat import OrphanReaper
from agentflow.engine.worker.reconcile import Reconciler
from agentflow.engine.worker.retention import purge_expired
from agentflow.engine.worker.store import EngineStore
from agentflow.exports.dispatch import ExportDispatcher
from agentflow.kit.fastread import compile_query
from agentflow.knowledge.dispatch import IngestionDispatcher
from agentflow.notifications.delivery import NotificationMailer

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


RECONCILE_SECONDS = 10.0
RETENTION_SECONDS = 600.0
MAIL_SECONDS = 5.0


class Sweeper:
    def __init__(
        self,
        gateway: PrefectGateway,
        store: EngineStore,
        *,
        reaper: OrphanReaper | None = None,
        checkpoint_retention_days: float = 7.0,
        mailer: NotificationMailer | None = None,
        meter_reporting: tuple[float, Callable[[], Awaitable[object]]] | None = None,
    ) -> None:
        self.gateway = gateway
        self.db = store.db
        self.dispatcher = Dispatcher(gateway, store.db)
        self.ingestion = IngestionDispatcher(gateway, store.db)
        self.exports = ExportDispatcher(gateway, store.db)
        self.reconciler = Reconciler(gateway.client, store)
        self.reaper = reaper
        self.mailer = mailer
        self.retention_seconds = checkpoint_retention_days * 86400
        self.meter_reporting = meter_reporting  # (every seconds, duty); only when billing is on

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

    async def _queue_and_approvals(self) -> None:
        await self.dispatcher.sweep()
        await self.ingestion.dispatch_stranded()
        await self.exports.dispatch_stranded()
        await self.apply_timeouts()
        await self.wake_decided()

    async def _retention(self) -> None:
        await purge_expired(self.db, retention_seconds=self.retention_seconds)

    async def run_forever(self, interval: float = 2.0) -> None:
        duties: list[tuple[float, Callable[[], Awaitable[object]]]] = [
            (interval, self._queue_and_approvals),
            (RECONCILE_SECONDS, self.reconciler.run_once),
            # No need to look more often than checkpoints expire (a retention of 0 looks every sweep).
            (min(RETENTION_SECONDS, max(interval, self.retention_seconds)), self._retention),
        ]
        if self.reaper is not None:
            duties.append((self.reaper.interval, self.reaper.reap_once))
        if self.mailer is not None:  # its own loop: a slow or absent SMTP server holds up no other duty
            duties.append((MAIL_SECONDS, self.mailer.deliver_due))
        if self.meter_reporting is not None:
            duties.append(self.meter_reporting)
        async with asyncio.TaskGroup() as group:
            for every, duty in duties:
                group.create_task(_every(every, duty))


async def _every(seconds: float, duty: Callable[[], Awaitable[object]]) -> None:
    while True:
        try:
            await duty()
        except Exception:
            logger.exception("sweep failed: %s", getattr(duty, "__name__", duty))
        await asyncio.sleep(seconds)
