"""Queries on teams and team memberships."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from agentflow.kit.repository import TenantRepository
from agentflow.models import Team, TeamMembership, User


class TeamRepository(TenantRepository[Team]):
    model = Team

    async def name_taken(self, org_id: uuid.UUID, name: str, *, exclude: uuid.UUID | None = None) -> bool:
        stmt = self.readable(org_id).where(Team.name == name)
        if exclude is not None:
            stmt = stmt.where(Team.id != exclude)
        return await self.one_or_none(stmt) is not None

    async def members(self, team_id: uuid.UUID) -> Sequence[User]:
        return await self.all(
            select(User)
            .join(TeamMembership, TeamMembership.user_id == User.id)
            .where(TeamMembership.team_id == team_id)
            .order_by(User.email)
        )


class TeamMembershipRepository(TenantRepository[TeamMembership]):
    model = TeamMembership

    async def find(self, org_id: uuid.UUID, team_id: uuid.UUID, user_id: uuid.UUID) -> TeamMembership | None:
        return await self.one_or_none(
            self.readable(org_id).where(TeamMembership.team_id == team_id, TeamMembership.user_id == user_id)
        )
