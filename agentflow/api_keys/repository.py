"""Queries on API keys."""

from __future__ import annotations

import uuid

from agentflow.kit.pagination import Page
from agentflow.kit.repository import TenantRepository
from agentflow.models import APIKey


class APIKeyRepository(TenantRepository[APIKey]):
    model = APIKey

    async def page_active(self, org_id: uuid.UUID, *, cursor: str | None, limit: int) -> Page[APIKey]:
        return await self.page(
            self.readable(org_id).where(APIKey.revoked_at.is_(None)), cursor=cursor, limit=limit
        )
