"""System flows: AgentFlow's own scheduled work (not an org's agent), one deployment each on the
AgentFlow work pool, with a cron schedule in UTC. The worker ensures them when it starts (worker/inproc.py):
create or update by name, so a restart or a second worker changes nothing and a changed schedule applies.

A new one is one line in SYSTEM_FLOWS (its flow module in flows/, its `@flow(name=...)` the `flow` here).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from prefect.client.orchestration import PrefectClient
from prefect.client.schemas.actions import DeploymentScheduleCreate
from prefect.client.schemas.schedules import CronSchedule

from agentflow.engine.gateway import WORK_POOL


@dataclass(frozen=True)
class SystemFlow:
    flow: str  # the flow's name (`@flow(name=...)`)
    deployment: str
    entrypoint: str  # module path: the worker imports it (no pull steps)
    cron: str  # in UTC
    description: str


SYSTEM_FLOWS: tuple[SystemFlow, ...] = (
    SystemFlow(
        "usage-rollup",
        "daily",
        "flows.usage_rollup:usage_rollup",
        "10 0 * * *",
        "Daily usage rollup for analytics: each organization's completed local days into usage_daily.",
    ),
    SystemFlow(
        "billing-reconcile",
        "daily",
        "flows.billing_reconcile:billing_reconcile",
        "30 3 * * *",
        "Daily re-read of each paying organization's Stripe subscription (nothing to do with billing off).",
    ),
    SystemFlow(
        "webhook-delivery",
        "every-minute",
        "flows.webhook_delivery:webhook_delivery",
        "* * * * *",
        "Outbound webhook deliveries: each run sends what is due, then listens for new ones for a minute.",
    ),
    SystemFlow(
        "retention-purge",
        "daily",
        "flows.retention_purge:retention_purge",
        "45 2 * * *",
        "Daily purge of executions past each organization's retention, and of expired export files.",
    ),
)


async def ensure_system_deployments(
    client: PrefectClient, *, work_pool: str = WORK_POOL, flows: tuple[SystemFlow, ...] = SYSTEM_FLOWS
) -> dict[str, uuid.UUID]:
    """Create or update each system flow's deployment; `flow/deployment` → deployment id."""
    ids: dict[str, uuid.UUID] = {}
    for system in flows:
        name = system.deployment if work_pool == WORK_POOL else f"{system.deployment}-{work_pool}"
        ids[f"{system.flow}/{name}"] = await client.create_deployment(
            flow_id=await client.create_flow_from_name(system.flow),
            name=name,
            work_pool_name=work_pool,
            entrypoint=system.entrypoint,
            schedules=[DeploymentScheduleCreate(schedule=CronSchedule(cron=system.cron, timezone="UTC"))],
            enforce_parameter_schema=False,
            pull_steps=[],
            tags=["system"],
            description=system.description,
        )
    return ids
