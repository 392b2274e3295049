"""Knowledge bases: create, list, change, delete, and query. Documents are in `documents.py`."""

from __future__ import annotations

import builtins
import logging
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.auth.subject import AuthSubject
from agentflow.errors import NotFound, ServiceUnavailable, ValidationFailed
from agentflow.kit.pagination import Page
from agentflow.knowledge import embeddings
from agentflow.knowledge.repository import DocumentRepository, KnowledgeBaseRepository
from agentflow.knowledge.rerank import rerank
from agentflow.knowledge.schemas import KnowledgeBaseCreate, KnowledgeBaseUpdate, QueryRequest
from agentflow.knowledge.search import Filters, Hit, search
from agentflow.knowledge.storage import FileStore, knowledge_base_prefix
from agentflow.models import KnowledgeBase
from agentflow.providers.base import ProviderError
from agentflow.providers.router import Router

logger = logging.getLogger("agentflow.knowledge")


def _checked_model(model: str | None) -> str:
    name = model or embeddings.DEFAULT_MODEL
    problem = embeddings.model_problem(name)
    if problem is not None:
        raise ValidationFailed(problem, code="invalid_embedding_model")
    return name


class KnowledgeBaseService:
    async def create(
        self, session: AsyncSession, *, subject: AuthSubject, body: KnowledgeBaseCreate
    ) -> KnowledgeBase:
        """A new, empty knowledge base in the caller's org."""
        model = _checked_model(body.embedding_model)
        kb = KnowledgeBase(
            org_id=subject.org_id,
            name=body.name,
            description=body.description,
            embedding_model=model,
            dimensions=embeddings.LOCAL_MODELS.get(model),
            chunk_size=body.chunk_size,
            chunk_overlap=body.chunk_overlap,
            chunk_strategy=body.chunk_strategy,
            document_count=0,
            chunk_count=0,
            bytes_used=0,
            created_by=subject.user_id,
        )
        return await KnowledgeBaseRepository(session).add(kb)

    async def list(
        self, session: AsyncSession, *, subject: AuthSubject, cursor: str | None, limit: int
    ) -> Page[KnowledgeBase]:
        """The org's knowledge bases, newest first."""
        return await KnowledgeBaseRepository(session).page_in_org(subject.org_id, cursor=cursor, limit=limit)

    async def get(
        self, session: AsyncSession, *, subject: AuthSubject, kb_id: uuid.UUID, for_update: bool = False
    ) -> KnowledgeBase:
        """One knowledge base of the caller's org (another org's is not found)."""
        repo = KnowledgeBaseRepository(session)
        kb = await (repo.get_for_update if for_update else repo.get_in_org)(subject.org_id, kb_id)
        if kb is None:
            raise NotFound.resource("Knowledge base", kb_id)
        return kb

    async def update(
        self, session: AsyncSession, *, subject: AuthSubject, kb_id: uuid.UUID, body: KnowledgeBaseUpdate
    ) -> tuple[KnowledgeBase, builtins.list[uuid.UUID]]:
        """Rename or re-configure; a new model or chunking re-indexes every document (their ids returned
        for dispatch)."""
        kb = await self.get(session, subject=subject, kb_id=kb_id, for_update=True)
        if body.name is not None:
            kb.name = body.name
        if body.description is not None:
            kb.description = body.description
        reindex = False
        if body.embedding_model is not None and body.embedding_model != kb.embedding_model:
            kb.embedding_model = _checked_model(body.embedding_model)
            # Known again from the new model's first vector; old vectors stay out of vector search meanwhile.
            kb.dimensions = embeddings.LOCAL_MODELS.get(kb.embedding_model)
            reindex = True
        for field in ("chunk_size", "chunk_overlap", "chunk_strategy"):
            value = getattr(body, field)
            if value is not None and value != getattr(kb, field):
                setattr(kb, field, value)
                reindex = True
        if kb.chunk_overlap >= kb.chunk_size:
            raise ValidationFailed("chunk_overlap must be smaller than chunk_size", code="invalid_chunking")
        await session.flush()
        requeued = await DocumentRepository(session).requeue_base(kb.id) if reindex else []
        return kb, requeued

    async def delete(
        self, session: AsyncSession, files: FileStore, *, subject: AuthSubject, kb_id: uuid.UUID
    ) -> None:
        """The knowledge base, its documents, chunks and stored files."""
        kb = await self.get(session, subject=subject, kb_id=kb_id, for_update=True)
        await KnowledgeBaseRepository(session).delete(kb)  # documents and chunks cascade
        try:
            await files.delete_prefix(knowledge_base_prefix(subject.org_id, kb_id))
        except OSError:
            logger.exception("files of knowledge base %s could not be deleted", kb_id)

    async def query(
        self,
        session: AsyncSession,
        *,
        subject: AuthSubject,
        kb_id: uuid.UUID,
        body: QueryRequest,
        router: Router | None,
    ) -> builtins.list[Hit]:
        """Ranked chunks for the query."""
        kb = await self.get(session, subject=subject, kb_id=kb_id)
        return await retrieve(session, kb=kb, body=body, router=router)


async def retrieve(
    session: AsyncSession, *, kb: KnowledgeBase, body: QueryRequest, router: Router | None
) -> list[Hit]:
    """Search one knowledge base (the caller has checked it belongs to the org asking)."""
    vector = None
    try:
        if body.mode != "keyword" and kb.dimensions is not None:
            embedder = embeddings.embedder_for(kb.embedding_model, org_id=kb.org_id, router=router)
            vector = (await embedder.query(body.query)).vectors[0]
        hits = await search(
            session,
            knowledge_base_id=kb.id,
            dimensions=kb.dimensions,
            query=body.query,
            query_vector=vector,
            top_k=body.top_k,
            mode=body.mode,
            filters=Filters(body.filter.document_ids, body.filter.metadata),
            min_score=body.min_score,
        )
        if body.rerank and router is not None:
            hits = await rerank(router, kb.org_id, body.query, hits)
    except ProviderError as exc:
        raise ServiceUnavailable(
            f"The embedding or rerank model could not answer: {exc}", code="model_unavailable"
        ) from exc
    return hits


knowledge_base_service = KnowledgeBaseService()
