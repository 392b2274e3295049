"""ai: the engine's adapter to `agentflow.ai.AINodeHandler` (chat, summarize, classify, extract)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from agentflow.ai.node import AINodeHandler
from agentflow.ai.wiring import process_router
from agentflow.engine.worker.store import engine_store
from agentflow.graph import Node
from agentflow.graph.nodes.ai import AiConfig
from agentflow.nodes.base import NodeContext, NodeResult
from agentflow.providers.router import Router


@dataclass(frozen=True, slots=True)
class _StepContext:
    org_id: uuid.UUID
    router: Router
    deadline: float | None
    template_context: dict[str, Any]
    fallback_models: Sequence[str] = ()
    on_text: Callable[[str], Awaitable[None]] | None = None


class AIHandler:
    """The config arrives rendered (the engine renders every node the same way, secrets masked in records);
    the step's output gains `provider_attempts`, and its tokens and cost go on the step record."""

    def __init__(self) -> None:
        self.handler = AINodeHandler()

    async def run(self, node: Node, config: dict[str, Any], ctx: NodeContext) -> NodeResult:
        router = process_router((await engine_store()).db)
        deadline = time.monotonic() + node.timeout_seconds if node.timeout_seconds else None
        step = _StepContext(org_id=ctx.org_id, router=router, deadline=deadline, template_context={})
        result = await self.handler.run_rendered(AiConfig.model_validate(config), step)
        usage = result.usage
        return NodeResult(
            output={**result.output, "provider_attempts": result.provider_attempts},
            tokens=usage.input_tokens + usage.output_tokens,
            cost_usd=float(usage.cost_usd),
        )
