"""Stripe billing state: one billing account per org, the Stripe events already processed, and which
executions were reported to the executions meter."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from agentflow.kit.models import Base, TenantModel, utcnow


class BillingAccount(TenantModel):
    """An org's Stripe customer and the subscription as last read from Stripe (Stripe is the truth)."""

    __tablename__ = "billing_accounts"
    __table_args__ = (UniqueConstraint("org_id"), UniqueConstraint("stripe_customer_id"))

    stripe_customer_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(255), nullable=True, index=True)
    stripe_price_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # Stripe's subscription status, or "none" without a subscription.
    status: Mapped[str] = mapped_column(String(40), nullable=False, default="none", server_default="none")
    current_period_start: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    current_period_end: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    cancel_at_period_end: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default="false"
    )
    # The `created` of the newest Stripe event applied (the state itself is always re-read from Stripe).
    updated_from_event_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # When the subscription was last re-read from Stripe (webhook, switch or the daily reconciliation).
    synced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class StripeEvent(Base):
    """A Stripe event already handled: a redelivery of the same id is a no-op."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100), nullable=False)
    org_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="SET NULL"), nullable=True, index=True
    )
    stripe_created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    processed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, server_default=func.now()
    )


class MeterReport(TenantModel):
    """One execution's meter event: pending until Stripe accepted it, then `reported_at` is set."""

    __tablename__ = "billing_meter_reports"
    __table_args__ = (
        # What the reporter picks up: pending reports whose next try is due.
        Index(
            "ix_billing_meter_reports_pending",
            "next_attempt_at",
            postgresql_where=text("reported_at IS NULL AND abandoned_at IS NULL"),
        ),
    )

    execution_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("executions.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    stripe_customer_id: Mapped[str] = mapped_column(String(255), nullable=False)
    # The execution's finish time: the meter event's timestamp, so usage lands in the right period.
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, server_default=func.now()
    )
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    reported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Given up (Stripe refused it for good, or it is older than Stripe accepts): logged, never retried.
    abandoned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
