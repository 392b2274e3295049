"""Checkout, plan switches, the Customer Portal and invoices, through the official SDK against the loopback
Stripe; and the webhook events that follow, applied from Stripe's current objects."""

from __future__ import annotations

import json
from typing import Any

import pytest
import stripe
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.billing.service import billing_service
from agentflow.billing.webhooks import handle_event, verify
from agentflow.config import Settings
from agentflow.errors import Conflict, ServiceUnavailable, ValidationFailed
from agentflow.models import BillingAccount, Organization
from tests.factories import Member, create_org_with_owner
from tests.fakes.stripe_api import PRICE_EXECUTIONS, PRICE_PRO, PRICE_STARTER, FakeStripe, sign


@pytest.fixture
async def owner(session: AsyncSession, settings: Settings) -> Member:
    return await create_org_with_owner(session, settings, name="Billed Org")


async def deliver(
    session: AsyncSession, settings: Settings, client: stripe.StripeClient, event: dict[str, Any]
) -> bool:
    body = json.dumps(event).encode()
    return await handle_event(session, settings, client, verify(settings, body, sign(body)))


async def account_of(session: AsyncSession, member: Member) -> BillingAccount:
    await session.flush()
    account = await session.scalar(
        select(BillingAccount)
        .where(BillingAccount.org_id == member.org_id)
        .execution_options(populate_existing=True)
    )
    assert account is not None
    return account


async def plan_of(session: AsyncSession, member: Member) -> str:
    org = await session.get(Organization, member.org_id, populate_existing=True)
    assert org is not None
    return org.plan


async def subscribe(
    session: AsyncSession, settings: Settings, client: stripe.StripeClient, owner: Member, plan: str
) -> str:
    return (await billing_service.subscribe(session, settings, client, subject=owner.subject, plan=plan)).url


async def test_subscribe_opens_checkout_for_a_customer_created_once(
    session: AsyncSession,
    billing_settings: Settings,
    stripe_sdk: stripe.StripeClient,
    stripe_fake: FakeStripe,
    owner: Member,
) -> None:
    url = await subscribe(session, billing_settings, stripe_sdk, owner, "starter")
    assert url.startswith("https://checkout.stripe.test/c/pay/cs_")
    (customer,) = stripe_fake.customers.values()
    assert customer["metadata"] == {"org_id": str(owner.org_id)}
    (_, _, checkout) = next(r for r in stripe_fake.requests if r[1] == "/v1/checkout/sessions")
    assert checkout["customer"] == customer["id"]
    assert checkout["line_items"] == [{"price": PRICE_STARTER, "quantity": 1}, {"price": PRICE_EXECUTIONS}]
    assert checkout["success_url"] == "http://testserver/settings/billing?checkout=success"
    assert checkout["subscription_data"] == {"metadata": {"org_id": str(owner.org_id)}}

    await subscribe(session, billing_settings, stripe_sdk, owner, "pro")  # still no subscription: Checkout
    assert len(stripe_fake.customers) == 1
    assert (await account_of(session, owner)).stripe_customer_id == customer["id"]


@pytest.mark.parametrize("plan", ["free", "enterprise", "self_hosted", "platinum"])
async def test_only_self_serve_plans_with_a_price_can_be_bought(
    session: AsyncSession,
    billing_settings: Settings,
    stripe_sdk: stripe.StripeClient,
    owner: Member,
    plan: str,
) -> None:
    with pytest.raises(ValidationFailed):
        await subscribe(session, billing_settings, stripe_sdk, owner, plan)


async def test_a_plan_without_a_configured_price_is_refused(
    session: AsyncSession, billing_settings: Settings, stripe_sdk: stripe.StripeClient, owner: Member
) -> None:
    settings = billing_settings.model_copy(update={"stripe_price_pro": None})
    with pytest.raises(ValidationFailed):
        await subscribe(session, settings, stripe_sdk, owner, "pro")


async def test_checkout_completed_sets_the_plan_and_period_from_stripe(
    session: AsyncSession,
    billing_settings: Settings,
    stripe_sdk: stripe.StripeClient,
    stripe_fake: FakeStripe,
    owner: Member,
) -> None:
    await subscribe(session, billing_settings, stripe_sdk, owner, "starter")
    (checkout_id,) = stripe_fake.sessions
    completed, created, paid = stripe_fake.complete_checkout(checkout_id)
    assert await deliver(session, billing_settings, stripe_sdk, completed)
    account = await account_of(session, owner)
    subscription = stripe_fake.subscriptions[account.stripe_subscription_id or ""]
    item = subscription["items"]["data"][0]
    assert (account.status, account.stripe_price_id) == ("active", PRICE_STARTER)
    assert account.current_period_end is not None
    assert int(account.current_period_end.timestamp()) == item["current_period_end"]
    assert await plan_of(session, owner) == "starter"
    # The other events of the same change are applied too (they re-read the same state).
    assert await deliver(session, billing_settings, stripe_sdk, created)
    assert await deliver(session, billing_settings, stripe_sdk, paid)
    assert await plan_of(session, owner) == "starter"

    view = await billing_service.subscription(session, billing_settings, subject=owner.subject)
    assert (view.plan, view.status, view.customer_id) == ("starter", "active", subscription["customer"])
    assert view.limits.agents == 10

    invoices = await billing_service.invoices(session, stripe_sdk, subject=owner.subject, limit=10)
    assert [(i.status, i.amount_due, i.amount_paid, i.currency) for i in invoices] == [
        ("paid", 2900, 2900, "usd")
    ]
    assert invoices[0].hosted_invoice_url and invoices[0].period_end == account.current_period_end


async def test_subscribing_again_switches_the_price_with_proration(
    session: AsyncSession,
    billing_settings: Settings,
    stripe_sdk: stripe.StripeClient,
    stripe_fake: FakeStripe,
    owner: Member,
) -> None:
    await subscribe(session, billing_settings, stripe_sdk, owner, "starter")
    (completed, *_) = stripe_fake.complete_checkout(next(iter(stripe_fake.sessions)))
    await deliver(session, billing_settings, stripe_sdk, completed)

    url = await subscribe(session, billing_settings, stripe_sdk, owner, "pro")
    assert url == "http://testserver/settings/billing?changed=1"
    (subscription,) = stripe_fake.subscriptions.values()
    assert [i["price"]["id"] for i in subscription["items"]["data"]] == [PRICE_PRO, PRICE_EXECUTIONS]
    assert stripe_fake.last_proration == "create_prorations"
    assert await plan_of(session, owner) == "pro"
    assert len(stripe_fake.sessions) == 1  # no second Checkout


async def test_portal_returns_a_session_url_back_to_the_billing_page(
    session: AsyncSession,
    billing_settings: Settings,
    stripe_sdk: stripe.StripeClient,
    stripe_fake: FakeStripe,
    owner: Member,
) -> None:
    result = await billing_service.portal(session, billing_settings, stripe_sdk, subject=owner.subject)
    assert result.url.startswith("https://billing.stripe.test/p/session/bps_")
    (_, _, params) = next(r for r in stripe_fake.requests if r[1] == "/v1/billing_portal/sessions")
    assert params["return_url"] == "http://testserver/settings/billing"
    assert params["customer"] == (await account_of(session, owner)).stripe_customer_id


async def test_stripe_down_is_a_503_and_leaves_no_customer_behind(
    session: AsyncSession,
    billing_settings: Settings,
    stripe_sdk: stripe.StripeClient,
    stripe_fake: FakeStripe,
    owner: Member,
) -> None:
    stripe_fake.failures = [("/v1/customers", 500)] * 3  # the SDK's own retries fail too
    with pytest.raises(ServiceUnavailable):
        await billing_service.portal(session, billing_settings, stripe_sdk, subject=owner.subject)
    assert stripe_fake.customers == {}


async def test_billing_off(session: AsyncSession, settings: Settings, owner: Member) -> None:
    assert not settings.billing_enabled
    with pytest.raises(Conflict) as refused:
        await subscribe(session, settings, None, owner, "starter")  # type: ignore[arg-type]
    assert refused.value.code == "billing_not_configured"
    with pytest.raises(Conflict):
        await billing_service.portal(session, settings, None, subject=owner.subject)
    assert await billing_service.invoices(session, None, subject=owner.subject, limit=10) == []
    view = await billing_service.subscription(session, settings, subject=owner.subject)
    assert (view.plan, view.status, view.customer_id, view.billing_enabled) == (
        "self_hosted",
        "none",
        None,
        False,
    )
    assert view.limits.executions is None
