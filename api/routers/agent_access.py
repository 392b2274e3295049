"""/api/v1/agents/{agent_id}/access: restrict an agent to its owning team and the teams and users granted."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends

from agentflow.agents.access_service import access_service
from agentflow.agents.schemas import AgentAccessPublic, AgentAccessUpdate
from agentflow.auth.subject import AuthSubject
from agentflow.rbac import Permission
from api.deps import Authorize, SessionDep
from api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/agents", tags=["agents"], responses=ERROR_RESPONSES)

AgentReader = Annotated[AuthSubject, Depends(Authorize(Permission.agents_read))]
AgentWriter = Annotated[AuthSubject, Depends(Authorize(Permission.agents_write))]


@router.get("/{agent_id}/access", response_model=AgentAccessPublic)
async def get_agent_access(
    agent_id: uuid.UUID, subject: AgentReader, session: SessionDep
) -> AgentAccessPublic:
    """Whether the agent is restricted, its owning team and its grants (whoever may read the agent)."""
    return await access_service.get(session, subject=subject, agent_id=agent_id)


@router.put("/{agent_id}/access", response_model=AgentAccessPublic)
async def put_agent_access(
    agent_id: uuid.UUID, body: AgentAccessUpdate, subject: AgentWriter, session: SessionDep
) -> AgentAccessPublic:
    """Restrict the agent (or lift it) and replace its grants (at most 200; one per team or user).

    Only holders of `agents:access_all` (owners, admins) or editors in the agent's owning team may (403
    `agent_access_denied`); a grant naming a team or user outside the org is 404."""
    return await access_service.replace(session, subject=subject, agent_id=agent_id, body=body)
