"""The billing hooks: a create that brought usage to 80 % or 100 % of a limit (`usage.threshold`, deduped per
limit, period and threshold) and a failed payment (`payment.failed`, deduped per Stripe event) tell owners and
admins. Billing calls them through hooks the API injects, so it never imports notifications."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.billing.limits import Crossing
from agentflow.notifications.producers import notify_payment_failed, notify_usage_threshold


async def notify_crossing(session: AsyncSession, org_id: uuid.UUID, crossing: Crossing) -> None:
    """Record the notification in the create's own transaction (a rolled-back create notifies nobody)."""
    await notify_usage_threshold(
        session,
        org_id,
        crossing.limit,
        crossing.used,
        crossing.allowed,
        crossing.threshold,
        crossing.period.start,
    )


async def notify_failed_payment(
    session: AsyncSession, org_id: uuid.UUID, invoice_url: str | None, event_id: str
) -> None:
    """In the webhook's transaction; a replayed event (the same event id) notifies nobody twice."""
    await notify_payment_failed(session, org_id, invoice_url, event_id=event_id)
