"""Stripe's webhook: the signature checked, each event applied once, its objects re-read from Stripe.

An event only tells us *which* customer changed: the customer's current subscription is then fetched from
Stripe and applied (subscriptions.py), so a late, replayed or out-of-order event can never roll the state
back. Each event id is recorded in the same transaction as its effects: a redelivery is a no-op, and a
failure leaves nothing recorded, so Stripe's own retry applies it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import stripe
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.billing.repository import BillingRepository
from agentflow.billing.subscriptions import refresh_account, stripe_failure
from agentflow.config import Settings
from agentflow.errors import BadRequest, Conflict
from agentflow.models import BillingAccount

logger = logging.getLogger("agentflow.billing.webhooks")

# Stripe's own default: a signed body older than this is refused (replays of a captured request).
SIGNATURE_TOLERANCE_SECONDS = 300
MAX_WEBHOOK_BYTES = 512 * 1024
HANDLED = frozenset(
    {
        "checkout.session.completed",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "invoice.paid",
        "invoice.payment_failed",
    }
)


def verify(settings: Settings, payload: bytes, signature: str | None) -> stripe.Event:
    """The event, if Stripe signed this exact body within the tolerance; 400 otherwise."""
    if settings.stripe_webhook_secret is None:
        raise Conflict("No Stripe webhook secret is configured", code="billing_not_configured")
    if not signature:
        raise BadRequest("Missing Stripe-Signature header", code="invalid_signature")
    try:
        event: stripe.Event = stripe.Webhook.construct_event(
            payload.decode("utf-8"),
            signature,
            settings.stripe_webhook_secret.get_secret_value(),
            tolerance=SIGNATURE_TOLERANCE_SECONDS,
        )
    except stripe.SignatureVerificationError:
        raise BadRequest(
            "The Stripe signature does not match this body, or it is too old", code="invalid_signature"
        ) from None
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("The body is not a Stripe event", code="invalid_payload") from None
    return event


# Told of a failed payment inside the webhook's transaction: (session, org id, hosted invoice URL, event id).
# The notifications service, injected by the API so billing never imports notifications.
PaymentFailedHook = Callable[[AsyncSession, uuid.UUID, str | None, str], Awaitable[object]]


async def on_payment_failed(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    invoice: Any,
    event_id: str,
    hook: PaymentFailedHook | None,
) -> None:
    """A payment of the org failed (its subscription is past_due): the one place that tells its owners and
    admins (the `payment.failed` notification, in-app and email, link /settings/billing)."""
    logger.warning("payment failed for org %s (invoice %s)", org_id, invoice.get("id"))
    if hook is not None:
        await hook(session, org_id, invoice.get("hosted_invoice_url"), event_id)


async def handle_event(
    session: AsyncSession,
    settings: Settings,
    client: stripe.StripeClient | None,
    event: stripe.Event,
    *,
    payment_failed: PaymentFailedHook | None = None,
) -> bool:
    """Apply one verified event; False when it was ignored (a type we do not handle, or a redelivery)."""
    if client is None:
        raise Conflict("Billing is not configured on this installation", code="billing_not_configured")
    if event.type not in HANDLED:
        return False
    repo = BillingRepository(session)
    obj: dict[str, Any] = event.to_dict()["data"]["object"]
    try:
        account = await _account_for(repo, client, event.type, obj)
        created = datetime.fromtimestamp(event.created, UTC)
        fresh = await repo.record_event(
            event_id=event.id, type_=event.type, org_id=account.org_id if account else None, created=created
        )
        if not fresh:
            return False
        if account is None:
            logger.info("stripe event %s (%s) is for no org of ours", event.id, event.type)
            return True
        await refresh_account(repo, settings, client, account)
    except stripe.StripeError as exc:
        raise stripe_failure(exc) from exc
    if account.updated_from_event_at is None or created > account.updated_from_event_at:
        account.updated_from_event_at = created
    if event.type == "invoice.payment_failed":
        await on_payment_failed(
            session, org_id=account.org_id, invoice=obj, event_id=event.id, hook=payment_failed
        )
    return True


async def _account_for(
    repo: BillingRepository, client: stripe.StripeClient, type_: str, obj: Any
) -> BillingAccount | None:
    """The (locked) account the event is about, found by its Stripe customer."""
    if type_ == "checkout.session.completed":
        # Re-read: the session as Stripe has it now (its customer, its subscription), not the event's copy.
        checkout = await client.v1.checkout.sessions.retrieve_async(obj["id"])
        customer = checkout.customer if isinstance(checkout.customer, str) else None
        if not customer:
            return None
        account = await repo.account_by_customer(customer)
        if account is None:
            # A session whose customer Checkout created: link it to the org the session was opened for.
            org_id = _org_id(checkout.client_reference_id)
            if org_id is None or not await repo.org_exists(org_id):
                return None
            account = await repo.locked_account(org_id)
            if account.stripe_customer_id is None:
                account.stripe_customer_id = customer
            elif account.stripe_customer_id != customer:
                return None
        return account
    customer = obj.get("customer")
    return await repo.account_by_customer(customer) if isinstance(customer, str) else None


def _org_id(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None
