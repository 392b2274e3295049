"""Usage-based billing: every billable execution reported once to Stripe's executions meter.

A finished execution of a subscribed org gets a pending `billing_meter_reports` row (one per execution:
its retries are the same execution and are never counted again). Pending rows are sent as meter events
(`POST /v1/billing/meter_events`, one event per call — the v1 API has no batch call; we batch the database
work, up to `BATCH` rows per transaction, sent with bounded concurrency) and marked reported in the same
transaction that picked them (`FOR UPDATE SKIP LOCKED`, so several workers never send the same row). The
event's `identifier` is the execution id: if we crash after Stripe accepted an event but before the commit,
the retry a few seconds later is refused by Stripe as a duplicate (Stripe keeps identifiers at least 24 h),
which we take as reported. Failures back off exponentially; what Stripe refuses for good is abandoned.

Billable = finished (completed, failed, timed out, or cancelled after it started), not a test run
(`triggered_by = test`) and not an execution another agent started as a tool (`triggered_by = agent`; its
parent is the execution billed).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import stripe
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from agentflow.billing.stripe_client import stripe_client
from agentflow.config import Settings
from agentflow.db import create_sessionmaker
from agentflow.egress import EgressPolicy
from agentflow.models import MeterReport

logger = logging.getLogger("agentflow.billing.meters")

BATCH = 100
CONCURRENCY = 8
MAX_ATTEMPTS = 20
BACKOFF_SECONDS = 30.0
MAX_BACKOFF_SECONDS = 3600.0
# Stripe accepts meter events up to 35 days old; the regular pass only looks at recent executions (cheap),
# the daily reconciliation looks back the whole window.
STRIPE_WINDOW = timedelta(days=35)
RECENT = timedelta(hours=6)

_ENQUEUE = text(
    """
    INSERT INTO billing_meter_reports (id, org_id, execution_id, stripe_customer_id, occurred_at)
    SELECT gen_random_uuid(), e.org_id, e.id, a.stripe_customer_id, e.finished_at
    FROM executions e
    JOIN billing_accounts a ON a.org_id = e.org_id
    WHERE a.stripe_customer_id IS NOT NULL AND a.stripe_subscription_id IS NOT NULL
      AND a.status IN ('active', 'trialing', 'past_due')
      AND e.finished_at > :since
      AND (e.status IN ('completed', 'failed', 'timed_out')
           OR (e.status = 'cancelled' AND e.started_at IS NOT NULL))
      AND e.triggered_by NOT IN ('test', 'agent')
      AND NOT EXISTS (SELECT 1 FROM billing_meter_reports r WHERE r.execution_id = e.id)
    ON CONFLICT (execution_id) DO NOTHING
    """
)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(BACKOFF_SECONDS * 2 ** (attempts - 1), MAX_BACKOFF_SECONDS))


class MeterReporter:
    def __init__(self, client: stripe.StripeClient, *, event_name: str) -> None:
        self.client = client
        self.event_name = event_name

    async def enqueue(self, session: AsyncSession, *, lookback: timedelta = RECENT) -> int:
        """Pending reports for billable executions finished within `lookback` and not reported yet."""
        since = datetime.now(UTC) - min(lookback, STRIPE_WINDOW)
        result = await session.execute(_ENQUEUE, {"since": since})
        return int(getattr(result, "rowcount", 0) or 0)

    async def report_batch(self, session: AsyncSession) -> int:
        """Send one batch of due reports and record the outcome of each; the caller commits. Returns how many
        were picked up (a full batch means there may be more)."""
        now = datetime.now(UTC)
        reports = (
            await session.scalars(
                select(MeterReport)
                .where(
                    MeterReport.reported_at.is_(None),
                    MeterReport.abandoned_at.is_(None),
                    MeterReport.next_attempt_at <= now,
                )
                .order_by(MeterReport.next_attempt_at)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            )
        ).all()
        gate = asyncio.Semaphore(CONCURRENCY)

        async def send(report: MeterReport) -> stripe.StripeError | None:
            async with gate:
                return await self._send(report)

        outcomes = await asyncio.gather(*(send(report) for report in reports))
        for report, error in zip(reports, outcomes, strict=True):
            self._record(report, error, now)
        return len(reports)

    async def _send(self, report: MeterReport) -> stripe.StripeError | None:
        try:
            await self.client.v1.billing.meter_events.create_async(
                {
                    "event_name": self.event_name,
                    "payload": {"stripe_customer_id": report.stripe_customer_id, "value": "1"},
                    "identifier": str(report.execution_id),
                    "timestamp": int(report.occurred_at.timestamp()),
                }
            )
        except stripe.InvalidRequestError as exc:
            if exc.param == "identifier":  # Stripe has it already: sent before a crash or a lost answer
                return None
            return exc
        except stripe.StripeError as exc:
            return exc
        return None

    def _record(self, report: MeterReport, error: stripe.StripeError | None, now: datetime) -> None:
        report.attempts += 1
        if error is None:
            report.reported_at = now
            report.last_error = None
            return
        report.last_error = str(error)[:1000]
        permanent = isinstance(error, stripe.InvalidRequestError) and not isinstance(
            error, stripe.RateLimitError
        )
        too_old = report.occurred_at < now - STRIPE_WINDOW
        if permanent or too_old or report.attempts >= MAX_ATTEMPTS:
            report.abandoned_at = now
            logger.error("meter event of execution %s abandoned: %s", report.execution_id, error)
            return
        report.next_attempt_at = now + backoff(report.attempts)
        logger.warning("meter event of execution %s failed, retrying: %s", report.execution_id, error)

    async def run_once(
        self, sessionmaker: async_sessionmaker[AsyncSession], *, lookback: timedelta = RECENT
    ) -> int:
        """Enqueue, then report batch after batch (each its own transaction); the number picked up."""
        async with sessionmaker() as session, session.begin():
            await self.enqueue(session, lookback=lookback)
        total = 0
        while True:
            async with sessionmaker() as session, session.begin():
                picked = await self.report_batch(session)
            total += picked
            if picked < BATCH:
                return total


def sweeper_duty(settings: Settings) -> tuple[float, Callable[[], Awaitable[object]]] | None:
    """The worker sweeper's meter duty, `(every seconds, duty)`; None with billing off."""
    if not settings.billing_enabled:
        return None
    # Its own small pool: the sweeper's other duties use the engine's asyncpg pool, not SQLAlchemy.
    engine = create_async_engine(settings.database_url, pool_size=2, max_overflow=0, pool_recycle=1800)
    sessionmaker = create_sessionmaker(engine)
    reporter = MeterReporter(
        stripe_client(settings, EgressPolicy.from_settings(settings)),
        event_name=settings.stripe_meter_event_name,
    )

    async def report_meter_events() -> int:
        return await reporter.run_once(sessionmaker)

    return settings.stripe_meter_report_seconds, report_meter_events
