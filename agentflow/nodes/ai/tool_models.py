"""The AI node's tools: plain function specs the model's calls are returned for, and tools the engine runs
(integration actions, knowledge bases, HTTP requests, other agents, MCP servers' tools).

A plain function spec keeps its old shape (no `type`, or `type: "function"`); every other kind is told apart
by `type`. Names are what the model calls, so they are unique within a node and follow the providers' rule
`[a-zA-Z0-9_-]{1,64}`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag

from agentflow.nodes.base import StrictModel
from agentflow.nodes.http.model import HttpAuth, HttpMethod

TOOL_NAME_PATTERN = r"^[a-zA-Z0-9_-]{1,64}$"
TOOL_NAME_RE = re.compile(TOOL_NAME_PATTERN)
MAX_TOOLS = 32
MAX_DESCRIPTION = 2000
_ID = Field(min_length=1, max_length=64)
_NAME = Field(default=None, pattern=TOOL_NAME_PATTERN, description="Name the model calls the tool by.")
_DESCRIPTION = Field(
    default=None, max_length=MAX_DESCRIPTION, description="What the tool does; the model reads this."
)


class AiTool(StrictModel):
    """A function the model may call, described the way LLM providers expect; its calls are returned in
    the output (`tool_calls`), not run."""

    type: Literal["function"] = Field(default="function", description="Tool kind.")
    name: str = Field(pattern=TOOL_NAME_PATTERN, description="Function name the model calls.")
    description: str = Field(
        default="", max_length=MAX_DESCRIPTION, description="What the function does; the model reads this."
    )
    parameters: dict[str, Any] = Field(
        default_factory=lambda: {"type": "object", "properties": {}},
        description="JSON Schema of the function's arguments.",
    )


class IntegrationToolConfig(StrictModel):
    """An action of one of the organization's connected integrations (its params schema is the arguments)."""

    type: Literal["integration"] = Field(description="Tool kind.")
    connection_id: str = Field(min_length=1, max_length=64, description="The connection the action uses.")
    action: str = Field(min_length=1, max_length=128, description="Action name, e.g. `send_message`.")
    name: str | None = _NAME
    description: str | None = _DESCRIPTION


class KnowledgeToolConfig(StrictModel):
    """Searches one of the organization's knowledge bases; the model passes a `query`."""

    type: Literal["knowledge"] = Field(description="Tool kind.")
    knowledge_base_id: str = Field(min_length=1, max_length=64, description="The knowledge base searched.")
    name: str | None = _NAME
    description: str | None = _DESCRIPTION
    top_k: int = Field(default=5, ge=1, le=20, description="How many chunks a search returns.")


class HttpToolConfig(StrictModel):
    """An HTTP request; the model's arguments go in the query string (GET, HEAD, DELETE) or the JSON body."""

    type: Literal["http"] = Field(description="Tool kind.")
    name: str = Field(pattern=TOOL_NAME_PATTERN, description="Name the model calls the tool by.")
    description: str = Field(max_length=MAX_DESCRIPTION, description="What the request does.")
    method: HttpMethod = Field(default="GET", description="HTTP method.")
    url: str = Field(min_length=1, max_length=2048, description="Absolute http(s) URL.")
    headers: dict[str, str] = Field(default_factory=dict, description="Request headers.")
    auth: HttpAuth = Field(default_factory=HttpAuth, description="Authentication from org secrets.")
    parameters: dict[str, Any] = Field(
        default_factory=lambda: {"type": "object", "properties": {}},
        description="JSON Schema of the arguments the model sends.",
    )
    timeout_seconds: float = Field(default=30, gt=0, le=600, description="Request timeout in seconds.")


class AgentToolConfig(StrictModel):
    """Another published agent of the organization, run as a sub-execution; its trigger's input schema is
    the arguments, its output the result."""

    type: Literal["agent"] = Field(description="Tool kind.")
    agent_id: str = Field(min_length=1, max_length=64, description="The agent to run.")
    name: str | None = _NAME
    description: str | None = _DESCRIPTION


class McpToolConfig(StrictModel):
    """A tool of an MCP server connected as an integration."""

    type: Literal["mcp"] = Field(description="Tool kind.")
    connection_id: str = Field(min_length=1, max_length=64, description="The MCP server's connection.")
    tool: str = Field(min_length=1, max_length=128, description="The server's tool name.")
    name: str | None = _NAME
    description: str | None = _DESCRIPTION


def _kind(value: Any) -> str:
    kind = value.get("type", "function") if isinstance(value, dict) else getattr(value, "type", "function")
    return kind if isinstance(kind, str) else "function"


AnyTool = Annotated[
    Annotated[AiTool, Tag("function")]
    | Annotated[IntegrationToolConfig, Tag("integration")]
    | Annotated[KnowledgeToolConfig, Tag("knowledge")]
    | Annotated[HttpToolConfig, Tag("http")]
    | Annotated[AgentToolConfig, Tag("agent")]
    | Annotated[McpToolConfig, Tag("mcp")],
    Discriminator(_kind),
]
RunnableTool = IntegrationToolConfig | KnowledgeToolConfig | HttpToolConfig | AgentToolConfig | McpToolConfig


def _slug(text: str) -> str:
    cleaned = re.sub(r"[^a-zA-Z0-9_-]+", "_", text).strip("_")
    return (cleaned or "tool")[:64]


def default_name(tool: Any) -> str:
    """The name the model sees when the config sets none."""
    if getattr(tool, "name", None):
        return str(tool.name)
    if isinstance(tool, IntegrationToolConfig):
        return _slug(tool.action)
    if isinstance(tool, McpToolConfig):
        return _slug(tool.tool)
    if isinstance(tool, KnowledgeToolConfig):
        return _slug(f"search_{tool.knowledge_base_id}")
    if isinstance(tool, AgentToolConfig):
        return _slug(f"agent_{tool.agent_id}")
    return "tool"
