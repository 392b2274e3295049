"""Keeping each agent's Prefect deployment in step with the agent: publish, pause/activate, archive."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agentflow.engine.gateway import DeploymentSpec, PrefectGateway
from agentflow.graph import parse_definition
from agentflow.kit.crypto import new_token
from agentflow.models import Agent, AgentStatus, AgentVersion, Organization

logger = logging.getLogger("agentflow.deployments")


def webhook_token() -> str:
    """The unguessable part of an agent's webhook URL."""
    return new_token(24)


class AgentDeployer:
    """Passed to the agent service by the API; without a Prefect server configured it only logs."""

    def __init__(self, gateway: PrefectGateway | None) -> None:
        self.gateway = gateway

    async def published(self, agent: Agent, version: AgentVersion, *, org_slug: str) -> None:
        """The deployment runs the new version on the trigger's schedule; webhook agents, and agents that
        Slack or GitHub events start, get a URL. Its description and tags carry the agent's current name
        and the org's slug for operators."""
        definition = parse_definition(version.definition)
        trigger = definition.trigger
        assert trigger is not None
        if trigger.config.kind in ("webhook", "integration") and agent.webhook_token is None:
            agent.webhook_token = webhook_token()
        if self.gateway is None:
            logger.warning("no Prefect server configured: agent %s has no deployment", agent.id)
            return
        agent.prefect_deployment_id = await self.gateway.upsert_agent_deployment(
            DeploymentSpec(
                agent_id=agent.id,
                org_id=agent.org_id,
                version_id=version.id,
                version_number=version.number,
                cron=trigger.config.cron if trigger.config.kind == "schedule" else None,
                timezone=trigger.config.timezone,
                max_concurrency=definition.settings.max_concurrency,
                active=agent.status == AgentStatus.active,
                agent_name=agent.name,
                org_slug=org_slug,
                trigger_kind=trigger.config.kind,
            )
        )

    async def status_changed(self, agent: Agent) -> None:
        """Only an active agent's schedule runs."""
        if self.gateway is not None and agent.prefect_deployment_id is not None:
            await self.gateway.set_active(agent.prefect_deployment_id, agent.status == AgentStatus.active)


async def redeploy_missing(sessions: async_sessionmaker[AsyncSession], gateway: PrefectGateway) -> int:
    """Re-create the deployment of every published, unarchived agent whose deployment Prefect does not have
    (a new Prefect database, or a deployment deleted by hand); returns how many. Run at start-up: one
    query here and one per 200 agents in Prefect when nothing is missing."""
    async with sessions() as session:
        rows = (
            await session.execute(
                select(Agent, AgentVersion, Organization.slug)
                .join(
                    AgentVersion,
                    (AgentVersion.agent_id == Agent.id) & (AgentVersion.number == Agent.current_version),
                )
                .join(Organization, Organization.id == Agent.org_id)
                .where(Agent.archived_at.is_(None), Agent.current_version.is_not(None))
            )
        ).all()
        known = await gateway.existing_deployments([r[0].prefect_deployment_id for r in rows])
        deployer = AgentDeployer(gateway)
        missing = [row for row in rows if row[0].prefect_deployment_id not in known]
        for agent, version, slug in missing:
            await deployer.published(agent, version, org_slug=slug)
        await session.commit()
    if missing:
        logger.info("re-created %d agent deployment(s) Prefect did not have", len(missing))
    return len(missing)
