"""An org's retention setting (`settings.retention_days`: 30, 90 or 365 days; absent = unlimited) and the
notice period before a new or shorter setting first deletes anything.

Saving a setting that deletes more than the one before (a first setting, or a shorter one) holds its first
purge for `NOTICE_DAYS` (`organizations.retention_purge_from`) and tells the owners at once, in the same
transaction: so owners always hear of a purge a week before it happens, and a mistaken setting can be
undone before any row is gone. A longer setting, or unlimited, deletes less: it applies at once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.models import Organization
from agentflow.notifications.producers import notify_retention_scheduled

RetentionDays = Literal[30, 90, 365]
NOTICE_DAYS = 7


def deletes_more(old: int | None, new: int | None) -> bool:
    """Whether `new` would purge rows `old` keeps (None is unlimited)."""
    return new is not None and (old is None or new < old)


async def apply_change(
    session: AsyncSession,
    org: Organization,
    *,
    old: int | None,
    new: int | None,
    now: datetime | None = None,
) -> None:
    """After `settings.retention_days` changed from `old` to `new`: hold and announce a purge that deletes
    more than before; anything else changes nothing (a pending hold stays: it only ever delays)."""
    if not deletes_more(old, new):
        return
    assert new is not None
    purge_from = (now or datetime.now(UTC)) + timedelta(days=NOTICE_DAYS)
    org.retention_purge_from = purge_from
    await notify_retention_scheduled(session, org_id=org.id, days=new, purge_from=purge_from)
