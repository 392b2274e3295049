"""Every query on knowledge bases, documents and chunks."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, delete, func, insert, select, update

from agentflow.kit.pagination import Page
from agentflow.kit.repository import TenantRepository
from agentflow.models import KnowledgeBase, KnowledgeChunk, KnowledgeDocument
from agentflow.models.knowledge import DocumentStatus


class KnowledgeBaseRepository(TenantRepository[KnowledgeBase]):
    model = KnowledgeBase

    async def get_for_update(self, org_id: uuid.UUID, kb_id: uuid.UUID) -> KnowledgeBase | None:
        return await self.one_or_none(
            self.readable(org_id).where(KnowledgeBase.id == kb_id).with_for_update()
        )

    async def page_in_org(self, org_id: uuid.UUID, *, cursor: str | None, limit: int) -> Page[KnowledgeBase]:
        return await self.page(self.readable(org_id), cursor=cursor, limit=limit)

    async def existing_ids(self, org_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        rows = await self.session.execute(
            select(KnowledgeBase.id).where(KnowledgeBase.org_id == org_id, KnowledgeBase.id.in_(ids))
        )
        return set(rows.scalars())

    async def org_bytes(self, org_id: uuid.UUID) -> int:
        total = await self.session.scalar(
            select(func.coalesce(func.sum(KnowledgeBase.bytes_used), 0)).where(KnowledgeBase.org_id == org_id)
        )
        return int(total or 0)

    async def add_to_counts(
        self, kb_id: uuid.UUID, *, documents: int = 0, chunks: int = 0, bytes_used: int = 0
    ) -> None:
        """Counters move by deltas in SQL, so concurrent uploads and ingestions never lose an update."""
        await self.session.execute(
            update(KnowledgeBase)
            .where(KnowledgeBase.id == kb_id)
            .values(
                document_count=KnowledgeBase.document_count + documents,
                chunk_count=KnowledgeBase.chunk_count + chunks,
                bytes_used=KnowledgeBase.bytes_used + bytes_used,
                updated_at=func.now(),
            )
        )


class DocumentRepository(TenantRepository[KnowledgeDocument]):
    model = KnowledgeDocument

    def of_base(self, org_id: uuid.UUID, kb_id: uuid.UUID) -> Select[Any]:
        return self.readable(org_id).where(KnowledgeDocument.knowledge_base_id == kb_id)

    async def get_in_base(
        self, org_id: uuid.UUID, kb_id: uuid.UUID, doc_id: uuid.UUID, *, for_update: bool = False
    ) -> KnowledgeDocument | None:
        statement = self.of_base(org_id, kb_id).where(KnowledgeDocument.id == doc_id)
        return await self.one_or_none(statement.with_for_update() if for_update else statement)

    async def page_in_base(
        self, org_id: uuid.UUID, kb_id: uuid.UUID, *, cursor: str | None, limit: int
    ) -> Page[KnowledgeDocument]:
        return await self.page(self.of_base(org_id, kb_id), cursor=cursor, limit=limit)

    async def all_in_base(self, org_id: uuid.UUID, kb_id: uuid.UUID) -> Sequence[KnowledgeDocument]:
        return await self.all(self.of_base(org_id, kb_id).order_by(KnowledgeDocument.created_at))

    async def requeue_base(self, kb_id: uuid.UUID) -> list[uuid.UUID]:
        """Every document of the knowledge base back to `queued` (a re-index); their ids."""
        rows = await self.session.execute(
            update(KnowledgeDocument)
            .where(KnowledgeDocument.knowledge_base_id == kb_id)
            .values(status=DocumentStatus.queued.value, error=None, flow_run_id=None, updated_at=func.now())
            .returning(KnowledgeDocument.id)
        )
        return list(rows.scalars())

    async def set_flow_run(self, doc_id: uuid.UUID, flow_run_id: uuid.UUID) -> None:
        await self.session.execute(
            update(KnowledgeDocument).where(KnowledgeDocument.id == doc_id).values(flow_run_id=flow_run_id)
        )

    async def names(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
        rows = await self.session.execute(
            select(KnowledgeDocument.id, KnowledgeDocument.name).where(KnowledgeDocument.id.in_(ids))
        )
        return {row.id: row.name for row in rows}


class ChunkRepository:
    def __init__(self, session: Any) -> None:
        self.session = session

    async def replace(self, document: KnowledgeDocument, rows: Sequence[dict[str, Any]]) -> int:
        """The document's chunks become exactly `rows` (one transaction: searches see old or new, never
        half); returns how many chunks the document had before."""
        previous = await self.session.scalar(
            select(func.count()).select_from(KnowledgeChunk).where(KnowledgeChunk.document_id == document.id)
        )
        await self.session.execute(delete(KnowledgeChunk).where(KnowledgeChunk.document_id == document.id))
        if rows:
            await self.session.execute(insert(KnowledgeChunk), list(rows))
        return int(previous or 0)
