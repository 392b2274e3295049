"""System flows: their deployments on the real Prefect server (cron schedule, idempotent), and the daily
rollup over committed rows (days due, re-run replaces)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from prefect.client.orchestration import get_client
from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from agentflow.analytics.rollup import roll_up
from agentflow.config import Settings
from agentflow.db import create_sessionmaker
from agentflow.embedded import prefect as embedded_prefect
from agentflow.engine.system_flows import SYSTEM_FLOWS, ensure_system_deployments
from agentflow.models import Organization, UsageDaily, UsageRollupDay
from tests.conftest import prefect_auth, prefect_url
from tests.factories import create_agent, create_org_with_owner
from tests.support.usage import add_execution


async def test_system_deployments_are_scheduled_and_idempotent() -> None:
    await embedded_prefect.ensure_work_pool(
        prefect_url(), auth_string=prefect_auth(), name="system-flows-test"
    )
    with temporary_settings(
        updates={PREFECT_API_URL: prefect_url(), PREFECT_API_AUTH_STRING: prefect_auth()}
    ):
        async with get_client() as client:
            first = await ensure_system_deployments(client, work_pool="system-flows-test")
            again = await ensure_system_deployments(client, work_pool="system-flows-test")
            assert first == again
            assert set(first) == {
                "usage-rollup/daily-system-flows-test",
                "billing-reconcile/daily-system-flows-test",
                "webhook-delivery/every-minute-system-flows-test",
                "retention-purge/daily-system-flows-test",
            }
            hooks = await client.read_deployment(first["webhook-delivery/every-minute-system-flows-test"])
            rollup = await client.read_deployment(first["usage-rollup/daily-system-flows-test"])
            reconcile = await client.read_deployment(first["billing-reconcile/daily-system-flows-test"])
    assert rollup.entrypoint == SYSTEM_FLOWS[0].entrypoint
    assert [s.schedule.cron for s in rollup.schedules] == ["10 0 * * *"]  # type: ignore[union-attr]
    assert rollup.work_pool_name == "system-flows-test"
    assert reconcile.entrypoint == "flows.billing_reconcile:billing_reconcile"
    assert [s.schedule.cron for s in reconcile.schedules] == ["30 3 * * *"]  # type: ignore[union-attr]
    assert hooks.entrypoint == "flows.webhook_delivery:webhook_delivery"
    assert [s.schedule.cron for s in hooks.schedules] == ["* * * * *"]  # type: ignore[union-attr]


async def test_daily_rollup_rolls_due_days_once_and_replaces_on_rerun(
    engine: AsyncEngine, settings: Settings
) -> None:
    sessions = create_sessionmaker(engine)
    async with sessions() as session, session.begin():
        owner = await create_org_with_owner(session, settings, name="Rollup")
        agent = await create_agent(session, owner)
        for at in (datetime(2026, 3, 8, 9, tzinfo=UTC), datetime(2026, 3, 9, 23, 59, tzinfo=UTC)):
            await add_execution(session, org_id=owner.org_id, agent_id=agent, created_at=at)
    now = datetime(2026, 3, 11, 0, 10, tzinfo=UTC)
    try:
        report = await roll_up(sessions, org_id=owner.org_id, now=now)
        assert (report.days, report.failed_orgs) == (3, [])  # the 8th (first execution) to the 10th
        async with sessions() as session:
            marks = select(UsageRollupDay.day).where(UsageRollupDay.org_id == owner.org_id)
            assert sorted((await session.execute(marks)).scalars()) == [
                date(2026, 3, 8),
                date(2026, 3, 9),
                date(2026, 3, 10),
            ]
        # The next day: only the settle window (the 10th, again) and the new day.
        later = await roll_up(sessions, org_id=owner.org_id, now=datetime(2026, 3, 12, 0, 10, tzinfo=UTC))
        assert later.days == 2
        # Re-running a given day replaces it.
        rerun = await roll_up(sessions, org_id=owner.org_id, day=date(2026, 3, 9))
        assert rerun.days == 1
        async with sessions() as session:
            runs = select(func.sum(UsageDaily.runs)).where(
                UsageDaily.org_id == owner.org_id, UsageDaily.provider == ""
            )
            assert (await session.execute(runs)).scalar() == 2
    finally:
        async with sessions() as session, session.begin():
            await session.execute(delete(Organization).where(Organization.id == owner.org_id))
