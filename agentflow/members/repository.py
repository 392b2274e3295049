"""Queries on invitations."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from agentflow.kit.pagination import Page
from agentflow.kit.repository import TenantRepository
from agentflow.models import Invitation


class InvitationRepository(TenantRepository[Invitation]):
    model = Invitation

    async def get_by_hash(self, token_hash: str) -> Invitation | None:
        return await self.one_or_none(
            select(Invitation)
            .where(Invitation.token_hash == token_hash)
            .options(joinedload(Invitation.organization))
            .with_for_update(of=Invitation)
        )

    async def page_pending(self, org_id: uuid.UUID, *, cursor: str | None, limit: int) -> Page[Invitation]:
        return await self.page(
            self.readable(org_id).where(Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None)),
            cursor=cursor,
            limit=limit,
        )
