"""/api/v1/billing with billing on, against the loopback Stripe: the webhook's signature, replays and
out-of-order events, each handled event type, and the Stripe-backed routes over HTTP."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
import stripe
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.config import Settings
from agentflow.models import BillingAccount, Organization, StripeEvent
from agentflow.rbac import Role
from tests.factories import Member, add_member
from tests.fakes import stripe_fixtures
from tests.fakes.stripe_api import PRICE_PRO, FakeStripe, sign

stripe_server = stripe_fixtures.stripe_server
stripe_fake = stripe_fixtures.stripe_fake
billing_settings = stripe_fixtures.billing_settings
stripe_sdk = stripe_fixtures.stripe_sdk

WEBHOOK = "/billing/webhook"


@pytest.fixture
def billed_app(app: FastAPI, billing_settings: Settings, stripe_sdk: stripe.StripeClient) -> FastAPI:
    """The test app with billing on (the body limit and routes are the same either way)."""
    app.state.settings = billing_settings
    app.state.stripe = stripe_sdk
    return app


async def post_event(
    client: httpx.AsyncClient, event: dict[str, Any], *, signature: str | None = None
) -> httpx.Response:
    body = json.dumps(event).encode()
    headers = {"Content-Type": "application/json", "Stripe-Signature": signature or sign(body)}
    return await client.post(WEBHOOK, content=body, headers=headers)


async def subscribed(client: httpx.AsyncClient, fake: FakeStripe, owner: Member) -> list[dict[str, Any]]:
    """The owner subscribes to Starter through Checkout and pays; the events Stripe then sends."""
    response = await client.post("/billing/subscribe", json={"plan": "starter"}, headers=owner.headers)
    assert response.status_code == 200, response.text
    assert response.json()["url"].startswith("https://checkout.stripe.test/")
    (checkout_id,) = fake.sessions
    return fake.complete_checkout(checkout_id)


async def plan(session: AsyncSession, owner: Member) -> str:
    org = await session.get(Organization, owner.org_id, populate_existing=True)
    assert org is not None
    return org.plan


async def account(session: AsyncSession, owner: Member) -> BillingAccount:
    row = await session.scalar(
        select(BillingAccount)
        .where(BillingAccount.org_id == owner.org_id)
        .execution_options(populate_existing=True)
    )
    assert row is not None
    return row


async def test_checkout_then_webhooks_then_subscription_and_invoices(
    billed_app: FastAPI,
    client: httpx.AsyncClient,
    stripe_fake: FakeStripe,
    owner: Member,
    session: AsyncSession,
) -> None:
    events = await subscribed(client, stripe_fake, owner)
    for event in events:
        response = await post_event(client, event)
        assert response.status_code == 200, response.text
        assert response.json() == {"processed": True}
    assert await plan(session, owner) == "starter"

    view = (await client.get("/billing/subscription", headers=owner.headers)).json()
    assert view["plan"] == "starter" and view["status"] == "active" and view["billing_enabled"] is True
    assert view["customer_id"].startswith("cus_") and view["current_period_end"] is not None
    assert view["limits"] == {"agents": 10, "executions": 10_000, "knowledge_bytes": 1024**3, "seats": 5}

    invoices = (await client.get("/billing/invoices", headers=owner.headers)).json()["items"]
    assert [(i["status"], i["amount_paid"], i["currency"]) for i in invoices] == [("paid", 2900, "usd")]

    portal = await client.post("/billing/portal", headers=owner.headers)
    assert portal.status_code == 200 and portal.json()["url"].startswith("https://billing.stripe.test/")

    switched = await client.post("/billing/subscribe", json={"plan": "pro"}, headers=owner.headers)
    assert switched.json() == {"url": "http://testserver/settings/billing?changed=1"}
    assert await plan(session, owner) == "pro"
    (subscription,) = stripe_fake.subscriptions.values()
    assert subscription["items"]["data"][0]["price"]["id"] == PRICE_PRO


async def test_a_replayed_event_is_a_no_op(
    billed_app: FastAPI,
    client: httpx.AsyncClient,
    stripe_fake: FakeStripe,
    owner: Member,
    session: AsyncSession,
) -> None:
    completed, *_ = await subscribed(client, stripe_fake, owner)
    assert (await post_event(client, completed)).json() == {"processed": True}
    reads = sum(1 for _, path, _ in stripe_fake.requests if path == "/v1/subscriptions")
    replay = await post_event(client, completed)
    assert replay.status_code == 200 and replay.json() == {"processed": False}
    # The subscription is not re-read or applied again.
    assert sum(1 for _, path, _ in stripe_fake.requests if path == "/v1/subscriptions") == reads
    count = await session.scalar(
        select(func.count()).select_from(StripeEvent).where(StripeEvent.id == completed["id"])
    )
    assert count == 1


async def test_out_of_order_events_end_in_stripes_current_state(
    billed_app: FastAPI,
    client: httpx.AsyncClient,
    stripe_fake: FakeStripe,
    owner: Member,
    session: AsyncSession,
) -> None:
    completed, created, paid = await subscribed(client, stripe_fake, owner)
    subscription_id = created["data"]["object"]["id"]
    (deleted,) = stripe_fake.cancel(subscription_id)
    # The cancellation arrives first; the older "created" and "paid" events (active, Starter) come after it.
    for event in (deleted, created, paid, completed):
        assert (await post_event(client, event)).status_code == 200
    assert await plan(session, owner) == "free"
    row = await account(session, owner)
    assert row.status == "canceled"
    assert row.updated_from_event_at is not None
    assert int(row.updated_from_event_at.timestamp()) == max(e["created"] for e in (deleted, created))


async def test_payment_failed_makes_the_subscription_past_due_and_deleted_returns_to_free(
    billed_app: FastAPI,
    client: httpx.AsyncClient,
    stripe_fake: FakeStripe,
    owner: Member,
    session: AsyncSession,
) -> None:
    events = await subscribed(client, stripe_fake, owner)
    for event in events:
        await post_event(client, event)
    subscription_id = events[1]["data"]["object"]["id"]

    failed, updated = stripe_fake.fail_renewal(subscription_id)
    assert (await post_event(client, failed)).json() == {"processed": True}
    row = await account(session, owner)
    assert row.status == "past_due"
    assert await plan(session, owner) == "starter"  # kept while Stripe retries the payment
    # Owners and admins are told, once: a redelivery of the same event notifies nobody again.
    assert (await post_event(client, failed)).json() == {"processed": False}
    notices = (await client.get("/notifications", headers=owner.headers)).json()["items"]
    failures = [item for item in notices if item["kind"] == "payment.failed"]
    assert len(failures) == 1, notices
    assert failures[0]["link"] == "/settings/billing"
    assert (await post_event(client, updated)).json() == {"processed": True}

    (deleted,) = stripe_fake.cancel(subscription_id)
    assert (await post_event(client, deleted)).json() == {"processed": True}
    assert await plan(session, owner) == "free"
    view = (await client.get("/billing/subscription", headers=owner.headers)).json()
    assert (view["plan"], view["status"]) == ("free", "canceled")


async def test_bad_missing_and_stale_signatures_are_refused(
    billed_app: FastAPI,
    client: httpx.AsyncClient,
    stripe_fake: FakeStripe,
    owner: Member,
    session: AsyncSession,
) -> None:
    completed, *_ = await subscribed(client, stripe_fake, owner)
    body = json.dumps(completed).encode()
    wrong_secret = sign(body, "whsec_someone_else")
    stale = sign(body, timestamp=int(time.time()) - 301)
    other_body = sign(body + b" ")
    for signature in (wrong_secret, stale, other_body, "t=1,v1=00"):
        response = await client.post(WEBHOOK, content=body, headers={"Stripe-Signature": signature})
        assert response.status_code == 400, signature
        assert response.json()["error"]["code"] == "invalid_signature"
    missing = await client.post(WEBHOOK, content=body)
    assert missing.status_code == 400
    assert await plan(session, owner) == "free"
    assert await session.scalar(select(func.count()).select_from(StripeEvent)) == 0


async def test_an_oversized_webhook_body_is_refused(billed_app: FastAPI, client: httpx.AsyncClient) -> None:
    body = b'{"pad": "' + b"x" * (600 * 1024) + b'"}'
    response = await client.post(WEBHOOK, content=body, headers={"Stripe-Signature": sign(body)})
    assert response.status_code == 413


async def test_events_of_unknown_customers_and_types_change_nothing(
    billed_app: FastAPI, client: httpx.AsyncClient, stripe_fake: FakeStripe
) -> None:
    stranger = stripe_fake.event("customer.subscription.updated", {"id": "sub_x", "customer": "cus_unknown"})
    assert (await post_event(client, stranger)).json() == {"processed": True}
    ignored = stripe_fake.event("charge.refunded", {"id": "ch_1", "customer": "cus_unknown"})
    assert (await post_event(client, ignored)).json() == {"processed": False}


async def test_admins_manage_billing_and_viewers_only_read_it(
    billed_app: FastAPI, client: httpx.AsyncClient, owner: Member, session: AsyncSession, settings: Settings
) -> None:
    admin = await add_member(session, settings, owner.org_id, Role.admin)
    viewer = await add_member(session, settings, owner.org_id, Role.viewer)
    assert (await client.post("/billing/portal", headers=admin.headers)).status_code == 200
    assert (await client.post("/billing/portal", headers=viewer.headers)).status_code == 403
    assert (await client.get("/billing/invoices", headers=viewer.headers)).status_code == 403
    assert (await client.get("/billing/subscription", headers=viewer.headers)).status_code == 200


@pytest.mark.parametrize("plan_name", ["enterprise", "free", "nope"])
async def test_plans_that_cannot_be_bought_are_422(
    billed_app: FastAPI, client: httpx.AsyncClient, owner: Member, plan_name: str
) -> None:
    response = await client.post("/billing/subscribe", json={"plan": plan_name}, headers=owner.headers)
    assert response.status_code == 422
    oversized = await client.post("/billing/subscribe", json={"plan": "x" * 41}, headers=owner.headers)
    assert oversized.status_code == 422


async def test_billing_off_answers_409_and_empty_invoices(
    app: FastAPI, client: httpx.AsyncClient, owner: Member
) -> None:
    for path in ("/billing/subscribe", "/billing/portal"):
        body = {"plan": "starter"} if path.endswith("subscribe") else None
        response = await client.post(path, json=body, headers=owner.headers)
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "billing_not_configured"
    assert (await client.get("/billing/invoices", headers=owner.headers)).json() == {
        "items": [],
        "next_cursor": None,
    }
    view = (await client.get("/billing/subscription", headers=owner.headers)).json()
    assert (view["plan"], view["status"], view["billing_enabled"]) == ("self_hosted", "none", False)
    body = b"{}"
    webhook = await client.post(WEBHOOK, content=body, headers={"Stripe-Signature": sign(body)})
    assert webhook.status_code == 409
