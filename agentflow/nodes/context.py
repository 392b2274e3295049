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


class NodeHandler(Protocol):
    async def run(self, node: NodeBase, config: dict[str, Any], ctx: NodeContext) -> NodeResult: ...
