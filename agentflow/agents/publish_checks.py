"""Publish-time checks that need the database: what a definition names must exist in the org."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import ValidationError
from sqlalchemy import ColumnElement, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.graph import AgentDefinition
from agentflow.graph.report import Issue
from agentflow.integrations import registry
from agentflow.integrations.base import Action
from agentflow.integrations.custom.schema_check import schema_problems
from agentflow.integrations.repository import ConnectionRepository
from agentflow.integrations.runner import connection_of
from agentflow.knowledge.repository import KnowledgeBaseRepository
from agentflow.models import Agent, AgentStatus
from agentflow.nodes.ai.model import AiNode
from agentflow.nodes.ai.tool_models import (
    AgentToolConfig,
    IntegrationToolConfig,
    KnowledgeToolConfig,
    McpToolConfig,
)
from agentflow.nodes.integration.model import IntegrationNode
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


def agent_tool_ids(defn: AgentDefinition) -> set[uuid.UUID]:
    """The agents the definition's AI nodes may run as tools."""
    return {
        key
        for node in defn.nodes
        if isinstance(node, AiNode)
        for tool in node.config.tools
        if isinstance(tool, AgentToolConfig) and (key := _uuid(tool.agent_id)) is not None
    }


async def unknown_tool_targets(
    session: AsyncSession,
    org_id: uuid.UUID,
    defn: AgentDefinition,
    visible: ColumnElement[bool] | None = None,
) -> list[Issue]:
    """AI nodes' knowledge and agent tools must name a knowledge base / an unarchived agent of
    this org (another org's is as unknown); integration and MCP tools a connection of it with the action.
    `visible`: the agents the publisher may run (agents/access.py): a restricted agent they may not run is
    as unknown, or publishing would let them run it through another agent."""
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
                visible if visible is not None else true(),
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
    return issues + await _unknown_tool_connections(session, org_id, defn)


async def _unknown_tool_connections(
    session: AsyncSession, org_id: uuid.UUID, defn: AgentDefinition
) -> list[Issue]:
    """AI nodes' integration and MCP tools must name a connection of this org that has the action."""
    wanted: list[tuple[str, int, str, str]] = []
    for node in defn.nodes:
        if isinstance(node, AiNode):
            for index, tool in enumerate(node.config.tools):
                if isinstance(tool, IntegrationToolConfig):
                    wanted.append((node.id, index, tool.connection_id, tool.action))
                elif isinstance(tool, McpToolConfig):
                    wanted.append((node.id, index, tool.connection_id, tool.tool))
    if not wanted:
        return []
    ids = [key for _, _, raw, _ in wanted if (key := _uuid(raw)) is not None]
    found = await ConnectionRepository(session).in_org(org_id, ids)
    issues: list[Issue] = []
    for node_id, index, raw, action in wanted:
        key = _uuid(raw)
        row = found.get(key) if key is not None else None
        if row is None:
            message = f"Node {node_id}: connection {raw} is not one of this organization's"
            field = f"config.tools[{index}].connection_id"
            issues.append(Issue(code="unknown_connection", message=message, node_id=node_id, field=field))
            continue
        provider = registry.get(row.provider)
        if provider is not None and provider.action(action, connection_of(row)) is None:
            message = f"Node {node_id}: {provider.label} has no action {action!r}"
            field = f"config.tools[{index}]"
            issues.append(Issue(code="unknown_action", message=message, node_id=node_id, field=field))
    return issues


def _templated(value: Any) -> bool:
    if isinstance(value, str):
        return "{{" in value
    if isinstance(value, dict):
        return any(_templated(v) for v in value.values())
    if isinstance(value, list):
        return any(_templated(v) for v in value)
    return False


def _at_templated(params: Any, loc: tuple[int | str, ...]) -> bool:
    """Whether the value at `loc` (or one it lies inside) is a `{{…}}` template."""
    value = params
    for part in loc:
        if isinstance(value, str):
            return "{{" in value
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return False
    return _templated(value)


def _param_issues(node: IntegrationNode, action: Action) -> list[Issue]:
    """The params against the action's model; a value rendered from `{{…}}` is only known at run time, so
    problems at (or under) a templated value are left to the run."""
    if action.schema is not None:  # a connection's own action (custom API, MCP tool): its JSON Schema
        errors = schema_problems(action.schema, node.config.params)
    else:
        try:
            action.params.model_validate(node.config.params)
            return []
        except ValidationError as exc:
            errors = [(tuple(error["loc"]), error["msg"]) for error in exc.errors()]
    issues = []
    for loc, msg in errors:
        if _at_templated(node.config.params, loc):
            continue
        where = ".".join(str(p) for p in loc)
        issues.append(
            Issue(
                code="invalid_params",
                message=f"Node {node.id}: params.{where or '(all)'}: {msg}",
                node_id=node.id,
                field=f"config.params.{where}" if where else "config.params",
            )
        )
    return issues


async def integration_issues(session: AsyncSession, org_id: uuid.UUID, defn: AgentDefinition) -> list[Issue]:
    """action.integration nodes must name a known integration and action, and a connection of this org of
    that integration (or leave it unset with exactly one active connection); literal params must fit."""
    nodes = [node for node in defn.nodes if isinstance(node, IntegrationNode)]
    if not nodes:
        return []
    repo = ConnectionRepository(session)
    ids = {}
    for node in nodes:
        try:
            ids[node.id] = uuid.UUID(node.config.connection_id) if node.config.connection_id else None
        except ValueError:
            ids[node.id] = uuid.uuid4()  # matches nothing: reported as not this org's
    found = await repo.in_org(org_id, [i for i in ids.values() if i is not None])
    issues: list[Issue] = []

    def issue(node: IntegrationNode, code: str, field: str, message: str) -> None:
        issues.append(Issue(code=code, message=f"Node {node.id}: {message}", node_id=node.id, field=field))

    for node in nodes:
        config = node.config
        tool = registry.get(config.integration)
        if tool is None:
            issue(node, "unknown_integration", "config.integration", f"{config.integration} is not available")
            continue
        connection = None
        if ids[node.id] is not None:
            row = found.get(ids[node.id])  # type: ignore[arg-type]
            if row is None or row.provider != tool.name:
                issue(
                    node,
                    "unknown_connection",
                    "config.connection_id",
                    f"connection {config.connection_id} is not one of this organization's "
                    f"{tool.label} connections",
                )
                continue
            connection = connection_of(row)
        else:
            active = await repo.active_of_provider(org_id, tool.name)
            if len(active) != 1:
                issue(
                    node,
                    "missing_connection",
                    "config.connection_id",
                    f"this organization has no {tool.label} connection: connect one in Integrations"
                    if not active
                    else f"this organization has {len(active)} {tool.label} connections: pick one",
                )
                continue
            connection = connection_of(active[0])
        action = tool.action(config.action, connection)
        if action is None:
            issue(node, "unknown_action", "config.action", f"{tool.label} has no action {config.action!r}")
            continue
        issues.extend(_param_issues(node, action))
    return issues
