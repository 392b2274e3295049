"""An agent's access settings: restricted or not, and its grants to teams and users (the rule itself is
in access.py)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.agents import access
from agentflow.agents.repository import AgentGrantRepository
from agentflow.agents.schemas import AgentAccessPublic, AgentAccessUpdate, GrantIn, GrantPublic
from agentflow.auth.subject import AuthSubject
from agentflow.errors import Forbidden, NotFound, ValidationFailed
from agentflow.models import Agent, AgentGrant


class AgentAccessService:
    async def get(
        self, session: AsyncSession, *, subject: AuthSubject, agent_id: uuid.UUID
    ) -> AgentAccessPublic:
        """Whether the agent is restricted, its owning team and its grants (404 unless it is readable)."""
        agent = await access.load(session, subject=subject, agent_id=agent_id)
        return await self._public(session, agent)

    async def replace(
        self, session: AsyncSession, *, subject: AuthSubject, agent_id: uuid.UUID, body: AgentAccessUpdate
    ) -> AgentAccessPublic:
        """Set restricted and replace every grant. Only holders of `agents:access_all` or editors of the
        owning team may (403), so whoever restricts an agent keeps reaching it. A grant naming a team or
        user that is not the org's is 404, as their id would be anywhere else."""
        agent = await access.load(session, subject=subject, agent_id=agent_id, lock=True)
        await self.require_manager(session, subject=subject, agent=agent)
        keys = [grant.subject_key() for grant in body.grants]
        if len(set(keys)) != len(keys):
            duplicate = next(key for key in keys if keys.count(key) > 1)
            raise ValidationFailed(
                f"{duplicate} has more than one grant: list its permissions in one", code="duplicate_grant"
            )
        repo = AgentGrantRepository(session)
        teams = {g.team_id for g in body.grants if g.team_id is not None}
        users = {g.user_id for g in body.grants if g.user_id is not None}
        for missing in sorted(teams - await repo.teams_in_org(subject.org_id, teams), key=str):
            raise NotFound.resource("Team", missing)
        for missing in sorted(users - await repo.members_in_org(subject.org_id, users), key=str):
            raise NotFound.resource("User", missing)
        for old in await repo.of_agent(subject.org_id, agent.id):
            await session.delete(old)
        await session.flush()  # the unique (agent, team/user) rows go before their replacements arrive
        session.add_all(_grant(agent, grant) for grant in body.grants)
        if agent.restricted != body.restricted:
            agent.restricted = body.restricted
            agent.updated_by = subject.user_id
        await session.flush()
        return await self._public(session, agent)

    async def require_manager(self, session: AsyncSession, *, subject: AuthSubject, agent: Agent) -> None:
        """403 unless the caller may change who reaches the agent."""
        teams = await access.teams_of(session, subject=subject)
        if not access.may_manage(subject, agent, teams):
            raise Forbidden(
                "Only members of the agent's owning team who may edit agents, or holders of "
                "agents:access_all, change who may reach it",
                code="agent_access_denied",
            )

    async def copy(self, session: AsyncSession, *, source: Agent, target: Agent) -> None:
        """Give `target` the restriction and grants of `source` (a duplicate never widens access)."""
        target.restricted = source.restricted
        grants = await AgentGrantRepository(session).of_agent(source.org_id, source.id)
        session.add_all(_grant(target, grant) for grant in grants)
        await session.flush()

    async def _public(self, session: AsyncSession, agent: Agent) -> AgentAccessPublic:
        grants = await AgentGrantRepository(session).of_agent(agent.org_id, agent.id)
        return AgentAccessPublic(
            agent_id=agent.id,
            restricted=agent.restricted,
            team_id=agent.team_id,
            grants=[GrantPublic.model_validate(grant) for grant in grants],
        )


def _grant(agent: Agent, source: GrantIn | AgentGrant) -> AgentGrant:
    """A grant on `agent` giving what `source` (a requested grant, or another agent's) gives."""
    return AgentGrant(
        org_id=agent.org_id,
        agent_id=agent.id,
        team_id=source.team_id,
        user_id=source.user_id,
        permissions=list(source.permissions),
    )


access_service = AgentAccessService()
