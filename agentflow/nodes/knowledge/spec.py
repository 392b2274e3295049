"""knowledge.retrieve: its output shape and handler. Whether the knowledge base exists in the org is
checked at publish (agents service), since it needs the database."""

from __future__ import annotations

from agentflow.nodes.knowledge.model import RetrieveNode
from agentflow.nodes.spec import NodeSpec, closed, fixed_outputs, output

SPEC = NodeSpec(
    type="knowledge.retrieve",
    model=RetrieveNode,
    label="Knowledge retrieval",
    category="knowledge",
    outputs=fixed_outputs(
        output(
            "output.chunks",
            "array",
            "Chunks `{content, score, document_id, document_name, page, heading, metadata}`, best first.",
        ),
        output(
            "output.context", "string", "The chunks joined with citations (`[1] doc, p. 3`), for a prompt."
        ),
    ),
    closed_outputs=closed("chunks", "context"),
    handler="agentflow.nodes.knowledge.handler:RetrieveHandler",
)
