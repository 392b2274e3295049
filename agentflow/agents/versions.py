"""The read side of an agent's versions and draft: list, one version, diff, export, the variable picker."""

from __future__ import annotations

import builtins
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.agents import access, definitions
from agentflow.agents.repository import AgentVersionRepository
from agentflow.agents.schemas import AgentDocument
from agentflow.auth.subject import AuthSubject
from agentflow.errors import NotFound
from agentflow.graph import DefinitionDiff, Variable, available_variables, diff_definitions
from agentflow.kit.pagination import Page
from agentflow.models import Agent, AgentVersion
from agentflow.rbac import Permission
from agentflow.secrets.paths import SecretKind
from agentflow.secrets.repository import SecretRepository


async def version_of(session: AsyncSession, agent: Agent, number: int) -> AgentVersion:
    """Version `number` of the agent, or 404."""
    version = await AgentVersionRepository(session).get_number(agent.org_id, agent.id, number)
    if version is None:
        raise NotFound(f"Version {number} of agent {agent.id} not found")
    return version


async def _readable(session: AsyncSession, subject: AuthSubject, agent_id: uuid.UUID) -> Agent:
    return await access.load(session, subject=subject, agent_id=agent_id)


class VersionService:
    async def versions(
        self,
        session: AsyncSession,
        *,
        subject: AuthSubject,
        agent_id: uuid.UUID,
        cursor: str | None,
        limit: int,
    ) -> Page[AgentVersion]:
        """The agent's versions, newest first."""
        agent = await _readable(session, subject, agent_id)
        return await AgentVersionRepository(session).page_newest_first(
            agent.org_id, agent.id, cursor=cursor, limit=limit
        )

    async def version(
        self, session: AsyncSession, *, subject: AuthSubject, agent_id: uuid.UUID, number: int
    ) -> AgentVersion:
        """One version with its frozen definition."""
        agent = await _readable(session, subject, agent_id)
        return await version_of(session, agent, number)

    async def diff(
        self, session: AsyncSession, *, subject: AuthSubject, agent_id: uuid.UUID, a: int, b: int
    ) -> DefinitionDiff:
        """What changed from version `a` to version `b`."""
        agent = await _readable(session, subject, agent_id)
        old = await version_of(session, agent, a)
        new = await version_of(session, agent, b)
        return diff_definitions(old.definition, new.definition)

    async def variables(
        self, session: AsyncSession, *, subject: AuthSubject, agent_id: uuid.UUID, node_id: str
    ) -> builtins.list[Variable]:
        """What the draft node's templates may reference (the builder's variable picker)."""
        agent = await _readable(session, subject, agent_id)
        defn = definitions.lenient(agent.draft_definition)  # unfinished nodes must not empty the picker
        env_names: list[str] = []
        if Permission.secrets_read in subject.permissions:  # secret names are for those who may read them
            secrets = await SecretRepository(session).all_of_kind(agent.org_id, SecretKind.env)
            env_names = [secret.name for secret in secrets]
        if node_id not in defn.node_map():
            # A node the builder has not saved yet has no upstream: it sees what every node may use.
            return [
                v
                for v in available_variables(defn, defn.nodes[0].id, env_names=env_names)
                if v.node_id is None
            ]
        return available_variables(defn, node_id, env_names=env_names)

    async def export(
        self, session: AsyncSession, *, subject: AuthSubject, agent_id: uuid.UUID, version: int | None
    ) -> AgentDocument:
        """The agent as a document: name, description, tags and the draft's (or a version's) definition."""
        agent = await _readable(session, subject, agent_id)
        raw = (
            agent.draft_definition
            if version is None
            else (await version_of(session, agent, version)).definition
        )
        return AgentDocument.model_validate(
            {
                "name": agent.name,
                "description": agent.description,
                "tags": list(agent.tags),
                "definition": raw,
            }
        )


version_service = VersionService()
