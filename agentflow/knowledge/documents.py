"""Documents of a knowledge base: uploads and URLs in, status and re-indexing, deletion.

A document is accepted only when its content is of a supported kind and it fits the per-file and per-org
limits; then its file is stored and its row is `queued` until its ingestion flow run picks it up. Several
files in one upload are checked first and created together, so a refused file loses nothing and creates
nothing.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.auth.subject import AuthSubject
from agentflow.billing.limits import PlanLimits
from agentflow.billing.plans import LimitName
from agentflow.config import Settings
from agentflow.egress import EgressPolicy, EgressRefused, guarded_client
from agentflow.egress.requests import ResponseTooLarge, TooManyRedirects, send
from agentflow.errors import BadRequest, NotFound, PayloadTooLarge, UnsupportedMediaType
from agentflow.kit.pagination import Page
from agentflow.knowledge import parsing
from agentflow.knowledge.repository import DocumentRepository, KnowledgeBaseRepository
from agentflow.knowledge.service import knowledge_base_service
from agentflow.knowledge.storage import FileStore, document_key
from agentflow.models import KnowledgeDocument
from agentflow.models.knowledge import DocumentStatus

logger = logging.getLogger("agentflow.knowledge")

URL_TIMEOUT_SECONDS = 30.0
MAX_NAME_CHARS = 300


@dataclass(frozen=True)
class IncomingFile:
    name: str
    data: bytes


def _display_name(name: str) -> str:
    """The name as shown: its last path segment, printable, bounded (never used as a storage path)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    cleaned = "".join(ch for ch in base if ch.isprintable())
    return (cleaned or "document")[:MAX_NAME_CHARS]


class DocumentService:
    async def add_files(
        self,
        session: AsyncSession,
        files: FileStore,
        settings: Settings,
        *,
        limits: PlanLimits,
        subject: AuthSubject,
        kb_id: uuid.UUID,
        incoming: list[IncomingFile],
        source_url: str | None = None,
    ) -> list[KnowledgeDocument]:
        """Check every file (kind, size, the org's storage and plan), then store them and queue their
        ingestion."""
        kb = await knowledge_base_service.get(session, subject=subject, kb_id=kb_id, for_update=True)
        if not incoming:
            raise BadRequest("Send one or more files in multipart parts named `files`", code="missing_file")
        kinds = []
        for item in incoming:
            if len(item.data) > settings.knowledge_max_file_bytes:
                raise PayloadTooLarge(
                    f"{_display_name(item.name)} is larger than the limit of "
                    f"{settings.knowledge_max_file_bytes} bytes per file",
                    code="file_too_large",
                    details={"max_bytes": settings.knowledge_max_file_bytes},
                )
            if not item.data:
                raise BadRequest(f"{_display_name(item.name)} is empty", code="empty_file")
            try:
                kinds.append(parsing.sniff(item.data, item.name))
            except parsing.UnsupportedType as exc:
                raise UnsupportedMediaType(
                    f"{_display_name(item.name)}: {exc.message}",
                    code="unsupported_document_type",
                    details={"supported": list(parsing.KINDS)},
                ) from exc
        incoming_bytes = sum(len(item.data) for item in incoming)
        kbs = KnowledgeBaseRepository(session)
        used = await kbs.org_bytes(subject.org_id)
        if used + incoming_bytes > settings.knowledge_max_org_bytes:
            raise PayloadTooLarge(
                f"The organization's knowledge storage would pass its limit of "
                f"{settings.knowledge_max_org_bytes} bytes ({used} used)",
                code="knowledge_storage_full",
                details={"max_bytes": settings.knowledge_max_org_bytes, "used_bytes": used},
            )
        await limits.check(
            session, org_id=subject.org_id, limit=LimitName.knowledge_bytes, adding=incoming_bytes
        )
        documents = []
        for item, kind in zip(incoming, kinds, strict=True):
            doc_id = uuid.uuid4()
            key = document_key(subject.org_id, kb.id, doc_id)
            document = KnowledgeDocument(
                id=doc_id,
                org_id=subject.org_id,
                knowledge_base_id=kb.id,
                name=_display_name(item.name),
                kind=kind,
                source="url" if source_url else "upload",
                source_url=source_url,
                storage_key=key,
                status=DocumentStatus.queued.value,
                chunks=0,
                bytes=len(item.data),
                sha256=hashlib.sha256(item.data).hexdigest(),
                tokens=0,
                created_by=subject.user_id,
            )
            await files.put(key, item.data)
            session.add(document)
            documents.append(document)
        await session.flush()
        await kbs.add_to_counts(kb.id, documents=len(documents), bytes_used=incoming_bytes)
        logger.info(
            "documents added",
            extra={"org_id": str(subject.org_id), "knowledge_base_id": str(kb.id), "count": len(documents)},
        )
        return documents

    async def add_url(
        self,
        session: AsyncSession,
        files: FileStore,
        settings: Settings,
        egress: EgressPolicy,
        *,
        limits: PlanLimits,
        subject: AuthSubject,
        kb_id: uuid.UUID,
        url: str,
    ) -> KnowledgeDocument:
        """Fetch the page through the egress guard, then treat it like an uploaded file."""
        await knowledge_base_service.get(session, subject=subject, kb_id=kb_id)
        # A full plan is refused before anything is fetched; the page's own bytes are checked after.
        await limits.check(session, org_id=subject.org_id, limit=LimitName.knowledge_bytes, adding=1)
        data = await _fetch(url, egress, max_bytes=settings.knowledge_max_file_bytes)
        name = _display_name(
            unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]) or urlsplit(url).hostname or url
        )
        if "." not in name:
            name = f"{name}.html"
        (document,) = await self.add_files(
            session,
            files,
            settings,
            limits=limits,
            subject=subject,
            kb_id=kb_id,
            incoming=[IncomingFile(name, data)],
            source_url=url,
        )
        return document

    async def list(
        self, session: AsyncSession, *, subject: AuthSubject, kb_id: uuid.UUID, cursor: str | None, limit: int
    ) -> Page[KnowledgeDocument]:
        """The knowledge base's documents, newest first."""
        await knowledge_base_service.get(session, subject=subject, kb_id=kb_id)
        return await DocumentRepository(session).page_in_base(
            subject.org_id, kb_id, cursor=cursor, limit=limit
        )

    async def get(
        self,
        session: AsyncSession,
        *,
        subject: AuthSubject,
        kb_id: uuid.UUID,
        doc_id: uuid.UUID,
        for_update: bool = False,
    ) -> KnowledgeDocument:
        """One document (of a knowledge base of the caller's org)."""
        document = await DocumentRepository(session).get_in_base(
            subject.org_id, kb_id, doc_id, for_update=for_update
        )
        if document is None:
            raise NotFound.resource("Document", doc_id)
        return document

    async def delete(
        self,
        session: AsyncSession,
        files: FileStore,
        *,
        subject: AuthSubject,
        kb_id: uuid.UUID,
        doc_id: uuid.UUID,
    ) -> None:
        """The document, its chunks and its file."""
        await knowledge_base_service.get(session, subject=subject, kb_id=kb_id, for_update=True)
        document = await self.get(session, subject=subject, kb_id=kb_id, doc_id=doc_id, for_update=True)
        await DocumentRepository(session).delete(document)  # its chunks cascade
        await KnowledgeBaseRepository(session).add_to_counts(
            kb_id, documents=-1, chunks=-document.chunks, bytes_used=-document.bytes
        )
        try:
            await files.delete(document.storage_key)
        except OSError:
            logger.exception("the file of document %s could not be deleted", doc_id)

    async def reindex(
        self, session: AsyncSession, *, subject: AuthSubject, kb_id: uuid.UUID, doc_id: uuid.UUID
    ) -> KnowledgeDocument:
        """Queue the document again (parsed from its stored file with the knowledge base's settings)."""
        document = await self.get(session, subject=subject, kb_id=kb_id, doc_id=doc_id, for_update=True)
        document.status = DocumentStatus.queued.value
        document.error = None
        document.flow_run_id = None
        await session.flush()
        return document


async def _fetch(url: str, egress: EgressPolicy, *, max_bytes: int) -> bytes:
    """The body of `url` (2xx only), through the egress guard; refusals are the caller's 4xx."""
    try:
        async with guarded_client(egress, timeout=URL_TIMEOUT_SECONDS) as client:
            response = await send(client, "GET", url, timeout=URL_TIMEOUT_SECONDS, max_bytes=max_bytes)
    except EgressRefused as exc:
        raise BadRequest(exc.message, code="egress_refused") from exc
    except ResponseTooLarge as exc:
        raise PayloadTooLarge(
            f"The page is larger than the limit of {max_bytes} bytes per document",
            code="file_too_large",
            details={"max_bytes": max_bytes},
        ) from exc
    except (TooManyRedirects, httpx.HTTPError) as exc:
        raise BadRequest(
            f"{url} could not be fetched: {type(exc).__name__}: {exc}", code="fetch_failed"
        ) from exc
    if not 200 <= response.status < 300:
        raise BadRequest(f"{url} answered HTTP {response.status}", code="fetch_failed")
    return response.content


document_service = DocumentService()
