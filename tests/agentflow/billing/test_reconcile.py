"""The daily reconciliation re-reads each account's subscription from Stripe (a lost webhook is repaired)."""

from __future__ import annotations

import stripe
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from agentflow.billing.reconcile import reconcile
from agentflow.config import Settings
from agentflow.models import BillingAccount, Organization
from flows.billing_reconcile import billing_reconcile
from tests.factories import create_org_with_owner
from tests.fakes.stripe_api import PRICE_STARTER, FakeStripe


async def test_a_lost_webhook_is_repaired_by_the_reconciliation(
    connection: AsyncConnection,
    session: AsyncSession,
    settings: Settings,
    billing_settings: Settings,
    stripe_sdk: stripe.StripeClient,
    stripe_fake: FakeStripe,
) -> None:
    owner = await create_org_with_owner(session, settings, name="Lost Webhook Org")
    customer = stripe_fake.create_customer({}, {})["id"]
    session.add(BillingAccount(org_id=owner.org_id, stripe_customer_id=customer))
    await session.flush()
    checkout = stripe_fake.create_session(
        {},
        {
            "mode": "subscription",
            "customer": customer,
            "line_items": [{"price": PRICE_STARTER, "quantity": 1}],
            "success_url": "x",
        },
    )
    stripe_fake.complete_checkout(checkout["id"])  # its webhooks never arrive

    # The flow's transactions as savepoints of the test's.
    sessions = async_sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    result = await reconcile(sessions, billing_settings, stripe_sdk)
    assert (result.accounts, result.failed) == (1, 0)
    org = await session.scalar(
        select(Organization).where(Organization.id == owner.org_id).execution_options(populate_existing=True)
    )
    assert org is not None and org.plan == "starter"


async def test_the_flow_does_nothing_with_billing_off(settings: Settings) -> None:
    assert not settings.billing_enabled
    assert await billing_reconcile.fn() == {"accounts": 0, "failed": 0, "meter_events": 0}
