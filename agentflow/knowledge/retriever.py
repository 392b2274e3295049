"""What the knowledge.retrieve node searches through: `KnowledgeSearch` (nodes/context.py) on the database,
bound to the run's organization, so a node can only ever reach its own org's knowledge bases."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agentflow.errors import ServiceUnavailable
from agentflow.knowledge.repository import KnowledgeBaseRepository
from agentflow.knowledge.schemas import ChunkHit, QueryFilter, QueryRequest
from agentflow.knowledge.service import retrieve
from agentflow.nodes.context import KnowledgeNotFound
from agentflow.providers.router import Router


class OrgKnowledge:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], router: Router | None) -> None:
        self.sessions = sessions
        self.router = router

    async def retrieve(
        self,
        org_id: uuid.UUID,
        knowledge_base_id: str,
        query: str,
        *,
        top_k: int,
        mode: str,
        metadata: dict[str, Any],
        document_ids: list[str],
        min_score: float | None,
    ) -> list[dict[str, Any]]:
        """Ranked chunks as JSON-ready dicts; KnowledgeNotFound for an id that is not the org's."""
        missing = KnowledgeNotFound(f"Knowledge base {knowledge_base_id} not found in this organization")
        try:
            kb_id = uuid.UUID(knowledge_base_id)
        except ValueError:
            raise missing from None
        try:
            body = QueryRequest(
                query=query,
                top_k=top_k,
                mode=mode,  # type: ignore[arg-type]
                filter=QueryFilter(
                    document_ids=[uuid.UUID(d) for d in document_ids] or None, metadata=metadata or None
                ),
                min_score=min_score,
            )
        except (ValidationError, ValueError) as exc:
            raise ValueError(f"Invalid retrieval settings: {exc}") from exc
        async with self.sessions() as session, session.begin():
            kb = await KnowledgeBaseRepository(session).get_in_org(org_id, kb_id)
            if kb is None:
                raise missing
            try:
                hits = await retrieve(session, kb=kb, body=body, router=self.router)
            except ServiceUnavailable as exc:
                raise ConnectionError(exc.message) from exc
        # The API's chunk shape (ChunkHit), as JSON: what the node's output and the query answer share.
        return [ChunkHit.model_validate(hit).model_dump(mode="json") for hit in hits]
