"""knowledge.retrieve: its output shape (it runs once knowledge bases exist)."""

from __future__ import annotations

from agentflow.nodes.knowledge.model import RetrieveNode
from agentflow.nodes.spec import NodeSpec, closed, fixed_outputs, output

SPEC = NodeSpec(
    type="knowledge.retrieve",
    model=RetrieveNode,
    label="Knowledge retrieval",
    category="knowledge",
    outputs=fixed_outputs(
        output("output.chunks", "array", "Chunks `{content, score, document_id, metadata}`, best first."),
        output("output.context", "string", "The chunks' content joined, ready for a prompt."),
    ),
    closed_outputs=closed("chunks", "context"),
)
