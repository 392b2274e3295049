"""`usage_rollup`: the daily usage rollup (usage_daily), scheduled at 00:10 UTC by the `usage-rollup/daily`
system deployment (agentflow/engine/system_flows.py). Idempotent: a day rolled again is replaced."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from prefect import flow

from agentflow.analytics.rollup import roll_up
from agentflow.config import get_settings
from agentflow.db import create_engine, create_sessionmaker


@flow(name="usage-rollup", persist_result=False, log_prints=False)
async def usage_rollup(day: str | None = None, org_id: str | None = None) -> dict[str, Any]:
    """Roll up every org's complete local days not rolled up yet; `day` (YYYY-MM-DD) rolls exactly that
    local day again, `org_id` limits the run to one org."""
    engine = create_engine(get_settings())
    try:
        report = await roll_up(
            create_sessionmaker(engine),
            day=date.fromisoformat(day) if day else None,
            org_id=uuid.UUID(org_id) if org_id else None,
        )
    finally:
        await engine.dispose()
    if report.failed_orgs:
        raise RuntimeError(f"usage rollup failed for {len(report.failed_orgs)} org(s): {report.failed_orgs}")
    return {"days": report.days, "rows": report.rows}
