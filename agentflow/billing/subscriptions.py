"""Customers and subscriptions: what an org is subscribed to, read from Stripe and written to its account.

Stripe is the truth. Every change we learn of (a webhook, a price switch, the daily reconciliation) re-reads
the customer's current subscription from Stripe and applies that, never an event's copy: events arrive late,
twice or out of order, the current object does not.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Any

import stripe

from agentflow.billing.plans import PlanName
from agentflow.billing.repository import BillingRepository
from agentflow.billing.stripe_client import plan_for_price
from agentflow.config import Settings
from agentflow.errors import ServiceUnavailable
from agentflow.models import BillingAccount

logger = logging.getLogger("agentflow.billing")

# Subscriptions that hold their plan; a past_due one keeps it while Stripe retries the payment.
PAYING = frozenset({"active", "trialing", "past_due"})
# Stripe's statuses in the API's vocabulary (`active | trialing | past_due | canceled | incomplete | unpaid`).
_STATUS = {"incomplete_expired": "canceled", "paused": "unpaid"}


def stripe_failure(exc: stripe.StripeError) -> ServiceUnavailable:
    """A Stripe call that failed (down, refused, misconfigured): 503, the request's writes undone."""
    logger.warning("stripe call failed: %s", exc)
    message = exc.user_message or "Stripe did not answer"
    return ServiceUnavailable(f"Billing is unavailable right now: {message}", code="stripe_unavailable")


def billing_page(settings: Settings, query: str = "") -> str:
    """The UI's billing page (Stripe sends the browser back there)."""
    return f"{settings.public_url.rstrip('/')}/settings/billing{query}"


def _time(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), UTC) if value else None


def plan_item(settings: Settings, subscription: dict[str, Any]) -> dict[str, Any] | None:
    """The subscription's plan item: the one whose price is a plan's, else the first licensed one."""
    items: list[dict[str, Any]] = list(subscription["items"]["data"])
    for item in items:
        if plan_for_price(settings, item["price"]["id"]) is not None:
            return item
    for item in items:
        recurring = item["price"].get("recurring") or {}
        if recurring.get("usage_type") != "metered":
            return item
    return items[0] if items else None


async def ensure_customer(
    repo: BillingRepository, client: stripe.StripeClient, *, org_id: uuid.UUID, org_name: str
) -> BillingAccount:
    """The org's locked account with a Stripe customer, created on the first billing action."""
    account = await repo.locked_account(org_id)
    if account.stripe_customer_id is None:
        # The key makes a retry after a rollback (or a crash) get the same customer back from Stripe.
        customer = await client.v1.customers.create_async(
            {"name": org_name[:200], "metadata": {"org_id": str(org_id)}},
            {"idempotency_key": f"agentflow-customer-{account.id}"},
        )
        account.stripe_customer_id = customer.id
        await repo.session.flush()
    return account


async def current_subscription(client: stripe.StripeClient, customer_id: str) -> dict[str, Any] | None:
    """The customer's subscription that matters now: a paying one, else the newest of any status."""
    page = await client.v1.subscriptions.list_async({"customer": customer_id, "status": "all", "limit": 20})
    subscriptions = sorted((s.to_dict() for s in page.data), key=lambda s: s["created"], reverse=True)
    for subscription in subscriptions:
        if subscription["status"] in PAYING:
            return subscription
    return subscriptions[0] if subscriptions else None


async def apply_subscription(
    repo: BillingRepository, settings: Settings, account: BillingAccount, subscription: dict[str, Any] | None
) -> None:
    """Write the subscription's state (a plain dict: `to_dict()`) to the account, the plan to the org."""
    account.synced_at = datetime.now(UTC)
    if subscription is None:
        if account.stripe_subscription_id is not None:  # it was deleted outright
            await _end_subscription(repo, account)
        return
    status = _STATUS.get(subscription["status"], subscription["status"])
    item = plan_item(settings, subscription)
    account.stripe_subscription_id = subscription["id"]
    account.stripe_price_id = item["price"]["id"] if item else None
    account.status = status
    account.cancel_at_period_end = bool(subscription.get("cancel_at_period_end"))
    # Since API version 2025-03-31 the periods live on the subscription's items.
    account.current_period_start = _time(item.get("current_period_start")) if item else None
    account.current_period_end = _time(item.get("current_period_end")) if item else None
    if status not in PAYING:
        await repo.set_org_plan(account.org_id, PlanName.free)
        return
    plan = plan_for_price(settings, account.stripe_price_id)
    if plan is None:
        # A price no setting names (sold by hand): the org's plan is left as the operator set it.
        logger.warning("subscription %s has unmapped price %s", subscription["id"], account.stripe_price_id)
        return
    await repo.set_org_plan(account.org_id, plan)


async def _end_subscription(repo: BillingRepository, account: BillingAccount) -> None:
    account.status = "canceled"
    account.cancel_at_period_end = False
    await repo.set_org_plan(account.org_id, PlanName.free)


async def refresh_account(
    repo: BillingRepository, settings: Settings, client: stripe.StripeClient, account: BillingAccount
) -> None:
    """Re-read the account's customer's current subscription from Stripe and apply it."""
    assert account.stripe_customer_id is not None
    await apply_subscription(
        repo, settings, account, await current_subscription(client, account.stripe_customer_id)
    )
