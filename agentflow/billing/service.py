"""Billing for the API: the subscription, subscribing or switching plan, the Customer Portal, invoices."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import stripe
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.auth.subject import AuthSubject
from agentflow.billing.plans import PLANS, PlanName, effective_plan
from agentflow.billing.repository import BillingRepository
from agentflow.billing.schemas import BillingURL, InvoicePublic, PlanLimits, SubscriptionPublic
from agentflow.billing.stripe_client import plan_prices
from agentflow.billing.subscriptions import (
    PAYING,
    apply_subscription,
    billing_page,
    ensure_customer,
    plan_item,
    stripe_failure,
)
from agentflow.config import Settings
from agentflow.errors import Conflict, ValidationFailed
from agentflow.models import BillingAccount, Organization


def _not_configured() -> Conflict:
    return Conflict(
        "Billing is not configured on this installation: every plan limit is off",
        code="billing_not_configured",
    )


def _time(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value else None


class BillingService:
    async def subscription(
        self, session: AsyncSession, settings: Settings, *, subject: AuthSubject
    ) -> SubscriptionPublic:
        """The org's plan and subscription as last read from Stripe."""
        repo = BillingRepository(session)
        account = await repo.account(subject.org_id)
        plan = effective_plan(await repo.org_plan(subject.org_id), billing_enabled=settings.billing_enabled)
        has_subscription = settings.billing_enabled and account is not None and account.stripe_subscription_id
        return SubscriptionPublic(
            plan=plan.name,
            status=account.status if has_subscription and account else "none",  # type: ignore[arg-type]
            customer_id=account.stripe_customer_id if account else None,
            current_period_start=account.current_period_start if has_subscription and account else None,
            current_period_end=account.current_period_end if has_subscription and account else None,
            cancel_at_period_end=bool(has_subscription and account and account.cancel_at_period_end),
            billing_enabled=settings.billing_enabled,
            limits=PlanLimits(**{name.value: value for name, value in plan.limits.items()}),
        )

    async def subscribe(
        self,
        session: AsyncSession,
        settings: Settings,
        client: stripe.StripeClient | None,
        *,
        subject: AuthSubject,
        plan: str,
    ) -> BillingURL:
        """A Checkout Session for an org without a subscription; a prorated price switch for one with."""
        if client is None:
            raise _not_configured()
        try:
            name = PlanName(plan)
        except ValueError:
            raise ValidationFailed(f"Unknown plan {plan!r}", details={"plan": plan}) from None
        price = plan_prices(settings).get(name)
        if not PLANS[name].self_serve or price is None:
            raise ValidationFailed(
                f"The {PLANS[name].title} plan cannot be bought here", details={"plan": plan}
            )
        repo = BillingRepository(session)
        org = await session.get(Organization, subject.org_id)
        assert org is not None
        try:
            account = await ensure_customer(repo, client, org_id=org.id, org_name=org.name)
            if account.stripe_subscription_id is not None:
                retrieved = await client.v1.subscriptions.retrieve_async(account.stripe_subscription_id)
                subscription = retrieved.to_dict()
                if subscription["status"] in PAYING:
                    await self._switch(repo, settings, client, account, subscription, price)
                    return BillingURL(url=billing_page(settings, "?changed=1"))
            line_items: list[dict[str, object]] = [{"price": price, "quantity": 1}]
            if settings.stripe_price_executions:  # metered: Stripe takes no quantity for it
                line_items.append({"price": settings.stripe_price_executions})
            metadata = {"org_id": str(org.id)}
            params: Any = {
                "mode": "subscription",
                "customer": account.stripe_customer_id or "",
                "client_reference_id": str(org.id),
                "line_items": line_items,
                "metadata": metadata,
                "subscription_data": {"metadata": metadata},
                "success_url": billing_page(settings, "?checkout=success"),
                "cancel_url": billing_page(settings, "?checkout=cancelled"),
            }
            checkout = await client.v1.checkout.sessions.create_async(params)
        except stripe.StripeError as exc:
            raise stripe_failure(exc) from exc
        assert checkout.url is not None
        return BillingURL(url=checkout.url)

    async def _switch(
        self,
        repo: BillingRepository,
        settings: Settings,
        client: stripe.StripeClient,
        account: BillingAccount,
        subscription: dict[str, Any],
        price: str,
    ) -> None:
        item = plan_item(settings, subscription)
        if item is not None and item["price"]["id"] != price:
            updated = await client.v1.subscriptions.update_async(
                subscription["id"],
                {"items": [{"id": item["id"], "price": price}], "proration_behavior": "create_prorations"},
            )
            subscription = updated.to_dict()
        await apply_subscription(repo, settings, account, subscription)

    async def portal(
        self,
        session: AsyncSession,
        settings: Settings,
        client: stripe.StripeClient | None,
        *,
        subject: AuthSubject,
    ) -> BillingURL:
        """A Customer Portal session (payment methods, invoices, cancelling) returning to the billing page."""
        if client is None:
            raise _not_configured()
        org = await session.get(Organization, subject.org_id)
        assert org is not None
        try:
            account = await ensure_customer(
                BillingRepository(session), client, org_id=org.id, org_name=org.name
            )
            portal = await client.v1.billing_portal.sessions.create_async(
                {"customer": account.stripe_customer_id or "", "return_url": billing_page(settings)}
            )
        except stripe.StripeError as exc:
            raise stripe_failure(exc) from exc
        return BillingURL(url=portal.url)

    async def invoices(
        self,
        session: AsyncSession,
        client: stripe.StripeClient | None,
        *,
        subject: AuthSubject,
        limit: int,
    ) -> list[InvoicePublic]:
        """The org's newest invoices from Stripe; none before its first billing action or with billing off."""
        account = await BillingRepository(session).account(subject.org_id)
        if client is None or account is None or account.stripe_customer_id is None:
            return []
        try:
            page = await client.v1.invoices.list_async(
                {"customer": account.stripe_customer_id, "limit": limit}
            )
        except stripe.StripeError as exc:
            raise stripe_failure(exc) from exc
        return [
            InvoicePublic(
                id=invoice.id or "",
                number=invoice.number,
                status=invoice.status,
                amount_due=invoice.amount_due,
                amount_paid=invoice.amount_paid,
                currency=invoice.currency,
                created=datetime.fromtimestamp(invoice.created, UTC),
                period_start=_time(invoice.period_start),
                period_end=_time(invoice.period_end),
                hosted_invoice_url=invoice.hosted_invoice_url,
                invoice_pdf=invoice.invoice_pdf,
            )
            for invoice in page.data
        ]


billing_service = BillingService()
