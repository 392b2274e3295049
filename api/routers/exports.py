"""/api/v1/exports: files of the org's executions (or audit log) over a date range, and their downloads."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Query, status
from fastapi.responses import StreamingResponse

from agentflow.auth.subject import AuthSubject
from agentflow.exports.schemas import ExportCreate, ExportLink, ExportPublic
from agentflow.exports.service import export_service
from agentflow.exports.storage import export_store
from agentflow.kit.schemas import PageOf, page_of
from agentflow.rbac import Permission
from api.deps import Authorize, ExportDispatcherDep, PageDep, SessionDep, SettingsDep
from api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/exports", tags=["exports"], responses=ERROR_RESPONSES)

Exporter = Annotated[AuthSubject, Depends(Authorize(Permission.exports_create))]
DOWNLOAD_PATH = "/{export_id}/download"
_CHUNK = 64 * 1024
_MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=ExportPublic)
async def create_export(
    body: ExportCreate,
    subject: Exporter,
    session: SessionDep,
    settings: SettingsDep,
    dispatcher: ExportDispatcherDep,
    background: BackgroundTasks,
) -> ExportPublic:
    """Export the org's executions (or audit log) created in [from, to) as CSV or JSON (admin+). A flow
    run writes the file; you are notified (and emailed) with a download link when it is ready."""
    export = await export_service.create(session, settings, subject=subject, body=body)
    if dispatcher is not None:
        background.add_task(dispatcher.dispatch, [export.id])
    return ExportPublic.model_validate(export)


@router.get("", response_model=PageOf[ExportPublic])
async def list_exports(subject: Exporter, session: SessionDep, page: PageDep) -> PageOf[ExportPublic]:
    """The org's exports, newest first."""
    result = await export_service.list(session, subject=subject, cursor=page.cursor, limit=page.limit)
    return page_of(ExportPublic, result)


@router.get("/{export_id}", response_model=ExportPublic)
async def get_export(export_id: uuid.UUID, subject: Exporter, session: SessionDep) -> ExportPublic:
    """One export and its status."""
    return ExportPublic.model_validate(
        await export_service.get(session, subject=subject, export_id=export_id)
    )


@router.post("/{export_id}/link", response_model=ExportLink)
async def new_download_link(
    export_id: uuid.UUID, subject: Exporter, session: SessionDep, settings: SettingsDep
) -> ExportLink:
    """A new download link for a finished export (the previous link stops working)."""
    return await export_service.new_link(session, settings, subject=subject, export_id=export_id)


@router.get(
    DOWNLOAD_PATH,
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/csv": {}, "application/json": {}}, "description": "The export's file"},
        410: {"description": "The export expired and its file was deleted"},
    },
)
async def download_export(
    export_id: uuid.UUID,
    token: Annotated[str, Query(min_length=20, max_length=200, examples=["8Qm3…"])],
    session: SessionDep,
    settings: SettingsDep,
) -> StreamingResponse:
    """Download an export's file with the link's token (no sign-in: the token is the credential)."""
    export = await export_service.for_download(session, export_id=export_id, token=token)
    data = await export_service.read_file(export_store(settings), export=export)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(data), _CHUNK):
            yield data[start : start + _CHUNK]

    name = f"agentflow-{export.kind}-{export.range_start:%Y%m%d}-{export.range_end:%Y%m%d}.{export.format}"
    return StreamingResponse(
        chunks(),
        media_type=_MEDIA_TYPES[export.format],
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Content-Length": str(len(data)),
            "Cache-Control": "no-store",
            # The token is in the URL: the file's page must not hand it on to anything it links to.
            "Referrer-Policy": "no-referrer",
        },
    )
