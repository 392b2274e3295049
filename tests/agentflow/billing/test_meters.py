"""Executions reach Stripe's meter once each: across reporter passes, execution retries, Stripe failures and a
crash between Stripe accepting an event and our commit."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import stripe
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.billing.meters import MeterReporter
from agentflow.config import Settings
from agentflow.models import BillingAccount, Execution, MeterReport, TriggeredBy
from tests.factories import Member, create_agent, create_org_with_owner
from tests.fakes.stripe_api import METER_EVENT_NAME, FakeStripe

METER_PATH = "/v1/billing/meter_events"


@pytest.fixture
async def subscribed(session: AsyncSession, settings: Settings, stripe_fake: FakeStripe) -> Member:
    """An org with a Stripe customer and an active subscription."""
    owner = await create_org_with_owner(session, settings, name="Metered Org")
    customer = stripe_fake.create_customer({}, {"metadata": {"org_id": str(owner.org_id)}})
    session.add(
        BillingAccount(
            org_id=owner.org_id,
            stripe_customer_id=customer["id"],
            stripe_subscription_id="sub_fake_metered",
            status="active",
        )
    )
    await session.flush()
    return owner


async def execution(
    session: AsyncSession,
    owner: Member,
    *,
    status: str = "completed",
    triggered_by: TriggeredBy = TriggeredBy.api,
    started: bool = True,
) -> uuid.UUID:
    agent_id = await create_agent(session, owner)
    now = datetime.now(UTC)
    row = Execution(
        org_id=owner.org_id,
        agent_id=agent_id,
        status=status,
        triggered_by=triggered_by,
        started_at=now - timedelta(seconds=5) if started else None,
        finished_at=now if status in ("completed", "failed", "timed_out", "cancelled") else None,
    )
    session.add(row)
    await session.flush()
    return row.id


def reporter(stripe_sdk: stripe.StripeClient) -> MeterReporter:
    return MeterReporter(stripe_sdk, event_name=METER_EVENT_NAME)


async def run(session: AsyncSession, meters: MeterReporter) -> int:
    """One reporter pass, its transactions as savepoints of the test's."""
    async with session.begin_nested():
        await meters.enqueue(session)
    async with session.begin_nested():
        return await meters.report_batch(session)


def meter_calls(fake: FakeStripe) -> int:
    return sum(1 for _, path, _ in fake.requests if path == METER_PATH)


async def test_billable_executions_are_reported_once_each(
    session: AsyncSession, stripe_sdk: stripe.StripeClient, stripe_fake: FakeStripe, subscribed: Member
) -> None:
    billable = [
        await execution(session, subscribed),
        await execution(session, subscribed, status="failed", triggered_by=TriggeredBy.webhook),
        await execution(session, subscribed, status="timed_out", triggered_by=TriggeredBy.schedule),
        await execution(session, subscribed, status="cancelled", triggered_by=TriggeredBy.manual),
    ]
    await execution(session, subscribed, triggered_by=TriggeredBy.test)  # test runs are free
    await execution(session, subscribed, triggered_by=TriggeredBy.agent)  # billed as part of its parent
    await execution(session, subscribed, status="running")  # not finished yet
    await execution(session, subscribed, status="cancelled", started=False)  # never ran

    meters = reporter(stripe_sdk)
    assert await run(session, meters) == 4
    assert set(stripe_fake.meter_events) == {str(e) for e in billable}
    customer = next(iter(stripe_fake.customers))
    for event in stripe_fake.meter_events.values():
        assert event["event_name"] == METER_EVENT_NAME
        assert event["payload"] == {"stripe_customer_id": customer, "value": "1"}

    calls = meter_calls(stripe_fake)
    assert await run(session, meters) == 0
    assert meter_calls(stripe_fake) == calls


async def test_a_retried_execution_is_not_counted_again(
    session: AsyncSession, stripe_sdk: stripe.StripeClient, stripe_fake: FakeStripe, subscribed: Member
) -> None:
    execution_id = await execution(session, subscribed, status="failed")
    meters = reporter(stripe_sdk)
    await run(session, meters)
    # A retry runs the same execution again (attempt 2) and it finishes again.
    await session.execute(
        update(Execution)
        .where(Execution.id == execution_id)
        .values(status="completed", attempt=2, finished_at=datetime.now(UTC) + timedelta(seconds=1))
    )
    assert await run(session, meters) == 0
    assert list(stripe_fake.meter_events) == [str(execution_id)]


async def test_stripe_failures_back_off_and_are_retried(
    session: AsyncSession, stripe_sdk: stripe.StripeClient, stripe_fake: FakeStripe, subscribed: Member
) -> None:
    execution_id = await execution(session, subscribed)
    stripe_fake.failures = [(METER_PATH, 500)] * 3  # more than the SDK's own retries
    meters = reporter(stripe_sdk)
    await run(session, meters)
    report = await session.scalar(select(MeterReport).where(MeterReport.execution_id == execution_id))
    assert report is not None
    assert (report.reported_at, report.attempts) == (None, 1)
    assert report.next_attempt_at > datetime.now(UTC) + timedelta(seconds=20)
    assert stripe_fake.meter_events == {}

    assert await run(session, meters) == 0  # not due yet
    report.next_attempt_at = datetime.now(UTC)
    await session.flush()
    assert await run(session, meters) == 1
    await session.refresh(report)
    assert report.reported_at is not None and report.attempts == 2
    assert list(stripe_fake.meter_events) == [str(execution_id)]


async def test_a_crash_after_stripe_accepted_is_not_counted_twice(
    session: AsyncSession, stripe_sdk: stripe.StripeClient, stripe_fake: FakeStripe, subscribed: Member
) -> None:
    execution_id = await execution(session, subscribed)
    meters = reporter(stripe_sdk)
    async with session.begin_nested():
        await meters.enqueue(session)
    # The batch is sent, then the process dies before its transaction commits.
    crashed = await session.begin_nested()
    assert await meters.report_batch(session) == 1
    await crashed.rollback()
    assert list(stripe_fake.meter_events) == [str(execution_id)]
    report = await session.scalar(
        select(MeterReport)
        .where(MeterReport.execution_id == execution_id)
        .execution_options(populate_existing=True)
    )
    assert report is not None and report.reported_at is None

    # The next pass sends it again with the same identifier; Stripe refuses the duplicate: reported.
    assert await run(session, meters) == 1
    await session.refresh(report)
    assert report.reported_at is not None and report.abandoned_at is None
    assert len(stripe_fake.meter_events) == 1
    assert meter_calls(stripe_fake) == 2


async def test_an_event_stripe_refuses_for_good_is_abandoned(
    session: AsyncSession, stripe_sdk: stripe.StripeClient, stripe_fake: FakeStripe, subscribed: Member
) -> None:
    execution_id = await execution(session, subscribed)
    stripe_fake.customers.clear()  # the customer was deleted in Stripe's dashboard
    await run(session, reporter(stripe_sdk))
    report = await session.scalar(select(MeterReport).where(MeterReport.execution_id == execution_id))
    assert report is not None
    assert report.abandoned_at is not None and report.reported_at is None
    assert "No such customer" in (report.last_error or "")


async def test_orgs_without_a_subscription_report_nothing(
    session: AsyncSession, settings: Settings, stripe_sdk: stripe.StripeClient, stripe_fake: FakeStripe
) -> None:
    owner = await create_org_with_owner(session, settings, name="Free Org")
    session.add(BillingAccount(org_id=owner.org_id, stripe_customer_id="cus_free_only"))
    await execution(session, owner)
    assert await run(session, reporter(stripe_sdk)) == 0
    assert meter_calls(stripe_fake) == 0
