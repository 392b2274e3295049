"""Billing's API shapes: the subscription, a subscribe request, a Stripe-hosted page's URL, invoices."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from agentflow.kit.schemas import InputSchema, examples

SubscriptionStatus = Literal["active", "trialing", "past_due", "canceled", "incomplete", "unpaid", "none"]


class PlanLimits(BaseModel):
    agents: int | None
    executions: int | None
    knowledge_bytes: int | None
    seats: int | None


class SubscriptionPublic(BaseModel):
    plan: str
    status: SubscriptionStatus
    customer_id: str | None = Field(
        description="The org's Stripe customer; null until the first billing action."
    )
    current_period_start: datetime | None
    current_period_end: datetime | None
    cancel_at_period_end: bool
    billing_enabled: bool
    limits: PlanLimits


class SubscribeRequest(InputSchema):
    model_config = examples({"plan": "starter"})

    plan: str = Field(min_length=1, max_length=40, description="A self-serve plan: `starter` or `pro`.")


class BillingURL(BaseModel):
    url: str = Field(description="Where to send the browser: a Stripe-hosted page, or the billing page.")


class InvoicePublic(BaseModel):
    id: str
    number: str | None
    status: str | None
    amount_due: int = Field(description="In the currency's minor unit (cents), as Stripe gives it.")
    amount_paid: int
    currency: str
    created: datetime
    period_start: datetime | None
    period_end: datetime | None
    hosted_invoice_url: str | None
    invoice_pdf: str | None


class InvoiceList(BaseModel):
    items: list[InvoicePublic]
    next_cursor: str | None = None
