"""Queries on the audit log: always inside one org, newest first, keyset-paged."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.audit.schemas import AuditFilters
from agentflow.kit.pagination import Page, make_page, paginate_statement
from agentflow.models import AuditLog


class AuditLogRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def readable(self, org_id: uuid.UUID, filters: AuditFilters) -> Select[AuditLog]:
        stmt = select(AuditLog).where(AuditLog.org_id == org_id)
        if filters.action is not None:
            stmt = stmt.where(AuditLog.action == filters.action)
        if filters.actor_id is not None:
            stmt = stmt.where(AuditLog.actor_id == filters.actor_id)
        if filters.resource_type is not None:
            stmt = stmt.where(AuditLog.resource_type == filters.resource_type)
        if filters.resource_id is not None:
            stmt = stmt.where(AuditLog.resource_id == filters.resource_id)
        if filters.since is not None:
            stmt = stmt.where(AuditLog.created_at >= filters.since)
        if filters.until is not None:
            stmt = stmt.where(AuditLog.created_at < filters.until)
        return stmt

    async def page(
        self, org_id: uuid.UUID, filters: AuditFilters, *, cursor: str | None, limit: int
    ) -> Page[AuditLog]:
        stmt = paginate_statement(
            self.readable(org_id, filters),
            created_at=AuditLog.created_at,
            row_id=AuditLog.id,
            cursor=cursor,
            limit=limit,
        )
        rows = (await self.session.execute(stmt)).scalars().all()
        return make_page(rows, limit, key=lambda r: (r.created_at, r.id))
