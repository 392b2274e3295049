"""Queries on organizations and memberships."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from agentflow.kit.pagination import Page
from agentflow.kit.repository import Repository, TenantRepository
from agentflow.models import Organization, OrgMembership
from agentflow.rbac import Role


class OrganizationRepository(Repository[Organization]):
    model = Organization

    async def slug_taken(self, slug: str) -> bool:
        return await self.one_or_none(select(Organization.id).where(Organization.slug == slug)) is not None


class MembershipRepository(TenantRepository[OrgMembership]):
    model = OrgMembership

    async def get_for_user(self, org_id: uuid.UUID, user_id: uuid.UUID) -> OrgMembership | None:
        return await self.one_or_none(
            self.readable(org_id)
            .where(OrgMembership.user_id == user_id)
            .options(joinedload(OrgMembership.user), joinedload(OrgMembership.organization))
        )

    async def list_for_user(self, user_id: uuid.UUID) -> Sequence[OrgMembership]:
        """A user's memberships across orgs, oldest first (the default org is the first)."""
        return await self.all(
            select(OrgMembership)
            .where(OrgMembership.user_id == user_id)
            .options(joinedload(OrgMembership.organization), joinedload(OrgMembership.user))
            .order_by(OrgMembership.created_at, OrgMembership.id)
        )

    async def page_members(self, org_id: uuid.UUID, *, cursor: str | None, limit: int) -> Page[OrgMembership]:
        return await self.page(
            self.readable(org_id).options(joinedload(OrgMembership.user)), cursor=cursor, limit=limit
        )

    async def count_owners(self, org_id: uuid.UUID) -> int:
        count = await self.one_or_none(
            select(func.count())
            .select_from(OrgMembership)
            .where(OrgMembership.org_id == org_id, OrgMembership.role == Role.owner)
        )
        return int(count or 0)
