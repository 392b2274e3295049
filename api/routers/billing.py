"""/api/v1/billing: the org's Stripe subscription, Checkout and the Customer Portal, invoices, and Stripe's
webhook. (Plans and usage against the limits are in billing_limits.py.)"""

from __future__ import annotations

from typing import Annotated, Any

import stripe
from fastapi import APIRouter, BackgroundTasks, Depends, Header, Query, Request

from agentflow.auth.subject import AuthSubject
from agentflow.billing.schemas import BillingURL, InvoiceList, SubscribeRequest, SubscriptionPublic
from agentflow.billing.service import billing_service
from agentflow.billing.webhooks import MAX_WEBHOOK_BYTES, handle_event, verify
from agentflow.errors import PayloadTooLarge
from agentflow.notifications.billing_alerts import notify_failed_payment
from agentflow.notifications.service import take_pending_emails
from agentflow.rbac import Permission
from api.deps import Authorize, NotificationMailerDep, SessionDep, SettingsDep
from api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/billing", tags=["billing"], responses=ERROR_RESPONSES)
WEBHOOK_PATH = "/webhook"

BillingReader = Annotated[AuthSubject, Depends(Authorize(Permission.billing_read))]
BillingManager = Annotated[AuthSubject, Depends(Authorize(Permission.billing_manage))]
_OFF: dict[int | str, dict[str, Any]] = {
    409: {"description": "Billing is not configured (`billing_not_configured`)"}
}
_STRIPE_DOWN: dict[int | str, dict[str, Any]] = {
    503: {"description": "Stripe is unreachable or refused the call (`stripe_unavailable`)"}
}


async def get_stripe(request: Request) -> stripe.StripeClient | None:
    client: stripe.StripeClient | None = getattr(request.app.state, "stripe", None)
    return client


StripeDep = Annotated[stripe.StripeClient | None, Depends(get_stripe)]


@router.get("/subscription", response_model=SubscriptionPublic)
async def get_subscription(
    subject: BillingReader, session: SessionDep, settings: SettingsDep
) -> SubscriptionPublic:
    """The org's plan, its subscription's status and period, and the plan's limits."""
    return await billing_service.subscription(session, settings, subject=subject)


@router.post("/subscribe", response_model=BillingURL, responses={**_OFF, **_STRIPE_DOWN})
async def subscribe(
    body: SubscribeRequest,
    subject: BillingManager,
    session: SessionDep,
    settings: SettingsDep,
    client: StripeDep,
) -> BillingURL:
    """Subscribe to a self-serve plan: a Stripe Checkout URL; with a subscription already, its price is
    switched (prorated) and the URL is the billing page (admin+)."""
    return await billing_service.subscribe(session, settings, client, subject=subject, plan=body.plan)


@router.post("/portal", response_model=BillingURL, responses={**_OFF, **_STRIPE_DOWN})
async def portal(
    subject: BillingManager, session: SessionDep, settings: SettingsDep, client: StripeDep
) -> BillingURL:
    """A Stripe Customer Portal URL: payment methods, invoices, cancelling (admin+)."""
    return await billing_service.portal(session, settings, client, subject=subject)


@router.get("/invoices", response_model=InvoiceList, responses=_STRIPE_DOWN)
async def list_invoices(
    subject: BillingManager,
    session: SessionDep,
    client: StripeDep,
    limit: Annotated[int, Query(ge=1, le=100, description="How many of the newest invoices.")] = 24,
) -> InvoiceList:
    """The org's invoices from Stripe, newest first; empty with billing off (admin+)."""
    return InvoiceList(items=await billing_service.invoices(session, client, subject=subject, limit=limit))


@router.post(WEBHOOK_PATH, responses={**_OFF, **_STRIPE_DOWN, 400: {"description": "Bad or stale signature"}})
async def stripe_webhook(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    client: StripeDep,
    background: BackgroundTasks,
    mailer: NotificationMailerDep,
    stripe_signature: Annotated[str | None, Header(max_length=1000)] = None,
) -> dict[str, bool]:
    """Stripe's events (public: Stripe's signature of the raw body is the credential). A redelivered event
    is a 200 no-op; `processed` says whether this delivery changed anything."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_WEBHOOK_BYTES:
            raise PayloadTooLarge(f"A Stripe event is at most {MAX_WEBHOOK_BYTES} bytes")
    event = verify(settings, bytes(body), stripe_signature)
    processed = await handle_event(session, settings, client, event, payment_failed=notify_failed_payment)
    # A failed payment notified owners and admins: mailed after the commit.
    background.add_task(mailer.deliver, take_pending_emails(session))
    return {"processed": processed}
