"""Ingesting one document: load its file, parse, chunk, embed in batches, and replace its chunks.

The steps are plain functions; `flows/ingest_document.py` runs each as a Prefect task (so the Prefect UI
shows them, and embedding batches are retried on transient errors). The document's row says where it is:
`processing` while it runs, then `ready` with its pages and chunks, or `failed` with a reason a person can
act on. A corrupt or encrypted file fails its document only.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agentflow.config import Settings
from agentflow.db import create_engine, create_sessionmaker
from agentflow.knowledge.chunking import Chunk
from agentflow.knowledge.embeddings import Embedded
from agentflow.knowledge.repository import ChunkRepository, KnowledgeBaseRepository
from agentflow.models import KnowledgeBase, KnowledgeDocument
from agentflow.models.knowledge import DocumentStatus

logger = logging.getLogger("agentflow.knowledge")
MAX_ERROR_CHARS = 1000


class IngestionFailed(Exception):
    """A reason to fail the document that retrying cannot fix (shown to the user as is)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Job:
    """What one ingestion needs to know about its document and knowledge base."""

    document_id: uuid.UUID
    org_id: uuid.UUID
    knowledge_base_id: uuid.UUID
    name: str
    kind: str
    storage_key: str
    embedding_model: str
    dimensions: int | None
    chunk_size: int
    chunk_overlap: int
    chunk_strategy: str


_sessions: dict[str, async_sessionmaker[AsyncSession]] = {}


def sessions(settings: Settings) -> async_sessionmaker[AsyncSession]:
    """The process's sessions for ingestion (a small pool of its own)."""
    if settings.database_url not in _sessions:
        small = settings.model_copy(update={"database_pool_size": 4})
        _sessions[settings.database_url] = create_sessionmaker(create_engine(small))
    return _sessions[settings.database_url]


async def claim(
    factory: async_sessionmaker[AsyncSession], document_id: uuid.UUID, flow_run_id: uuid.UUID | None
) -> Job | None:
    """Mark the document `processing` and read what ingesting it needs; None when it is gone."""
    async with factory() as session, session.begin():
        document = await session.get(KnowledgeDocument, document_id, with_for_update=True)
        if document is None:
            return None
        kb = await session.get(KnowledgeBase, document.knowledge_base_id)
        assert kb is not None  # the foreign key cascades
        document.status = DocumentStatus.processing.value
        document.error = None
        if flow_run_id is not None:
            document.flow_run_id = flow_run_id
        return Job(
            document_id=document.id,
            org_id=document.org_id,
            knowledge_base_id=kb.id,
            name=document.name,
            kind=document.kind,
            storage_key=document.storage_key,
            embedding_model=kb.embedding_model,
            dimensions=kb.dimensions,
            chunk_size=kb.chunk_size,
            chunk_overlap=kb.chunk_overlap,
            chunk_strategy=kb.chunk_strategy,
        )


def batches(chunks: list[Chunk], size: int) -> list[list[Chunk]]:
    """Chunks in embedding batches of at most `size`."""
    return [chunks[start : start + size] for start in range(0, len(chunks), size)]


async def write(
    factory: async_sessionmaker[AsyncSession],
    job: Job,
    *,
    pages: int | None,
    chunks: list[Chunk],
    embedded: list[Embedded],
) -> int:
    """Replace the document's chunks with the new ones and mark it ready; returns the chunk count."""
    vectors = [vector for batch in embedded for vector in batch.vectors]
    assert len(vectors) == len(chunks), "one vector per chunk"
    dimensions = len(vectors[0]) if vectors else job.dimensions
    rows: list[dict[str, Any]] = [
        {
            "id": uuid.uuid4(),
            "org_id": job.org_id,
            "knowledge_base_id": job.knowledge_base_id,
            "document_id": job.document_id,
            "position": chunk.position,
            "content": chunk.content,
            "page": chunk.page,
            "heading": chunk.heading,
            "metadata": chunk.metadata,
            "tokens": chunk.tokens,
            "dimensions": dimensions,
            "embedding": vector,
        }
        for chunk, vector in zip(chunks, vectors, strict=True)
    ]
    async with factory() as session, session.begin():
        kb = await KnowledgeBaseRepository(session).get_for_update(job.org_id, job.knowledge_base_id)
        document = await session.get(KnowledgeDocument, job.document_id, with_for_update=True)
        if kb is None or document is None:
            return 0  # deleted while it was being ingested: nothing to write
        if kb.embedding_model != job.embedding_model:
            raise IngestionFailed(
                "The knowledge base's embedding model changed during ingestion; it is re-indexed"
            )
        if dimensions is not None and kb.dimensions is None:
            kb.dimensions = dimensions
        elif dimensions is not None and kb.dimensions != dimensions:
            raise IngestionFailed(
                f"The embedding model returned {dimensions}-dimensional vectors, but the knowledge base "
                f"holds {kb.dimensions}-dimensional ones"
            )
        previous = await ChunkRepository(session).replace(document, rows)
        document.status = DocumentStatus.ready.value
        document.error = None
        document.pages = pages
        document.chunks = len(rows)
        document.tokens = sum(batch.tokens for batch in embedded)
        document.cost_usd = sum((batch.cost_usd for batch in embedded), Decimal(0))
        document.processed_at = datetime.now(UTC)
        await KnowledgeBaseRepository(session).add_to_counts(kb.id, chunks=len(rows) - previous)
    return len(rows)


async def fail(factory: async_sessionmaker[AsyncSession], document_id: uuid.UUID, reason: str) -> None:
    """Mark the document failed with `reason` (its previous chunks, if any, stay searchable)."""
    async with factory() as session, session.begin():
        await session.execute(
            update(KnowledgeDocument)
            .where(KnowledgeDocument.id == document_id)
            .values(
                status=DocumentStatus.failed.value,
                error=reason[:MAX_ERROR_CHARS],
                updated_at=datetime.now(UTC),
            )
        )


async def fail_flow_runs(
    factory: async_sessionmaker[AsyncSession], flow_run_ids: list[uuid.UUID], reason: str
) -> int:
    """Documents whose ingestion run ended outside the flow (a dead worker, a cancel) fail; how many."""
    if not flow_run_ids:
        return 0
    async with factory() as session, session.begin():
        result = await session.execute(
            text(
                """
                UPDATE knowledge_documents SET status = 'failed', error = :reason, updated_at = now()
                WHERE flow_run_id = ANY(:ids) AND status IN ('queued', 'processing')
                """
            ),
            {"ids": flow_run_ids, "reason": reason[:MAX_ERROR_CHARS]},
        )
    return int(getattr(result, "rowcount", 0) or 0)
