"""The daily rollup over every org: each org's complete local days not yet rolled up (and the last
SETTLE_DAYS again), each day in a transaction of its own, so a crash leaves whole days and a re-run
replaces them."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agentflow.analytics.service import analytics_service

logger = logging.getLogger("agentflow.analytics")


@dataclass
class RollupReport:
    days: int = 0
    rows: int = 0
    failed_orgs: list[str] = field(default_factory=list)


async def roll_up(
    sessions: async_sessionmaker[AsyncSession],
    *,
    day: date | None = None,
    org_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> RollupReport:
    """Roll up the due days of every org (or only `org_id`); with `day`, exactly that local day again."""
    report = RollupReport()
    async with sessions() as session:
        org_ids = [org_id] if org_id is not None else await analytics_service.org_ids(session)
    for org in org_ids:
        try:
            async with sessions() as session:
                days = [day] if day else await analytics_service.days_due(session, org_id=org, now=now)
            for one in days:
                async with sessions() as session, session.begin():
                    report.rows += await analytics_service.rollup_day(session, org_id=org, day=one)
                report.days += 1
        except Exception:  # one org's failure must not stop the others; the next run retries its days
            logger.exception("usage rollup of org %s failed", org)
            report.failed_orgs.append(str(org))
    return report
