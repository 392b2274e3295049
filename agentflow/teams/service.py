"""Team rules: unique names per org, members must belong to the org."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.auth.subject import AuthSubject
from agentflow.errors import Conflict, NotFound
from agentflow.kit.pagination import Page
from agentflow.models import Team, TeamMembership, User
from agentflow.orgs.repository import MembershipRepository
from agentflow.teams.repository import TeamMembershipRepository, TeamRepository
from agentflow.teams.schemas import TeamCreate, TeamUpdate


class TeamService:
    async def list(
        self, session: AsyncSession, *, subject: AuthSubject, cursor: str | None, limit: int
    ) -> Page[Team]:
        """Teams of the caller's org, newest first."""
        repo = TeamRepository(session)
        return await repo.page(repo.readable(subject.org_id), cursor=cursor, limit=limit)

    async def get(self, session: AsyncSession, *, subject: AuthSubject, team_id: uuid.UUID) -> Team:
        """One team of the caller's org (404 for any other org's team)."""
        team = await TeamRepository(session).get_in_org(subject.org_id, team_id)
        if team is None:
            raise NotFound.resource("Team", team_id)
        return team

    async def members(self, session: AsyncSession, *, team: Team) -> Sequence[User]:
        """The team's members, by email."""
        return await TeamRepository(session).members(team.id)

    async def create(self, session: AsyncSession, *, subject: AuthSubject, body: TeamCreate) -> Team:
        """Create a team with a name unique in the org."""
        repo = TeamRepository(session)
        if await repo.name_taken(subject.org_id, body.name):
            raise Conflict(f"A team named {body.name!r} already exists", code="team_name_taken")
        return await repo.add(Team(org_id=subject.org_id, name=body.name, description=body.description))

    async def update(
        self, session: AsyncSession, *, subject: AuthSubject, team_id: uuid.UUID, body: TeamUpdate
    ) -> Team:
        """Rename or describe a team."""
        team = await self.get(session, subject=subject, team_id=team_id)
        if body.name is not None and body.name != team.name:
            if await TeamRepository(session).name_taken(subject.org_id, body.name, exclude=team.id):
                raise Conflict(f"A team named {body.name!r} already exists", code="team_name_taken")
            team.name = body.name
        if body.description is not None:
            team.description = body.description
        await session.flush()
        return team

    async def delete(self, session: AsyncSession, *, subject: AuthSubject, team_id: uuid.UUID) -> None:
        """Delete a team (its memberships go with it)."""
        team = await self.get(session, subject=subject, team_id=team_id)
        await TeamRepository(session).delete(team)

    async def add_member(
        self, session: AsyncSession, *, subject: AuthSubject, team_id: uuid.UUID, user_id: uuid.UUID
    ) -> None:
        """Add an org member to a team (idempotent)."""
        team = await self.get(session, subject=subject, team_id=team_id)
        if await MembershipRepository(session).get_for_user(subject.org_id, user_id) is None:
            raise NotFound.resource("Member", user_id)
        repo = TeamMembershipRepository(session)
        if await repo.find(subject.org_id, team.id, user_id) is None:
            await repo.add(TeamMembership(org_id=subject.org_id, team_id=team.id, user_id=user_id))

    async def remove_member(
        self, session: AsyncSession, *, subject: AuthSubject, team_id: uuid.UUID, user_id: uuid.UUID
    ) -> None:
        """Take a member out of a team."""
        team = await self.get(session, subject=subject, team_id=team_id)
        repo = TeamMembershipRepository(session)
        membership = await repo.find(subject.org_id, team.id, user_id)
        if membership is None:
            raise NotFound.resource("Team member", user_id)
        await repo.delete(membership)


team_service = TeamService()
