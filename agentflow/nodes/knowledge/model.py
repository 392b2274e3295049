"""The knowledge.retrieve node: search one of the organization's knowledge bases."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from agentflow.nodes.base import NOT_TEMPLATED, NodeBase, StrictModel


class RetrieveConfig(StrictModel):
    """Which knowledge base to search and for what."""

    knowledge_base_id: str = Field(
        min_length=1,
        max_length=64,
        description="Id of the knowledge base to search (one of this organization's).",
        json_schema_extra=NOT_TEMPLATED,
    )
    query: str = Field(
        min_length=1, max_length=20_000, description="Search text; may use `{{…}}` references."
    )
    top_k: int = Field(default=5, ge=1, le=50, description="How many chunks to return, best first.")
    mode: Literal["hybrid", "vector", "keyword"] = Field(
        default="hybrid",
        description="`hybrid` fuses semantic and full-text ranks; `vector` is semantic only; `keyword` full "
        "text only.",
    )
    filter: dict[str, Any] = Field(
        default_factory=dict, description="Metadata filter: only chunks whose metadata has these values."
    )
    document_ids: list[str] = Field(
        default_factory=list, max_length=100, description="Search only these documents (all when empty)."
    )
    min_score: float | None = Field(default=None, ge=-1, le=1, description="Drop chunks scoring below it.")


class RetrieveNode(NodeBase):
    """Retrieves chunks; output `{chunks: [{content, score, document_id, document_name, page, heading,
    metadata}], context}`."""

    type: Literal["knowledge.retrieve"] = Field(description="Node type.")
    config: RetrieveConfig = Field(description="Retrieval settings.")
