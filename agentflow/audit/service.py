"""Reading the audit log: pages for the API and the viewer, batches for the CSV export."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.audit.repository import AuditLogRepository
from agentflow.audit.schemas import AuditFilters
from agentflow.auth.subject import AuthSubject
from agentflow.errors import BadRequest
from agentflow.kit.pagination import Page
from agentflow.models import AuditLog

EXPORT_BATCH = 500


class AuditLogService:
    def check(self, filters: AuditFilters) -> None:
        """A date range that ends before it starts is a mistake, said before anything is read."""
        if filters.since and filters.until and filters.until <= filters.since:
            raise BadRequest("`to` must be after `from`", code="invalid_date_range")

    async def list(
        self,
        session: AsyncSession,
        *,
        subject: AuthSubject,
        filters: AuditFilters,
        cursor: str | None,
        limit: int,
    ) -> Page[AuditLog]:
        """The caller's org's entries matching the filters, newest first."""
        self.check(filters)
        return await AuditLogRepository(session).page(subject.org_id, filters, cursor=cursor, limit=limit)

    async def batches(
        self, session: AsyncSession, *, subject: AuthSubject, filters: AuditFilters
    ) -> AsyncIterator[Sequence[AuditLog]]:
        """Every matching entry, newest first, a bounded batch at a time (keyset pages: memory stays flat
        however long the log, and entries written meanwhile land before the first page, not inside)."""
        repo, cursor = AuditLogRepository(session), None
        while True:
            page = await repo.page(subject.org_id, filters, cursor=cursor, limit=EXPORT_BATCH)
            if page.items:
                yield page.items
            session.expunge_all()  # the batch's rows are written out: let them go
            if page.next_cursor is None:
                return
            cursor = page.next_cursor


audit_log_service = AuditLogService()
