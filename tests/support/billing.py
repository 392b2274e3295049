"""Turning billing on for an API test app, and seeding the rows plan limits count."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.billing.limits import PlanLimits
from agentflow.config import Settings
from agentflow.notifications.billing_alerts import notify_crossing

UPGRADE_URL = "http://testserver/settings/billing"


def bill(app: FastAPI, settings: Settings, **overrides: object) -> Settings:
    """Billing on for this app (a Stripe key is set, as in production); the settings it now runs with."""
    billed = settings.model_copy(update={"stripe_api_key": SecretStr("sk_test_limits"), **overrides})
    assert billed.billing_enabled
    app.state.settings = billed
    app.state.limits = PlanLimits.from_settings(billed, notifier=notify_crossing)
    return billed


async def set_plan(session: AsyncSession, org_id: uuid.UUID, plan: str) -> None:
    await session.execute(
        text("UPDATE organizations SET plan = :plan WHERE id = :id"), {"plan": plan, "id": org_id}
    )


async def seed_executions(
    session: AsyncSession,
    org_id: uuid.UUID,
    agent_id: uuid.UUID,
    count: int,
    *,
    triggered_by: str = "api",
    created_at: datetime | None = None,
) -> None:
    """`count` finished executions of the agent, created now (the test's transaction time) or then."""
    await session.execute(
        text(
            """
            INSERT INTO executions (id, org_id, agent_id, status, triggered_by, attempt, total_tokens,
                                    total_cost_usd, created_at, updated_at)
            SELECT gen_random_uuid(), :org_id, :agent_id, 'completed', :triggered_by, 1, 0, 0,
                   coalesce(CAST(:created_at AS timestamptz), now()), now()
            FROM generate_series(1, :count)
            """
        ),
        {
            "org_id": org_id,
            "agent_id": agent_id,
            "triggered_by": triggered_by,
            "created_at": created_at,
            "count": count,
        },
    )


async def executions_in_org(session: AsyncSession, org_id: uuid.UUID) -> int:
    session.expire_all()
    found = await session.scalar(text("SELECT count(*) FROM executions WHERE org_id = :id"), {"id": org_id})
    return int(found or 0)
