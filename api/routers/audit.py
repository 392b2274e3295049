"""/api/v1/org/audit-logs: the org's audit log, paged or exported as CSV (owner and admin)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from agentflow.audit.export import csv_chunks
from agentflow.audit.schemas import AuditFilters, AuditLogPublic
from agentflow.audit.service import audit_log_service
from agentflow.auth.subject import AuthSubject
from agentflow.kit.schemas import PageOf
from agentflow.rbac import Permission
from api.deps import Authorize, PageDep, SessionDep, StreamingSessionDep
from api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/org/audit-logs", tags=["audit log"], responses=ERROR_RESPONSES)

AuditReader = Annotated[AuthSubject, Depends(Authorize(Permission.audit_read))]


def _utc(moment: datetime | None) -> datetime | None:
    """A time without an offset is read as UTC."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


async def audit_filters(
    action: Annotated[str | None, Query(max_length=80, description="e.g. `agent.published`")] = None,
    actor: Annotated[uuid.UUID | None, Query(description="A user's or API key's id.")] = None,
    resource_type: Annotated[str | None, Query(max_length=60, description="e.g. `agent`")] = None,
    resource_id: Annotated[str | None, Query(max_length=200)] = None,
    since: Annotated[datetime | None, Query(alias="from", description="Inclusive (ISO 8601).")] = None,
    until: Annotated[datetime | None, Query(alias="to", description="Exclusive (ISO 8601).")] = None,
) -> AuditFilters:
    filters = AuditFilters(
        action=action,
        actor_id=actor,
        resource_type=resource_type,
        resource_id=resource_id,
        since=_utc(since),
        until=_utc(until),
    )
    audit_log_service.check(filters)
    return filters


Filters = Annotated[AuditFilters, Depends(audit_filters)]


@router.get("", response_model=PageOf[AuditLogPublic])
async def list_audit_logs(
    subject: AuditReader, session: SessionDep, page: PageDep, filters: Filters
) -> PageOf[AuditLogPublic]:
    """Entries newest first: `{items: [{id, action, actor: {type, id, email}, resource_type, resource_id,
    ip, user_agent, request_id, details, created_at}], next_cursor}`."""
    result = await audit_log_service.list(
        session, subject=subject, filters=filters, cursor=page.cursor, limit=page.limit
    )
    return PageOf[AuditLogPublic](
        items=[AuditLogPublic.of(row) for row in result.items], next_cursor=result.next_cursor
    )


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "The matching entries, newest first."}},
)
async def export_audit_logs(
    subject: AuditReader,
    session: StreamingSessionDep,
    filters: Filters,
    format: Annotated[Literal["csv"], Query(description="Only `csv` for now.")] = "csv",
) -> StreamingResponse:
    """Every matching entry as CSV, streamed in batches (the same filters as the list)."""
    batches = audit_log_service.batches(session, subject=subject, filters=filters)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return StreamingResponse(
        csv_chunks(batches),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="audit-log-{stamp}.csv"'},
    )
