"""Each runnable tool of an AI node bound to what runs it: the spec the model sees and a call that takes the
model's arguments. Integration and MCP tools are described by the connection's action, agent tools by the
target agent's trigger input schema, knowledge tools take a `query`, HTTP tools their declared arguments.

The calls reuse the nodes' own handlers (action.http, knowledge.retrieve), so a tool behaves exactly as the
node would: the egress guard, auth from org secrets, previews in test runs, size limits, error kinds.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from agentflow.nodes.ai.tool_models import (
    AgentToolConfig,
    AiTool,
    HttpToolConfig,
    IntegrationToolConfig,
    KnowledgeToolConfig,
    McpToolConfig,
    RunnableTool,
    default_name,
)
from agentflow.nodes.base import NodeBase
from agentflow.nodes.context import AgentNotFound, ChildResult, NodeContext, ToolDescription
from agentflow.nodes.errors import PermanentStepError
from agentflow.nodes.http.handler import HttpHandler
from agentflow.nodes.knowledge.handler import RetrieveHandler
from agentflow.providers.base import ToolSpec

# Methods whose arguments travel in the query string; the others send them as the JSON body.
_QUERY_METHODS = frozenset({"GET", "HEAD", "DELETE", "OPTIONS"})
_KNOWLEDGE_PARAMETERS = {
    "type": "object",
    "properties": {"query": {"type": "string", "description": "What to search for.", "maxLength": 4000}},
    "required": ["query"],
}


@dataclass(frozen=True, slots=True)
class BoundTool:
    """A tool the engine runs: what the model sees, the child step's type, and the call."""

    spec: ToolSpec
    node_type: str  # the child step's node_type: tool.integration, tool.knowledge, …
    run: Callable[[dict[str, Any], str], Awaitable[Any]]  # (arguments, the child step's key)


def function_specs(tools: list[Any]) -> list[ToolSpec]:
    """The plain function specs (their calls are returned, not run)."""
    return [ToolSpec(t.name, t.description, t.parameters) for t in tools if isinstance(t, AiTool)]


async def bind_tools(tools: list[Any], node: NodeBase, ctx: NodeContext) -> dict[str, BoundTool]:
    """Every runnable tool by the name the model calls it; a tool whose source is not reachable from this
    worker fails the step (its configuration cannot work), an unknown agent is told to the model instead."""
    bound: dict[str, BoundTool] = {}
    for tool in tools:
        if not isinstance(tool, AiTool):
            bound[default_name(tool)] = await _bind(tool, node, ctx)
    return bound


def _spec(tool: RunnableTool, described: ToolDescription | None, parameters: dict[str, Any]) -> ToolSpec:
    description = getattr(tool, "description", None) or (described.description if described else "")
    return ToolSpec(default_name(tool), description[:2000], parameters)


async def _bind(tool: RunnableTool, node: NodeBase, ctx: NodeContext) -> BoundTool:
    if isinstance(tool, IntegrationToolConfig | McpToolConfig):
        return await _bind_integration(tool, ctx)
    if isinstance(tool, KnowledgeToolConfig):
        return _bind_knowledge(tool, node, ctx)
    if isinstance(tool, HttpToolConfig):
        return _bind_http(tool, node, ctx)
    return await _bind_agent(tool, ctx)


async def _bind_integration(tool: IntegrationToolConfig | McpToolConfig, ctx: NodeContext) -> BoundTool:
    calls = ctx.integrations
    if calls is None:
        raise PermanentStepError("Integrations are not available in this worker", code="not_configured")
    action = tool.action if isinstance(tool, IntegrationToolConfig) else tool.tool
    described = await calls.describe(ctx.org_id, connection_id=tool.connection_id, action=action)

    async def run(arguments: dict[str, Any], key: str) -> Any:
        return await calls.run_action(
            ctx.org_id,
            integration=None,
            connection_id=tool.connection_id,
            action=action,
            params=arguments,
            preview=ctx.preview,
        )

    kind = "tool.integration" if isinstance(tool, IntegrationToolConfig) else "tool.mcp"
    return BoundTool(_spec(tool, described, described.parameters), kind, run)


def _bind_knowledge(tool: KnowledgeToolConfig, node: NodeBase, ctx: NodeContext) -> BoundTool:
    handler = RetrieveHandler()

    async def run(arguments: dict[str, Any], key: str) -> Any:
        query = arguments.get("query")
        if not isinstance(query, str) or not query.strip():
            raise PermanentStepError("the `query` argument must be non-empty text", code="empty_query")
        config = {"knowledge_base_id": tool.knowledge_base_id, "query": query, "top_k": tool.top_k}
        result = await handler.run(node, config, ctx)
        return {"chunks": result.output["chunks"]}

    spec = _spec(tool, None, _KNOWLEDGE_PARAMETERS)
    if not spec.description:
        about = "Searches a knowledge base; returns the best matching passages."
        spec = ToolSpec(spec.name, about, spec.parameters)
    return BoundTool(spec, "tool.knowledge", run)


def _bind_http(tool: HttpToolConfig, node: NodeBase, ctx: NodeContext) -> BoundTool:
    handler = HttpHandler()

    async def run(arguments: dict[str, Any], key: str) -> Any:
        config: dict[str, Any] = {
            "method": tool.method,
            "url": tool.url,
            "headers": dict(tool.headers),
            "auth": tool.auth.model_dump(),
            "timeout_seconds": tool.timeout_seconds,
        }
        if tool.method in _QUERY_METHODS:
            config["query"] = {k: v for k, v in arguments.items() if v is not None}
        else:
            config["json"] = arguments
        output = (await handler.run(node, config, ctx)).output
        # Response headers cost the model tokens and rarely help it; a preview has no status.
        return output if output.get("preview") else {"status": output["status"], "body": output["body"]}

    return BoundTool(_spec(tool, None, tool.parameters), "tool.http", run)


async def _bind_agent(tool: AgentToolConfig, ctx: NodeContext) -> BoundTool:
    agents = ctx.agents
    if agents is None:
        raise PermanentStepError("Agent tools cannot run in this worker", code="not_configured")
    try:
        described: ToolDescription | None = await agents.describe(ctx.org_id, tool.agent_id)
    except AgentNotFound:
        described = None  # told to the model on each call: "unknown agent"

    async def run(arguments: dict[str, Any], key: str) -> ChildResult:
        if described is None:
            raise PermanentStepError(f"unknown agent {tool.agent_id!r}", code="unknown_agent")
        return await agents.run(ctx.org_id, tool.agent_id, arguments, parent=ctx.execution_id, key=key)

    parameters = described.parameters if described else {"type": "object", "properties": {}}
    return BoundTool(_spec(tool, described, parameters), "tool.agent", run)
