"""The daily reconciliation: every org with a Stripe customer re-read from Stripe, in case a webhook was
lost (the endpoint was down longer than Stripe retries, or a secret was rotated), and the executions meter
caught up over Stripe's whole 35-day window."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

import stripe
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agentflow.billing.meters import STRIPE_WINDOW, MeterReporter
from agentflow.billing.repository import BillingRepository
from agentflow.billing.subscriptions import refresh_account
from agentflow.config import Settings

logger = logging.getLogger("agentflow.billing.reconcile")

PAGE = 100


@dataclass
class Reconciled:
    accounts: int = 0
    failed: int = 0
    meter_events: int = 0


async def reconcile(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, client: stripe.StripeClient
) -> Reconciled:
    """Re-read each account's current subscription (one transaction each: one failure stops no other)."""
    result = Reconciled()
    after: uuid.UUID | None = None
    while True:
        async with sessionmaker() as session:
            page = [
                (a.id, a.stripe_customer_id)
                for a in await BillingRepository(session).accounts_with_customer(after=after, limit=PAGE)
            ]
        for account_id, customer_id in page:
            assert customer_id is not None
            try:
                async with sessionmaker() as session, session.begin():
                    repo = BillingRepository(session)
                    account = await repo.account_by_customer(customer_id)
                    if account is not None:
                        await refresh_account(repo, settings, client, account)
                        result.accounts += 1
            except stripe.StripeError:
                logger.exception("reconciling the billing account %s failed", account_id)
                result.failed += 1
        if len(page) < PAGE:
            break
        after = page[-1][0]
    reporter = MeterReporter(client, event_name=settings.stripe_meter_event_name)
    result.meter_events = await reporter.run_once(sessionmaker, lookback=STRIPE_WINDOW)
    return result
