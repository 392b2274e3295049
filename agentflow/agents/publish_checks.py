"""Publish-time checks that need the database: what a definition names must exist in the org."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.graph import AgentDefinition
from agentflow.graph.report import Issue
from agentflow.integrations import registry
from agentflow.integrations.base import Action
from agentflow.integrations.repository import ConnectionRepository
from agentflow.integrations.runner import connection_of
from agentflow.knowledge.repository import KnowledgeBaseRepository
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
    try:
        action.params.model_validate(node.config.params)
        return []
    except ValidationError as exc:
        errors = exc.errors()
    issues = []
    for error in errors:
        if _at_templated(node.config.params, error["loc"]):
            continue
        where = ".".join(str(p) for p in error["loc"])
        issues.append(
            Issue(
                code="invalid_params",
                message=f"Node {node.id}: params.{where or '(all)'}: {error['msg']}",
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
