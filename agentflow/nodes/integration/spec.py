"""action.integration: its output shape (it runs once integrations can be connected)."""

from __future__ import annotations

from agentflow.nodes.base import DEFAULT_HANDLE, ERROR_HANDLE
from agentflow.nodes.integration.model import IntegrationNode
from agentflow.nodes.spec import NodeSpec, fixed_outputs, output

SPEC = NodeSpec(
    type="action.integration",
    model=IntegrationNode,
    label="Integration",
    category="action",
    handles=(DEFAULT_HANDLE, ERROR_HANDLE),
    outputs=fixed_outputs(output("output", "any", "The integration action's result.")),
)
