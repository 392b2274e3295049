"""/api/v1/knowledge-bases: knowledge bases, their documents (uploads and URLs) and queries."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Request, Response, status
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from agentflow.auth.subject import AuthSubject
from agentflow.errors import BadRequest, UnsupportedMediaType
from agentflow.kit.schemas import PageOf, page_of
from agentflow.knowledge.documents import IncomingFile, document_service
from agentflow.knowledge.schemas import (
    ChunkHit,
    DocumentFromURL,
    DocumentPublic,
    DocumentsCreated,
    KnowledgeBaseCreate,
    KnowledgeBasePublic,
    KnowledgeBaseUpdate,
    QueryAnswer,
    QueryRequest,
)
from agentflow.knowledge.service import knowledge_base_service
from agentflow.rbac import Permission
from api.deps import (
    Authorize,
    EgressDep,
    FileStoreDep,
    IngestionDep,
    PageDep,
    PlanLimitsDep,
    RouterDep,
    SessionDep,
    SettingsDep,
)
from api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/knowledge-bases", tags=["knowledge"], responses=ERROR_RESPONSES)

Reader = Annotated[AuthSubject, Depends(Authorize(Permission.knowledge_read))]
Writer = Annotated[AuthSubject, Depends(Authorize(Permission.knowledge_write))]
UPLOAD_FIELD = "files"
UPLOAD_PATH = "/{kb_id}/documents"
_UPLOAD_OPENAPI: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        UPLOAD_FIELD: {"type": "array", "items": {"type": "string", "format": "binary"}}
                    },
                    "required": [UPLOAD_FIELD],
                }
            }
        },
    }
}


@router.post("", status_code=status.HTTP_201_CREATED, response_model=KnowledgeBasePublic)
async def create_knowledge_base(
    body: KnowledgeBaseCreate, subject: Writer, session: SessionDep
) -> KnowledgeBasePublic:
    """A new, empty knowledge base (editor+)."""
    return KnowledgeBasePublic.model_validate(
        await knowledge_base_service.create(session, subject=subject, body=body)
    )


@router.get("", response_model=PageOf[KnowledgeBasePublic])
async def list_knowledge_bases(
    subject: Reader, session: SessionDep, page: PageDep
) -> PageOf[KnowledgeBasePublic]:
    """The organization's knowledge bases, newest first."""
    result = await knowledge_base_service.list(session, subject=subject, cursor=page.cursor, limit=page.limit)
    return page_of(KnowledgeBasePublic, result)


@router.get("/{kb_id}", response_model=KnowledgeBasePublic)
async def get_knowledge_base(kb_id: uuid.UUID, subject: Reader, session: SessionDep) -> KnowledgeBasePublic:
    """One knowledge base with its document and chunk counts."""
    return KnowledgeBasePublic.model_validate(
        await knowledge_base_service.get(session, subject=subject, kb_id=kb_id)
    )


@router.put("/{kb_id}", response_model=KnowledgeBasePublic)
async def update_knowledge_base(
    kb_id: uuid.UUID,
    body: KnowledgeBaseUpdate,
    subject: Writer,
    session: SessionDep,
    ingestion: IngestionDep,
    background: BackgroundTasks,
) -> KnowledgeBasePublic:
    """Rename it or change its model or chunking (which re-indexes every document) (editor+)."""
    kb, requeued = await knowledge_base_service.update(session, subject=subject, kb_id=kb_id, body=body)
    if requeued and ingestion is not None:
        background.add_task(ingestion.dispatch, requeued)
    return KnowledgeBasePublic.model_validate(kb)


@router.delete("/{kb_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_knowledge_base(
    kb_id: uuid.UUID, subject: Writer, session: SessionDep, files: FileStoreDep
) -> Response:
    """Delete it with every document, chunk and stored file (editor+)."""
    await knowledge_base_service.delete(session, files, subject=subject, kb_id=kb_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


async def _uploaded_files(request: Request, max_files: int) -> list[IncomingFile]:
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        raise UnsupportedMediaType(
            f"Upload documents as multipart/form-data, in parts named `{UPLOAD_FIELD}`",
            code="multipart_required",
        )
    try:
        async with request.form(max_files=max_files, max_fields=20) as form:
            incoming = []
            for part in form.getlist(UPLOAD_FIELD):
                if isinstance(part, UploadFile):
                    incoming.append(IncomingFile(part.filename or "document", await part.read()))
    except MultiPartException as exc:
        raise BadRequest(f"The upload could not be read: {exc.message}", code="malformed_upload") from exc
    return incoming


@router.post(
    UPLOAD_PATH,
    status_code=status.HTTP_201_CREATED,
    response_model=DocumentsCreated,
    openapi_extra=_UPLOAD_OPENAPI,
    responses={
        413: {"description": "A file, or the organization's knowledge storage, is over its limit"},
        415: {"description": "A file's content is of a type that cannot be ingested"},
    },
)
async def upload_documents(
    kb_id: uuid.UUID,
    request: Request,
    subject: Writer,
    session: SessionDep,
    files: FileStoreDep,
    settings: SettingsDep,
    limits: PlanLimitsDep,
    ingestion: IngestionDep,
    background: BackgroundTasks,
) -> DocumentsCreated:
    """Upload one or more files (parts named `files`); each is ingested by its own flow run (editor+)."""
    incoming = await _uploaded_files(request, settings.knowledge_max_files_per_upload)
    documents = await document_service.add_files(
        session, files, settings, limits=limits, subject=subject, kb_id=kb_id, incoming=incoming
    )
    if ingestion is not None:
        background.add_task(ingestion.dispatch, [d.id for d in documents])
    return DocumentsCreated(documents=[DocumentPublic.model_validate(d) for d in documents])


@router.post(
    "/{kb_id}/documents/url",
    status_code=status.HTTP_201_CREATED,
    response_model=DocumentPublic,
    responses={413: {"description": "The page is over the per-file limit"}},
)
async def add_document_from_url(
    kb_id: uuid.UUID,
    body: DocumentFromURL,
    subject: Writer,
    session: SessionDep,
    files: FileStoreDep,
    settings: SettingsDep,
    limits: PlanLimitsDep,
    egress: EgressDep,
    ingestion: IngestionDep,
    background: BackgroundTasks,
) -> DocumentPublic:
    """Fetch a page (through the egress guard) and ingest its main text (editor+)."""
    document = await document_service.add_url(
        session, files, settings, egress, limits=limits, subject=subject, kb_id=kb_id, url=body.url
    )
    if ingestion is not None:
        background.add_task(ingestion.dispatch, [document.id])
    return DocumentPublic.model_validate(document)


@router.get("/{kb_id}/documents", response_model=PageOf[DocumentPublic])
async def list_documents(
    kb_id: uuid.UUID, subject: Reader, session: SessionDep, page: PageDep
) -> PageOf[DocumentPublic]:
    """The knowledge base's documents with their ingestion status, newest first."""
    result = await document_service.list(
        session, subject=subject, kb_id=kb_id, cursor=page.cursor, limit=page.limit
    )
    return page_of(DocumentPublic, result)


@router.get("/{kb_id}/documents/{doc_id}", response_model=DocumentPublic)
async def get_document(
    kb_id: uuid.UUID, doc_id: uuid.UUID, subject: Reader, session: SessionDep
) -> DocumentPublic:
    """One document: status (`queued → processing → ready | failed`), pages, chunks, bytes."""
    return DocumentPublic.model_validate(
        await document_service.get(session, subject=subject, kb_id=kb_id, doc_id=doc_id)
    )


@router.delete("/{kb_id}/documents/{doc_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_document(
    kb_id: uuid.UUID, doc_id: uuid.UUID, subject: Writer, session: SessionDep, files: FileStoreDep
) -> Response:
    """Delete the document, its chunks and its file (editor+)."""
    await document_service.delete(session, files, subject=subject, kb_id=kb_id, doc_id=doc_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{kb_id}/documents/{doc_id}/reindex", status_code=status.HTTP_202_ACCEPTED, response_model=DocumentPublic
)
async def reindex_document(
    kb_id: uuid.UUID,
    doc_id: uuid.UUID,
    subject: Writer,
    session: SessionDep,
    ingestion: IngestionDep,
    background: BackgroundTasks,
) -> DocumentPublic:
    """Parse, chunk and embed the document again with the knowledge base's current settings (editor+)."""
    document = await document_service.reindex(session, subject=subject, kb_id=kb_id, doc_id=doc_id)
    if ingestion is not None:
        background.add_task(ingestion.dispatch, [document.id])
    return DocumentPublic.model_validate(document)


@router.post("/{kb_id}/query", response_model=QueryAnswer)
async def query_knowledge_base(
    kb_id: uuid.UUID, body: QueryRequest, subject: Reader, session: SessionDep, ai: RouterDep
) -> QueryAnswer:
    """Ranked chunks for a query: hybrid (vector + full text) by default (viewer+)."""
    hits = await knowledge_base_service.query(session, subject=subject, kb_id=kb_id, body=body, router=ai)
    return QueryAnswer(chunks=[ChunkHit.model_validate(hit) for hit in hits])
