"""Publish-time checks that need the database: what a definition names must exist in the org."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.graph import AgentDefinition
from agentflow.graph.report import Issue
from agentflow.knowledge.repository import KnowledgeBaseRepository
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
