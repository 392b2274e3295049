"""/api/v1/org/roles: the built-in roles (read-only) and the organization's custom roles."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from agentflow.auth.subject import AuthSubject
from agentflow.kit.schemas import PageOf
from agentflow.rbac import Permission, Role
from agentflow.roles.schemas import RoleCreate, RolePublic, RoleUpdate
from agentflow.roles.service import builtin_public, custom_public, role_service
from api.deps import Authorize, SessionDep, forget_credentials
from api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/org/roles", tags=["roles"], responses=ERROR_RESPONSES)

# Everyone who sees the members sees what their roles mean.
RoleReader = Annotated[AuthSubject, Depends(Authorize(Permission.members_read))]
RoleManager = Annotated[AuthSubject, Depends(Authorize(Permission.roles_manage))]


@router.get("", response_model=PageOf[RolePublic])
async def list_roles(subject: RoleReader, session: SessionDep) -> PageOf[RolePublic]:
    """The built-in roles (`builtin: true`, not editable), then the custom roles by name; one page."""
    custom = await role_service.list(session, subject=subject)
    items = [builtin_public(role) for role in Role] + [custom_public(role) for role in custom]
    return PageOf[RolePublic](items=items, next_cursor=None)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=RolePublic)
async def create_role(body: RoleCreate, subject: RoleManager, session: SessionDep) -> RolePublic:
    """Define a custom role from permissions you hold yourself (admin+)."""
    return custom_public(await role_service.create(session, subject=subject, body=body))


@router.get("/{role_id}", response_model=RolePublic)
async def get_role(role_id: uuid.UUID, subject: RoleReader, session: SessionDep) -> RolePublic:
    """One custom role."""
    return custom_public(await role_service.get(session, subject=subject, role_id=role_id))


@router.put("/{role_id}", response_model=RolePublic)
async def update_role(
    role_id: uuid.UUID, body: RoleUpdate, subject: RoleManager, session: SessionDep, request: Request
) -> RolePublic:
    """Rename, describe or change the permissions of a custom role; its members and API keys get the new
    permissions on their next request (admin+)."""
    role = await role_service.update(session, subject=subject, role_id=role_id, body=body)
    forget_credentials(request)
    return custom_public(role)


@router.delete("/{role_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_role(role_id: uuid.UUID, subject: RoleManager, session: SessionDep) -> Response:
    """Delete a custom role nobody holds any more (409 `role_in_use` otherwise) (admin+)."""
    await role_service.delete(session, subject=subject, role_id=role_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
