"""Knowledge base, document and query bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, JsonValue, field_validator, model_validator

from agentflow.kit.schemas import InputSchema, RecordPublic, Schema, examples

ChunkStrategy = Literal["recursive", "structure"]
SearchMode = Literal["vector", "keyword", "hybrid"]
MAX_QUERY_CHARS = 4000
MAX_TOP_K = 50
MAX_FILTER_KEYS = 20
MAX_FILTER_DOCUMENTS = 100
MAX_URL_CHARS = 2048


class _ChunkSettings(InputSchema):
    @model_validator(mode="after")
    def _overlap_below_size(self) -> _ChunkSettings:
        size, overlap = getattr(self, "chunk_size", None), getattr(self, "chunk_overlap", None)
        if size is not None and overlap is not None and overlap >= size:
            raise ValueError("chunk_overlap must be smaller than chunk_size")
        return self


class KnowledgeBaseCreate(_ChunkSettings):
    model_config = examples(
        {
            "name": "Support handbook",
            "description": "Policies and product guides",
            "chunk_size": 512,
            "chunk_overlap": 64,
            "chunk_strategy": "recursive",
        }
    )

    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    embedding_model: str | None = Field(
        default=None,
        max_length=200,
        description="`local/multilingual-e5-small` (offline, the default) or a provider's embedding model "
        "such as `openai/text-embedding-3-small` or `ollama/nomic-embed-text`.",
    )
    chunk_size: int = Field(default=512, ge=64, le=4096, description="Tokens per chunk.")
    chunk_overlap: int = Field(default=64, ge=0, le=1024, description="Tokens shared by neighbouring chunks.")
    chunk_strategy: ChunkStrategy = Field(
        default="recursive",
        description="`recursive`: sentences packed to the size; `structure`: split on headings and "
        "paragraphs first.",
    )


class KnowledgeBaseUpdate(_ChunkSettings):
    model_config = examples({"name": "Support handbook (2027)", "description": "Updated guides"})

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    embedding_model: str | None = Field(
        default=None, max_length=200, description="Changing it re-embeds every document."
    )
    chunk_size: int | None = Field(default=None, ge=64, le=4096)
    chunk_overlap: int | None = Field(default=None, ge=0, le=1024)
    chunk_strategy: ChunkStrategy | None = None


class KnowledgeBasePublic(RecordPublic):
    name: str
    description: str
    embedding_model: str
    dimensions: int | None = Field(description="Set when the first chunk is embedded.")
    chunk_size: int
    chunk_overlap: int
    chunk_strategy: str
    document_count: int
    chunk_count: int
    bytes_used: int
    updated_at: datetime


class DocumentPublic(RecordPublic):
    name: str
    status: Literal["queued", "processing", "ready", "failed"]
    error: str | None = Field(description="Why the document failed, when it did.")
    pages: int | None
    chunks: int
    bytes: int
    kind: str = Field(description="The type read from the content: pdf, docx, csv, markdown, text, html.")
    source: Literal["upload", "url"]
    source_url: str | None
    tokens: int = Field(description="Tokens embedded (what a paid embedding model charged for).")
    cost_usd: Decimal
    updated_at: datetime


class DocumentsCreated(Schema):
    documents: list[DocumentPublic]


class DocumentFromURL(InputSchema):
    model_config = examples({"url": "https://example.com/handbook.html"})

    url: str = Field(min_length=1, max_length=MAX_URL_CHARS, description="An http(s) URL to fetch.")

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.lower().startswith(("http://", "https://")):
            raise ValueError("only http and https URLs can be fetched")
        return value


class QueryFilter(InputSchema):
    document_ids: list[uuid.UUID] | None = Field(default=None, max_length=MAX_FILTER_DOCUMENTS)
    metadata: dict[str, JsonValue] | None = Field(
        default=None, description="Chunks whose metadata has exactly these values."
    )

    @field_validator("metadata")
    @classmethod
    def _few_keys(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None and len(value) > MAX_FILTER_KEYS:
            raise ValueError(f"at most {MAX_FILTER_KEYS} metadata keys")
        return value


class QueryRequest(InputSchema):
    model_config = examples({"query": "How do I reset my password?", "top_k": 5, "mode": "hybrid"})

    query: str = Field(min_length=1, max_length=MAX_QUERY_CHARS)
    top_k: int = Field(default=5, ge=1, le=MAX_TOP_K)
    mode: SearchMode = Field(
        default="hybrid",
        description="`hybrid` fuses vector and full-text ranks (reciprocal rank fusion); `vector` is "
        "semantic only, `keyword` full text only.",
    )
    filter: QueryFilter = Field(default_factory=QueryFilter)
    min_score: float | None = Field(
        default=None,
        ge=-1,
        le=1,
        description="Drop chunks scoring below it (cosine similarity for vector, the fused score for "
        "hybrid, the full-text rank for keyword).",
    )
    rerank: bool = Field(
        default=False, description="Re-order the candidates with the organization's default AI model."
    )


class ChunkHit(Schema):
    content: str
    score: float
    document_id: uuid.UUID
    document_name: str
    page: int | None
    heading: str | None
    metadata: dict[str, Any]


class QueryAnswer(Schema):
    chunks: list[ChunkHit]
