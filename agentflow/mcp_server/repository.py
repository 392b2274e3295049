"""The queries behind the MCP tools: the org's exposed agents, and one execution's outcome."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.kit.fastread import FastReader, compile_query
from agentflow.models import Agent, AgentStatus, AgentVersion

# More tools than this overwhelm any calling model; the oldest agents are listed first.
MAX_TOOLS = 500

_OUTCOME = compile_query(
    text("SELECT status, output, error FROM executions WHERE id = :execution_id AND org_id = :org_id")
)


@dataclass(frozen=True)
class ExposedAgent:
    agent: Agent
    definition: dict[str, Any]  # the published version's, which is what a call runs


@dataclass(frozen=True)
class Outcome:
    status: str
    output: Any
    error: str | None


class McpToolRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def exposed_agents(self, org_id: uuid.UUID, visible: ColumnElement[bool]) -> list[ExposedAgent]:
        """Active agents of the org whose published version opts in with `settings.expose_as_tool`, oldest
        first (so an older agent keeps its tool name when a newer one takes the same name); only those
        `visible` (the caller's per-agent access, agents/access.py)."""
        opted_in = AgentVersion.definition[("settings", "expose_as_tool")].as_string() == "true"
        statement = (
            select(Agent, AgentVersion.definition)
            .join(
                AgentVersion,
                (AgentVersion.agent_id == Agent.id) & (AgentVersion.number == Agent.current_version),
            )
            .where(Agent.org_id == org_id, Agent.status == AgentStatus.active, opted_in, visible)
            .order_by(Agent.created_at, Agent.id)
            .limit(MAX_TOOLS)
        )
        rows = (await self.session.execute(statement)).all()
        return [ExposedAgent(agent=agent, definition=definition) for agent, definition in rows]


async def outcome(reader: FastReader, *, org_id: uuid.UUID, execution_id: uuid.UUID) -> Outcome | None:
    """The execution's status, output and (masked) error as the engine last recorded them."""
    row = await reader.fetchrow(_OUTCOME, execution_id=execution_id, org_id=org_id)
    if row is None:
        return None
    return Outcome(status=row["status"], output=row["output"], error=row["error"])
