"""GET /billing/usage and /billing/plans against known rows, and billing off: self_hosted, nothing refused."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.billing.period import calendar_month
from agentflow.billing.plans import PLANS, PlanName
from agentflow.config import Settings
from agentflow.rbac import Role
from tests.factories import Member, add_member, create_agent, create_org_with_owner
from tests.support.billing import bill, seed_executions


async def test_usage_counts_this_orgs_rows_in_the_month(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member, settings: Settings, app: FastAPI
) -> None:
    bill(app, settings)
    viewer = await add_member(session, settings, owner.org_id, Role.viewer)
    agent_id = await create_agent(session, owner)
    archived = await create_agent(session, owner)
    await session.execute(text("UPDATE agents SET status = 'archived' WHERE id = :id"), {"id": archived})
    month = calendar_month(await session.scalar(text("SELECT now()")))
    for source in ("api", "manual", "webhook", "schedule"):
        await seed_executions(session, owner.org_id, agent_id, 2, triggered_by=source)
    await seed_executions(session, owner.org_id, agent_id, 3, triggered_by="test")
    await seed_executions(session, owner.org_id, agent_id, 3, triggered_by="agent")
    await seed_executions(session, owner.org_id, agent_id, 4, created_at=month.start - timedelta(seconds=1))
    kb = (await client.post("/knowledge-bases", json={"name": "KB"}, headers=owner.headers)).json()
    await session.execute(
        text("UPDATE knowledge_bases SET bytes_used = 1234 WHERE id = :id"), {"id": kb["id"]}
    )
    invite = "/org/members/invite"
    pending = await client.post(
        invite, json={"email": "p@example.com", "role": "viewer"}, headers=owner.headers
    )
    assert pending.status_code == 201, pending.text
    await session.execute(
        text("UPDATE invitations SET expires_at = now() - interval '1 day' WHERE email = 'p@example.com'")
    )
    again = await client.post(
        invite, json={"email": "q@example.com", "role": "viewer"}, headers=owner.headers
    )
    assert again.status_code == 201, again.text
    # Another org's rows never count.
    other = await create_org_with_owner(session, settings, name="Org B")
    other_agent = await create_agent(session, other)
    await seed_executions(session, other.org_id, other_agent, 7)

    usage = await client.get("/billing/usage", headers=viewer.headers)
    assert usage.status_code == 200, usage.text
    assert usage.json() == {
        "plan": "free",
        "period_start": month.start.isoformat().replace("+00:00", "Z"),
        "period_end": month.end.isoformat().replace("+00:00", "Z"),
        "limits": {
            "agents": {"used": 1, "limit": 3},
            "executions": {"used": 8, "limit": 1000},
            "knowledge_bytes": {"used": 1234, "limit": 100 * 1024 * 1024},
            "seats": {"used": 3, "limit": 3},  # owner, viewer, q@ (p@ expired)
        },
    }


async def test_plans_lists_the_plans_of_plans_py_and_the_current_one(
    client: httpx.AsyncClient, owner: Member, settings: Settings, app: FastAPI
) -> None:
    bill(app, settings)
    listed = (await client.get("/billing/plans", headers=owner.headers)).json()
    assert listed["billing_enabled"] is True and listed["current"] == "free"
    assert [p["name"] for p in listed["plans"]] == ["free", "starter", "pro", "enterprise"]
    pro = next(p for p in listed["plans"] if p["name"] == "pro")
    plan = PLANS[PlanName.pro]
    assert pro["limits"] == {str(k): v for k, v in plan.limits.items()}
    assert pro["monthly_usd"] == 99 and pro["self_serve"] is True and pro["features"] == list(plan.features)


async def test_billing_off_is_self_hosted_and_never_refuses(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    for _ in range(3):
        await create_agent(session, owner)
    assert (await client.post("/agents", json={"name": "Fourth"}, headers=owner.headers)).status_code == 201
    plans = (await client.get("/billing/plans", headers=owner.headers)).json()
    assert plans["billing_enabled"] is False and plans["current"] == "self_hosted"
    assert "self_hosted" in [p["name"] for p in plans["plans"]]
    usage = (await client.get("/billing/usage", headers=owner.headers)).json()
    assert usage["plan"] == "self_hosted"
    assert usage["limits"]["agents"] == {"used": 4, "limit": None}
    assert all(figure["limit"] is None for figure in usage["limits"].values())
