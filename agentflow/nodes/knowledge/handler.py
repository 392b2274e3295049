"""knowledge.retrieve: ranked chunks of one knowledge base, and a citation-numbered context for prompts.

The search runs in test runs too (it changes nothing). The handler reaches the knowledge base only through
`ctx.knowledge`, bound by the engine to the run's organization.
"""

from __future__ import annotations

from typing import Any

from agentflow.nodes.base import NodeBase
from agentflow.nodes.context import KnowledgeNotFound, NodeContext, NodeResult
from agentflow.nodes.errors import PermanentStepError, TransientStepError


def citation(index: int, chunk: dict[str, Any]) -> str:
    """`[1] handbook.pdf, p. 3 — Refunds`: what the prompt cites."""
    label = f"[{index}] {chunk.get('document_name') or 'document'}"
    if chunk.get("page") is not None:
        label += f", p. {chunk['page']}"
    if chunk.get("heading"):
        label += f" — {chunk['heading']}"
    return label


def context_text(chunks: list[dict[str, Any]]) -> str:
    """The chunks under their citations, separated by blank lines."""
    return "\n\n".join(f"{citation(i, c)}\n{c['content']}" for i, c in enumerate(chunks, start=1))


class RetrieveHandler:
    async def run(self, node: NodeBase, config: dict[str, Any], ctx: NodeContext) -> NodeResult:
        if ctx.knowledge is None:
            raise PermanentStepError(
                "Knowledge bases are not available in this worker", code="not_configured"
            )
        query = str(config.get("query") or "").strip()
        if not query:
            raise PermanentStepError(
                "config.query rendered to empty text: nothing to search for", code="empty_query"
            )
        try:
            chunks = await ctx.knowledge.retrieve(
                ctx.org_id,
                str(config["knowledge_base_id"]),
                query[:4000],
                top_k=int(config.get("top_k") or 5),
                mode=str(config.get("mode") or "hybrid"),
                metadata=dict(config.get("filter") or {}),
                document_ids=[str(d) for d in config.get("document_ids") or []],
                min_score=config.get("min_score"),
            )
        except KnowledgeNotFound as exc:
            raise PermanentStepError(str(exc), code="knowledge_base_not_found") from exc
        except ValueError as exc:
            raise PermanentStepError(str(exc), code="invalid_config") from exc
        except ConnectionError as exc:
            raise TransientStepError(
                f"The knowledge base could not be searched: {exc}", code="unavailable"
            ) from exc
        return NodeResult(output={"chunks": chunks, "context": context_text(chunks)})
