"""human.approval: wait for a person's decision; `approved` / `rejected` handles."""

from __future__ import annotations

from typing import Any

from agentflow.graph import Node
from agentflow.nodes.base import NodeContext, NodeResult


class ApprovalHandler:
    async def run(self, node: Node, config: dict[str, Any], ctx: NodeContext) -> NodeResult:
        assert ctx.request_approval is not None, "the engine provides approvals"
        decision = await ctx.request_approval(node, config)
        return NodeResult(output=decision, handles=("approved" if decision.get("approved") else "rejected",))
