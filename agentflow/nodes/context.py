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


class NodeHandler(Protocol):
    async def run(self, node: NodeBase, config: dict[str, Any], ctx: NodeContext) -> NodeResult: ...
