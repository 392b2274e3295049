"""/api/v1/teams: teams of the caller's org and their members."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from agentflow.auth.schemas import UserPublic
from agentflow.auth.subject import AuthSubject
from agentflow.kit.schemas import PageOf, page_of
from agentflow.models import Team
from agentflow.rbac import Permission
from agentflow.teams.schemas import TeamCreate, TeamDetail, TeamMemberAdd, TeamPublic, TeamUpdate
from agentflow.teams.service import team_service
from api.deps import Authorize, PageDep, SessionDep
from api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/teams", tags=["teams"], responses=ERROR_RESPONSES)

TeamReader = Annotated[AuthSubject, Depends(Authorize(Permission.teams_read))]
TeamWriter = Annotated[AuthSubject, Depends(Authorize(Permission.teams_write))]


async def _detail(session: SessionDep, team: Team) -> TeamDetail:
    members = await team_service.members(session, team=team)
    return TeamDetail(
        id=team.id,
        created_at=team.created_at,
        name=team.name,
        description=team.description,
        members=[UserPublic.model_validate(u) for u in members],
    )


@router.get("", response_model=PageOf[TeamPublic])
async def list_teams(subject: TeamReader, session: SessionDep, page: PageDep) -> PageOf[TeamPublic]:
    """Teams, newest first."""
    result = await team_service.list(session, subject=subject, cursor=page.cursor, limit=page.limit)
    return page_of(TeamPublic, result)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=TeamDetail)
async def create_team(body: TeamCreate, subject: TeamWriter, session: SessionDep) -> TeamDetail:
    """Create a team (admin+)."""
    return await _detail(session, await team_service.create(session, subject=subject, body=body))


@router.get("/{team_id}", response_model=TeamDetail)
async def get_team(team_id: uuid.UUID, subject: TeamReader, session: SessionDep) -> TeamDetail:
    """A team with its members."""
    return await _detail(session, await team_service.get(session, subject=subject, team_id=team_id))


@router.put("/{team_id}", response_model=TeamDetail)
async def update_team(
    team_id: uuid.UUID, body: TeamUpdate, subject: TeamWriter, session: SessionDep
) -> TeamDetail:
    """Rename or re-describe a team (admin+)."""
    return await _detail(
        session, await team_service.update(session, subject=subject, team_id=team_id, body=body)
    )


@router.delete("/{team_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_team(team_id: uuid.UUID, subject: TeamWriter, session: SessionDep) -> Response:
    """Delete a team (admin+)."""
    await team_service.delete(session, subject=subject, team_id=team_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{team_id}/members", response_model=TeamDetail)
async def add_team_member(
    team_id: uuid.UUID, body: TeamMemberAdd, subject: TeamWriter, session: SessionDep
) -> TeamDetail:
    """Add an org member to the team (admin+)."""
    await team_service.add_member(session, subject=subject, team_id=team_id, user_id=body.user_id)
    return await _detail(session, await team_service.get(session, subject=subject, team_id=team_id))


@router.delete("/{team_id}/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_team_member(
    team_id: uuid.UUID, user_id: uuid.UUID, subject: TeamWriter, session: SessionDep
) -> Response:
    """Take a member out of the team (admin+)."""
    await team_service.remove_member(session, subject=subject, team_id=team_id, user_id=user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
