"""The agent definition document: nodes (a union discriminated on `type`), edges and settings."""

from __future__ import annotations

import copy
import functools
from typing import Any, Literal

from pydantic import Field, TypeAdapter

from agentflow.nodes.base import DEFAULT_HANDLE, RetryPolicy, StrictModel
from agentflow.nodes.registry import CONFIG_MODELS, NODE_MODELS, Node, NodeType
from agentflow.nodes.trigger.model import TriggerNode

__all__ = [
    "CONFIG_MODELS",
    "DEFAULT_HANDLE",
    "NODE_MODELS",
    "AgentDefinition",
    "AgentSettings",
    "Edge",
    "Node",
    "NodeType",
    "json_schema",
]


class Edge(StrictModel):
    """A connection: `target` runs after `source` completes through `source_handle`."""

    source: str = Field(min_length=1, description="Id of the node the edge leaves.")
    target: str = Field(min_length=1, description="Id of the node the edge enters.")
    source_handle: str | None = Field(
        default=None,
        description=(
            "Output handle of the source the edge leaves from (e.g. `true`, `approved`, a switch case name); "
            "the `default` handle when omitted."
        ),
    )

    @property
    def handle(self) -> str:
        """The source handle, with omission meaning `default`."""
        return self.source_handle or DEFAULT_HANDLE


class AgentSettings(StrictModel):
    """Run-wide limits."""

    timeout_seconds: int = Field(
        default=3600,
        gt=0,
        le=7 * 86400,
        description="End an execution as `timed_out` (with its running steps) when it runs longer than this; "
        "time paused for an approval does not count (a resumed or retried run gets the full time again).",
    )
    max_concurrency: int | None = Field(
        default=None,
        ge=1,
        description="At most this many executions of the agent at once; unlimited if unset.",
    )
    max_parallel_nodes: int = Field(
        default=4,
        ge=1,
        le=64,
        description="At most this many independent branches run at once in an execution.",
    )
    default_retry: RetryPolicy | None = Field(
        default=None, description="Retry policy for nodes that have none of their own; no retries if unset."
    )
    expose_as_tool: bool = Field(
        default=False,
        description="Offer the agent as a tool on AgentFlow's MCP server (`/api/v1/mcp`) while it is active "
        "and published: MCP clients (Claude Desktop, Cursor, the MCP Inspector) holding an org API key can "
        "list it and run it. Needs a `manual` or `api` trigger; the tool's name is the agent's name in lower "
        "case with underscores, its input schema the trigger's `input_schema`.",
    )
    execution_mode: Literal["standard", "fast"] = Field(
        default="standard",
        description="`standard`: each execution is its own Prefect flow run (approvals, long delays, agent "
        "tools, per-agent `max_concurrency`). `fast`: for high-volume triggers, executions run as task runs "
        "inside long-lived flow runs of each worker, several times the throughput; every execution and step "
        "is still recorded, streamed, retried per node, cancellable and retryable. A fast agent cannot have "
        "an approval node, a delay over 30 seconds, tool approvals, agent tools or `max_concurrency`.",
    )
    tool_description: str | None = Field(
        default=None,
        max_length=1000,
        description="What the MCP tool does, shown to the calling model when it chooses a tool; the agent's "
        "description is used if unset. Say what the input means and what the result holds.",
    )


class AgentDefinition(StrictModel):
    """One agent version: its nodes, the edges between them and run-wide settings."""

    nodes: list[Node] = Field(
        default_factory=list, description="The steps of the agent; exactly one trigger."
    )
    edges: list[Edge] = Field(default_factory=list, description="Connections between nodes.")
    settings: AgentSettings = Field(default_factory=AgentSettings, description="Run-wide limits.")

    def node(self, node_id: str) -> Node:
        """The node with this id; KeyError if there is none."""
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)

    def node_map(self) -> dict[str, Node]:
        """Nodes by id (the first one wins if ids repeat, which validation reports)."""
        found: dict[str, Node] = {}
        for node in self.nodes:
            found.setdefault(node.id, node)
        return found

    @property
    def trigger(self) -> TriggerNode | None:
        """The first trigger node, if any."""
        return next((node for node in self.nodes if isinstance(node, TriggerNode)), None)

    def to_data(self) -> dict[str, Any]:
        """Plain JSON data as written (fields that were never set are left out; `json` keeps its name)."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


@functools.cache
def _schema() -> dict[str, Any]:
    schema = TypeAdapter(AgentDefinition).json_schema(by_alias=True, mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of AgentDefinition, as served at GET /api/v1/schemas/agent-definition."""
    return copy.deepcopy(_schema())
