"""Queries on exports."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select

from agentflow.kit.repository import TenantRepository
from agentflow.models import Export
from agentflow.models.export import UNFINISHED_EXPORTS


class ExportRepository(TenantRepository[Export]):
    model = Export

    async def count_unfinished(self, org_id: uuid.UUID, *, since: datetime) -> int:
        """Exports pending or running that were requested after `since` (an older one is stuck, and
        failed by the daily flow: it must not hold the org's exports up until then)."""
        count = await self.one_or_none(
            select(func.count())
            .select_from(Export)
            .where(
                Export.org_id == org_id,
                Export.status.in_(UNFINISHED_EXPORTS),
                Export.created_at > since,
            )
        )
        return int(count or 0)

    async def by_token_hash(self, token_hash: str) -> Export | None:
        """The export a download token belongs to, in whichever org: the token is the credential."""
        return await self.one_or_none(select(Export).where(Export.token_hash == token_hash))
