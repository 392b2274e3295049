"""human.approval: its output shape. It runs at flow level: the engine's runtime suspends the flow run until
a decision is recorded (agentflow/engine/worker/runtime.py), so it has no handler."""

from __future__ import annotations

from agentflow.nodes.approval.model import ApprovalNode
from agentflow.nodes.spec import NodeSpec, OutputField, output, schema_outputs


def _outputs(node: ApprovalNode) -> list[OutputField]:
    return [
        output("output.approved", "boolean", "The decision."),
        output("output.comment", "string", "The approver's comment."),
        output("output.by", "string", "Who decided (user id, or `timeout`)."),
        output("output.at", "string", "ISO time of the decision."),
        *schema_outputs(node.config.input_schema, "output"),
    ]


SPEC = NodeSpec(
    type="human.approval",
    model=ApprovalNode,
    label="Approval",
    category="human",
    handles=("approved", "rejected"),
    outputs=_outputs,
    flow_level=True,
)
