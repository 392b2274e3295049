"""The plan limits' notifier: a create that brought usage to 80 % or 100 % of a limit tells owners and admins
(`usage.threshold`; the producer dedupes per limit, period and threshold)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.billing.limits import Crossing
from agentflow.notifications.producers import notify_usage_threshold


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
