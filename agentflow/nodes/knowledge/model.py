"""The knowledge.retrieve node: semantic search in one of the organization's knowledge bases."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from agentflow.nodes.base import NodeBase, StrictModel


class RetrieveConfig(StrictModel):
    """Which knowledge base to search and for what."""

    knowledge_base_id: str = Field(min_length=1, description="Id of the knowledge base to search.")
    query: str = Field(min_length=1, description="Search text; may use `{{…}}` references.")
    top_k: int = Field(default=5, ge=1, le=100, description="How many chunks to return, best first.")
    filter: dict[str, Any] = Field(
        default_factory=dict, description="Metadata filter: only chunks whose metadata has these values."
    )


class RetrieveNode(NodeBase):
    """Retrieves chunks; output `{chunks: [{content, score, document_id, metadata}], context}`."""

    type: Literal["knowledge.retrieve"] = Field(description="Node type.")
    config: RetrieveConfig = Field(description="Retrieval settings.")
