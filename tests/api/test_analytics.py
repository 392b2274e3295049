"""Analytics endpoints against executions written for real: what is counted (test runs out, agent tools
never twice), the rollup read like the live figures, org time zones, ranges, another org's agent."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.analytics.service import analytics_service
from agentflow.config import Settings
from agentflow.models import Organization, UsageDaily
from agentflow.rbac import Role
from tests.factories import Member, add_member, create_agent, create_org_with_owner
from tests.support.usage import add_execution, ai_usage

DAY = date(2026, 3, 10)
NOON = datetime(2026, 3, 10, 12, tzinfo=UTC)


async def seed_day(session: AsyncSession, owner: Member) -> tuple[uuid.UUID, uuid.UUID]:
    """Triage (A) calls Lookup (B) as a tool: A's totals hold B's cost on the tool child step."""
    a = await create_agent(session, owner, name="Triage")
    b = await create_agent(session, owner, name="Lookup")
    org = owner.org_id
    await add_execution(
        session,
        org_id=org,
        agent_id=a,
        created_at=NOON,
        duration_ms=1_500,
        steps=[
            {
                "step_key": "classify",
                "tokens": 150,
                "cost_usd": "0.015",
                "output": ai_usage("openai", "gpt-4o-mini", 100, 50, "0.015"),
            },
            # A model round: its usage is already on the AI step's row.
            {
                "step_key": "classify/round/1",
                "node_type": "ai.round",
                "output": ai_usage("openai", "x", 1, 1, "1"),
            },
            # The agent tool call: the sub-execution's cost, counted as Lookup's.
            {"step_key": "classify/tool/1.1", "node_type": "ai.tool", "tokens": 30, "cost_usd": "0.003"},
        ],
    )
    await add_execution(
        session,
        org_id=org,
        agent_id=b,
        created_at=NOON + timedelta(seconds=1),
        triggered_by="agent",
        duration_ms=300,
        steps=[
            {
                "step_key": "answer",
                "tokens": 30,
                "cost_usd": "0.003",
                "output": ai_usage("anthropic", "claude-haiku", 20, 10, "0.003"),
            }
        ],
    )
    await add_execution(  # a test run: never counted
        session,
        org_id=org,
        agent_id=a,
        created_at=NOON,
        triggered_by="test",
        steps=[
            {
                "step_key": "classify",
                "tokens": 999,
                "cost_usd": "9",
                "output": ai_usage("openai", "m", 9, 9, "9"),
            }
        ],
    )
    await add_execution(
        session,
        org_id=org,
        agent_id=a,
        created_at=NOON + timedelta(hours=1),
        status="failed",
        triggered_by="webhook",
        duration_ms=50_000,
        failed_node="fetch",
        steps=[{"step_key": "fetch", "node_type": "http", "status": "failed", "error_kind": "permanent"}],
    )
    await add_execution(  # AI usage without a provider recorded
        session,
        org_id=org,
        agent_id=a,
        created_at=NOON + timedelta(hours=2),
        status="timed_out",
        triggered_by="schedule",
        duration_ms=None,
        failed_node="classify",
        steps=[
            {
                "step_key": "classify",
                "status": "failed",
                "error_kind": "timed_out",
                "tokens": 5,
                "cost_usd": "0.001",
            }
        ],
    )
    return a, b


def query(day: date = DAY, **extra: str) -> dict[str, str]:
    return {"from": day.isoformat(), "to": day.isoformat(), **extra}


async def figures(client: httpx.AsyncClient, owner: Member) -> dict[str, Any]:
    answers = {}
    for path, params in [
        ("/analytics/overview", query()),
        ("/analytics/costs", query(group_by="provider")),
        ("/analytics/costs", query(group_by="model")),
        ("/analytics/costs", query(group_by="agent")),
        ("/analytics/usage", query()),
    ]:
        response = await client.get(path, params=params, headers=owner.headers)
        assert response.status_code == 200, response.text
        answers[f"{path}?{params.get('group_by', '')}"] = response.json()
    return answers


async def test_counts_each_execution_and_cost_once_live_and_rolled_up(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    a, b = await seed_day(session, owner)
    live = await figures(client, owner)
    overview = live["/analytics/overview?"]
    assert overview["from"] == overview["to"] == "2026-03-10"
    assert overview["timezone"] == "UTC"
    assert {k: overview[k] for k in ("executions", "succeeded", "failed", "timed_out", "active_agents")} == {
        "executions": 4,
        "succeeded": 2,
        "failed": 1,
        "timed_out": 1,
        "active_agents": 2,
    }
    assert overview["success_rate"] == 0.5
    assert overview["tokens"] == 150 + 30 + 5
    assert (overview["tokens_in"], overview["tokens_out"]) == (120, 60)
    assert overview["cost_usd"] == pytest.approx(0.019)
    assert overview["avg_duration_ms"] == pytest.approx((1_500 + 300 + 50_000) / 3)
    assert 20_000 < overview["p95_duration_ms"] <= 50_000  # the 50 s run's bucket
    assert overview["previous"]["from"] == overview["previous"]["to"] == "2026-03-09"
    assert overview["previous"]["executions"] == 0 and overview["previous"]["success_rate"] is None

    providers = live["/analytics/costs?provider"]
    assert providers["total_cost_usd"] == pytest.approx(0.019)
    assert [(i["key"], i["executions"], i["tokens"], i["cost_usd"]) for i in providers["items"]] == [
        ("openai", 1, 150, pytest.approx(0.015)),
        ("anthropic", 1, 30, pytest.approx(0.003)),
        ("unknown", 1, 5, pytest.approx(0.001)),
    ]
    models = live["/analytics/costs?model"]["items"]
    assert (models[0]["key"], models[0]["name"]) == ("openai/gpt-4o-mini", "gpt-4o-mini")
    agents = live["/analytics/costs?agent"]["items"]
    assert [(i["key"], i["name"], i["executions"]) for i in agents] == [
        (str(a), "Triage", 3),
        (str(b), "Lookup", 1),
    ]
    assert agents[0]["cost_usd"] == pytest.approx(0.016)  # its own 0.015 + 0.001, not Lookup's 0.003

    rows = await analytics_service.rollup_day(session, org_id=owner.org_id, day=DAY)
    assert await figures(client, owner) == live
    again = await analytics_service.rollup_day(session, org_id=owner.org_id, day=DAY)
    assert again == rows
    count = select(func.count()).select_from(UsageDaily).where(UsageDaily.org_id == owner.org_id)
    assert (await session.execute(count)).scalar() == rows

    # A rolled-up day is read from the rollup: a late row shows once the day is rolled up again.
    await add_execution(session, org_id=owner.org_id, agent_id=b, created_at=NOON)
    assert (await figures(client, owner))["/analytics/overview?"]["executions"] == 4
    await analytics_service.rollup_day(session, org_id=owner.org_id, day=DAY)
    assert (await figures(client, owner))["/analytics/overview?"]["executions"] == 5


async def test_days_are_the_org_local_days(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    agent = await create_agent(session, owner)
    late = datetime(2026, 3, 10, 14, 30, tzinfo=UTC)  # 23:30 in Tokyo
    after_midnight = datetime(2026, 3, 10, 15, 30, tzinfo=UTC)  # 00:30 on the 11th in Tokyo
    for at in (late, after_midnight):
        await add_execution(session, org_id=owner.org_id, agent_id=agent, created_at=at)
    params = {"from": "2026-03-10", "to": "2026-03-11"}

    def per_day(body: dict[str, Any]) -> list[tuple[str, int]]:
        return [(p["start"], p["executions"]) for p in body["points"]]

    utc = await client.get("/analytics/usage", params=params, headers=owner.headers)
    assert per_day(utc.json()) == [("2026-03-10", 2), ("2026-03-11", 0)]

    put = await client.put("/org", json={"settings": {"timezone": "Asia/Tokyo"}}, headers=owner.headers)
    assert put.status_code == 200 and put.json()["settings"]["timezone"] == "Asia/Tokyo"
    tokyo = await client.get("/analytics/usage", params=params, headers=owner.headers)
    assert tokyo.json()["timezone"] == "Asia/Tokyo"
    assert per_day(tokyo.json()) == [("2026-03-10", 1), ("2026-03-11", 1)]

    # Rolled up in Tokyo time, each local day holds its own run; so does the live read of the same days.
    for day in (date(2026, 3, 10), date(2026, 3, 11)):
        await analytics_service.rollup_day(session, org_id=owner.org_id, day=day)
    rolled = await client.get("/analytics/usage", params=params, headers=owner.headers)
    assert per_day(rolled.json()) == [("2026-03-10", 1), ("2026-03-11", 1)]

    # Back to UTC: the days rolled up at Tokyo's midnight are not used; the live read answers.
    await client.put("/org", json={"settings": {"timezone": "UTC"}}, headers=owner.headers)
    back = await client.get("/analytics/usage", params=params, headers=owner.headers)
    assert per_day(back.json()) == [("2026-03-10", 2), ("2026-03-11", 0)]


async def test_today_is_read_live_and_periods_are_zero_filled(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    agent = await create_agent(session, owner)
    await add_execution(session, org_id=owner.org_id, agent_id=agent, created_at=datetime.now(UTC))
    overview = await client.get("/analytics/overview", headers=owner.headers)
    assert overview.status_code == 200
    body = overview.json()
    today = datetime.now(UTC).date()
    assert (body["from"], body["to"]) == ((today - timedelta(days=29)).isoformat(), today.isoformat())
    assert body["executions"] == 1

    weekly = await client.get(
        "/analytics/usage",
        params={"period": "weekly", "from": "2026-03-01", "to": "2026-03-16"},
        headers=owner.headers,
    )
    assert [p["start"] for p in weekly.json()["points"]] == [
        "2026-02-23",
        "2026-03-02",
        "2026-03-09",
        "2026-03-16",
    ]
    monthly = await client.get(
        "/analytics/usage",
        params={"period": "monthly", "from": "2026-01-31", "to": "2026-03-01"},
        headers=owner.headers,
    )
    assert [p["start"] for p in monthly.json()["points"]] == ["2026-01-01", "2026-02-01", "2026-03-01"]
    assert all(p["executions"] == 0 and p["avg_duration_ms"] is None for p in monthly.json()["points"])


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"from": "2026-03-11", "to": "2026-03-10"}, "after"),
        ({"from": "2025-01-01", "to": "2026-03-10"}, "400 days"),
        ({"from": "2026-02-30"}, ""),
        ({"from": "2026-03-01", "period": "hourly"}, ""),
    ],
)
async def test_bad_ranges_are_refused(
    client: httpx.AsyncClient, owner: Member, params: dict[str, str], says: str
) -> None:
    path = "/analytics/usage" if "period" in params else "/analytics/overview"
    response = await client.get(path, params=params, headers=owner.headers)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "validation_error"
    assert says in response.json()["error"]["message"]


async def test_400_days_is_the_longest_range(client: httpx.AsyncClient, owner: Member) -> None:
    last = date(2026, 3, 10)
    ok = await client.get(
        "/analytics/costs",
        params={"from": (last - timedelta(days=399)).isoformat(), "to": last.isoformat()},
        headers=owner.headers,
    )
    assert ok.status_code == 200 and ok.json()["items"] == []


async def test_agent_analytics(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    a, _ = await seed_day(session, owner)
    viewer = await add_member(session, settings, owner.org_id, Role.viewer)
    params = {"from": "2026-03-09", "to": "2026-03-10"}
    response = await client.get(f"/analytics/agents/{a}", params=params, headers=viewer.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["name"], body["timezone"]) == ("Triage", "UTC")
    assert body["summary"]["executions"] == 3 and body["summary"]["success_rate"] == pytest.approx(1 / 3)
    assert body["summary"]["cost_usd"] == pytest.approx(0.016)
    assert [(t["date"], t["executions"]) for t in body["trend"]] == [("2026-03-09", 0), ("2026-03-10", 3)]
    assert body["trend"][1]["avg_cost_usd"] == pytest.approx(0.016 / 3)
    assert body["trend"][0]["success_rate"] is None
    histogram = body["duration_histogram"]
    assert (
        histogram[-1]["le_ms"] is None and sum(b["count"] for b in histogram) == 2
    )  # one run had no duration
    assert [b["le_ms"] for b in histogram if b["count"]] == [2_000, 50_000]
    assert sorted((e["error_kind"], e["node_id"], e["count"]) for e in body["errors"]) == [
        ("permanent", "fetch", 1),
        ("timed_out", "classify", 1),
    ]

    outsider = await create_org_with_owner(session, settings, name="Elsewhere")
    foreign = await client.get(f"/analytics/agents/{a}", params=params, headers=outsider.headers)
    assert foreign.status_code == 404
    theirs = await client.get("/analytics/overview", params=query(), headers=outsider.headers)
    assert theirs.json()["executions"] == 0  # another org's executions are never in the figures


async def test_org_timezone_setting(client: httpx.AsyncClient, session: AsyncSession, owner: Member) -> None:
    got = await client.get("/org", headers=owner.headers)
    assert got.json()["settings"]["timezone"] == "UTC"  # the default, shown
    bad = await client.put("/org", json={"settings": {"timezone": "Mars/Olympus"}}, headers=owner.headers)
    assert bad.status_code == 422
    org = await session.get(Organization, owner.org_id)
    assert org is not None and "timezone" not in org.settings
