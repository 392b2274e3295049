"""action.integration: its output shape and handler. Whether the integration, action and connection exist
(and params without `{{` fit the action) is checked at publish (agents/publish_checks.py): it needs the
database and the integrations registry."""

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
    outputs=fixed_outputs(
        output(
            "output",
            "any",
            "The action's result; in a test run a side-effecting action's is `{preview: true, request}`.",
        )
    ),
    handler="agentflow.nodes.integration.handler:IntegrationHandler",
    test_preview="a side-effecting action is not called; the output is `{preview: true, request}` (the "
    "request it would send, secrets masked). A sample response (the action's result, an object) is "
    "merged in.",
)
