"""What a node handler gets and returns."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from agentflow.nodes.base import DEFAULT_HANDLE, NodeBase
from agentflow.providers.router import Router


@dataclass(frozen=True)
class NodeResult:
    """A node's output and the output handles whose edges are taken."""

    output: Any
    handles: tuple[str, ...] = (DEFAULT_HANDLE,)
    tokens: int = 0
    cost_usd: float = 0.0


class KnowledgeNotFound(LookupError):
    """The knowledge base is not one of the organization's (or no longer exists)."""


class KnowledgeSearch(Protocol):
    """Retrieval from the organization's knowledge bases (agentflow/knowledge, given by the engine)."""

    async def retrieve(
        self,
        org_id: uuid.UUID,
        knowledge_base_id: str,
        query: str,
        *,
        top_k: int,
        mode: str,
        metadata: dict[str, Any],
        document_ids: list[str],
        min_score: float | None,
    ) -> list[dict[str, Any]]:
        """Chunks `{content, score, document_id, document_name, page, heading, metadata}`, best first;
        raises KnowledgeNotFound."""
        ...


@dataclass(frozen=True)
class ToolDescription:
    """An integration action (or an MCP server's tool) as an AI model sees it."""

    name: str
    description: str
    parameters: dict[str, Any]  # JSON Schema of the arguments
    side_effect: bool = True


class IntegrationCalls(Protocol):
    """Actions of the organization's connected integrations (agentflow/integrations, given by the engine).
    The credentials are read from Vault only for the call; failures are StepErrors (429/5xx transient)."""

    async def run_action(
        self,
        org_id: uuid.UUID,
        *,
        integration: str | None,
        connection_id: str | None,
        action: str,
        params: dict[str, Any],
        preview: bool,
    ) -> Any:
        """The action's result; in a preview, a side-effecting action returns `{preview: true, request}`.
        `integration` None means: whatever provider the connection is."""
        ...

    async def describe(self, org_id: uuid.UUID, *, connection_id: str, action: str) -> ToolDescription:
        """The action's name, description and params schema; PermanentStepError when unknown."""
        ...


@dataclass
class NodeContext:
    """Everything a handler may use besides its rendered config."""

    execution_id: uuid.UUID
    org_id: uuid.UUID
    http: httpx.AsyncClient  # guarded by the egress policy (agentflow/egress): use it for every call
    # The worker's AI router (one per process: it caches provider clients); None where no AI node runs.
    router: Router | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    trigger_input: Any = None
    # Test runs: side-effecting actions describe what they would do instead of doing it.
    preview: bool = False
    # Set by the engine: runs a loop's body once per item and returns each iteration's result.
    run_loop_body: Callable[[str, list[Any]], Awaitable[list[Any]]] | None = None
    # The organization's knowledge bases (the knowledge.retrieve node); None where none are reachable.
    knowledge: KnowledgeSearch | None = None
    # The organization's connected integrations (action.integration, AI tools); None where none are reachable.
    integrations: IntegrationCalls | None = None


class NodeHandler(Protocol):
    async def run(self, node: NodeBase, config: dict[str, Any], ctx: NodeContext) -> NodeResult: ...
