"""Publish-time checks that need the database: what a definition names must exist in the org."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.graph import AgentDefinition
from agentflow.graph.report import Issue
from agentflow.knowledge.repository import KnowledgeBaseRepository
from agentflow.models import Agent, AgentStatus
from agentflow.nodes.ai.model import AiNode
from agentflow.nodes.ai.tool_models import AgentToolConfig, KnowledgeToolConfig
from agentflow.nodes.knowledge.model import RetrieveNode


async def unknown_knowledge_bases(
    session: AsyncSession, org_id: uuid.UUID, defn: AgentDefinition
) -> list[Issue]:
    """knowledge.retrieve nodes must name a knowledge base of this org (another org's is as unknown)."""
    wanted: dict[str, uuid.UUID | None] = {}
    for node in defn.nodes:
        if isinstance(node, RetrieveNode):
            try:
                wanted[node.id] = uuid.UUID(node.config.knowledge_base_id)
            except ValueError:
                wanted[node.id] = None
    if not wanted:
        return []
    found = await KnowledgeBaseRepository(session).existing_ids(
        org_id, [kb_id for kb_id in wanted.values() if kb_id is not None]
    )
    return [
        Issue(
            code="unknown_knowledge_base",
            message=f"Node {node_id}: knowledge base {kb_id or 'id'} is not one of this organization's",
            node_id=node_id,
            field="config.knowledge_base_id",
        )
        for node_id, kb_id in wanted.items()
        if kb_id not in found
    ]


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


async def unknown_tool_targets(
    session: AsyncSession, org_id: uuid.UUID, defn: AgentDefinition
) -> list[Issue]:
    """AI nodes' knowledge and agent tools must name a knowledge base / an unarchived agent of
    this org (another org's is as unknown). Connection ids are checked with action.integration's."""
    knowledge: list[tuple[str, int, str]] = []
    agents: list[tuple[str, int, str]] = []
    for node in defn.nodes:
        if not isinstance(node, AiNode):
            continue
        for index, tool in enumerate(node.config.tools):
            if isinstance(tool, KnowledgeToolConfig):
                knowledge.append((node.id, index, tool.knowledge_base_id))
            elif isinstance(tool, AgentToolConfig):
                agents.append((node.id, index, tool.agent_id))
    issues: list[Issue] = []
    if knowledge:
        ids = [key for _, _, raw in knowledge if (key := _uuid(raw)) is not None]
        found = await KnowledgeBaseRepository(session).existing_ids(org_id, ids)
        issues += [
            Issue(
                code="unknown_knowledge_base",
                message=f"Node {node_id}: knowledge base {raw} is not one of this organization's",
                node_id=node_id,
                field=f"config.tools[{index}].knowledge_base_id",
            )
            for node_id, index, raw in knowledge
            if _uuid(raw) not in found
        ]
    if agents:
        ids = [key for _, _, raw in agents if (key := _uuid(raw)) is not None]
        rows = await session.execute(
            select(Agent.id).where(
                Agent.org_id == org_id,
                Agent.id.in_(ids),
                Agent.status != AgentStatus.archived,
            )
        )
        live = set(rows.scalars())
        issues += [
            Issue(
                code="unknown_agent",
                message=f"Node {node_id}: agent {raw} is not one of this organization's agents",
                node_id=node_id,
                field=f"config.tools[{index}].agent_id",
            )
            for node_id, index, raw in agents
            if _uuid(raw) not in live
        ]
    return issues
