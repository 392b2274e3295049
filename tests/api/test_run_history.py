"""Run history tells the truth: the version that ran, what approvals decided, and test runs kept out of an
agent's success rate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.models import AgentVersion, Execution
from tests.factories import Member, create_agent
from tests.support.usage import add_execution

NOW = datetime.now(UTC).replace(microsecond=0)


def approval(approved: bool, key: str = "review") -> dict[str, object]:
    return {"step_key": key, "node_type": "human.approval", "output": {"approved": approved}}


async def test_the_list_and_the_detail_name_the_version_and_the_approval_decision(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    agent_id = await create_agent(session, owner)
    published = await client.post(
        f"/agents/{agent_id}/publish", json={"message": "v1"}, headers=owner.headers
    )
    assert published.status_code == 201, published.text
    version_id = (
        await session.execute(select(AgentVersion.id).where(AgentVersion.agent_id == agent_id))
    ).scalar_one()
    org = owner.org_id
    rejected = await add_execution(
        session,
        org_id=org,
        agent_id=agent_id,
        created_at=NOW,
        steps=[approval(True), approval(False, "second")],
    )
    approved = await add_execution(
        session, org_id=org, agent_id=agent_id, created_at=NOW + timedelta(seconds=1), steps=[approval(True)]
    )
    waiting = await add_execution(
        session, org_id=org, agent_id=agent_id, created_at=NOW + timedelta(seconds=2), status="paused"
    )
    plain = await add_execution(
        session, org_id=org, agent_id=agent_id, created_at=NOW + timedelta(seconds=3), triggered_by="test"
    )
    for execution_id in (rejected, approved, waiting):
        row = await session.get(Execution, execution_id)
        assert row is not None
        row.version_id = version_id
    paused = await session.get(Execution, waiting)
    assert paused is not None
    paused.waiting_for = {"node_id": "review", "step_key": "review", "approvers": []}
    await session.flush()

    listed = await client.get("/executions", params={"agent_id": str(agent_id)}, headers=owner.headers)
    assert listed.status_code == 200, listed.text
    by_id = {item["id"]: item for item in listed.json()["items"]}
    assert {k: (v["version"], v["approval"], v["triggered_by"]) for k, v in by_id.items()} == {
        str(rejected): (1, "rejected", "manual"),
        str(approved): (1, "approved", "manual"),
        str(waiting): (1, "waiting", "manual"),
        str(plain): (None, None, "test"),
    }
    detail = await client.get(f"/executions/{rejected}", headers=owner.headers)
    assert detail.status_code == 200
    assert (detail.json()["version"], detail.json()["approval"]) == (1, "rejected")


async def test_test_runs_are_left_out_of_the_agents_success_rate(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    agent_id = await create_agent(session, owner)
    org = owner.org_id
    await add_execution(session, org_id=org, agent_id=agent_id, created_at=NOW, status="completed")
    await add_execution(session, org_id=org, agent_id=agent_id, created_at=NOW, status="failed")
    for _ in range(3):  # failed drafts being tried out say nothing about the published agent
        await add_execution(
            session, org_id=org, agent_id=agent_id, created_at=NOW, status="failed", triggered_by="test"
        )
    listed = await client.get("/agents", headers=owner.headers)
    assert listed.status_code == 200
    (agent,) = [a for a in listed.json()["items"] if a["id"] == str(agent_id)]
    assert agent["success_rate"] == 0.5
