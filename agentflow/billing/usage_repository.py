"""The counting queries behind plan limits: on the request's session, and the executions count compiled for
the fast reader (the webhook front door and scheduled runs have no ORM session)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import TextClause, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.billing.period import Period
from agentflow.billing.plans import LimitName
from agentflow.kit.fastread import FastReader, compile_query
from agentflow.models import Agent, AgentStatus, Invitation, KnowledgeBase, Organization, OrgMembership

# Executions that count: created in the period, neither test runs nor runs another agent started as a tool
# (the parent execution is what was asked for). Walks ix_executions_org_id_created_at_id for the period.
COUNT_EXECUTIONS: TextClause = text(
    """
    SELECT count(*) AS used FROM executions
    WHERE org_id = :org_id AND created_at >= :period_start AND created_at < :period_end
      AND triggered_by NOT IN ('test', 'agent')
    """
)
_COUNT_EXECUTIONS_FAST = compile_query(COUNT_EXECUTIONS)


async def count_executions_fast(db: FastReader, org_id: uuid.UUID, period: Period) -> int:
    """COUNT_EXECUTIONS on the fast reader."""
    row = await db.fetchrow(
        _COUNT_EXECUTIONS_FAST, org_id=org_id, period_start=period.start, period_end=period.end
    )
    assert row is not None
    return int(row["used"])


# A paying org (billing/subscriptions.py PAYING) counts in its subscription's period, else the month.
_PLAN_AND_PERIOD = text(
    """
    SELECT o.plan, b.current_period_start AS period_start, b.current_period_end AS period_end
    FROM organizations o
    LEFT JOIN billing_accounts b ON b.org_id = o.id AND b.status IN ('active', 'trialing', 'past_due')
    WHERE o.id = :org_id
    """
)


def subscription_period(start: datetime | None, end: datetime | None) -> Period | None:
    return Period(start, end) if start is not None and end is not None and start < end else None


class UsageRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def stored_plan(self, org_id: uuid.UUID) -> str:
        plan = await self.session.scalar(select(Organization.plan).where(Organization.id == org_id))
        return plan or "free"

    async def plan_and_subscription(self, org_id: uuid.UUID) -> tuple[str, Period | None]:
        """The org's stored plan and, while it pays, its Stripe subscription's current period."""
        row = (await self.session.execute(_PLAN_AND_PERIOD, {"org_id": org_id})).first()
        if row is None:
            return "free", None
        return row.plan or "free", subscription_period(row.period_start, row.period_end)

    async def lock(self, org_id: uuid.UUID, limit: LimitName) -> None:
        """Serialize this org's creations of one kind until the transaction ends, so two concurrent creates
        at the limit cannot both see room for one more."""
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"plan-limit:{org_id}:{limit}"},
        )

    async def count(self, org_id: uuid.UUID, limit: LimitName, period: Period) -> int:
        """What `limit` counts for the org now (executions: in `period`)."""
        if limit == LimitName.executions:
            used = await self.session.scalar(
                COUNT_EXECUTIONS,
                {"org_id": org_id, "period_start": period.start, "period_end": period.end},
            )
        elif limit == LimitName.agents:
            used = await self.session.scalar(
                select(func.count())
                .select_from(Agent)
                .where(Agent.org_id == org_id, Agent.status != AgentStatus.archived)
            )
        elif limit == LimitName.knowledge_bytes:
            used = await self.session.scalar(
                select(func.coalesce(func.sum(KnowledgeBase.bytes_used), 0)).where(
                    KnowledgeBase.org_id == org_id
                )
            )
        else:
            members = (
                select(func.count()).select_from(OrgMembership).where(OrgMembership.org_id == org_id)
            ).scalar_subquery()
            pending = (
                select(func.count())
                .select_from(Invitation)
                .where(
                    Invitation.org_id == org_id,
                    Invitation.accepted_at.is_(None),
                    Invitation.revoked_at.is_(None),
                    Invitation.expires_at > func.now(),
                )
            ).scalar_subquery()
            used = await self.session.scalar(select(members + pending))
        return int(used or 0)
