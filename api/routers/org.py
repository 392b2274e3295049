"""/api/v1/org: the caller's organization and its members and invitations."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from agentflow.auth.schemas import OrgPublic
from agentflow.auth.subject import AuthSubject
from agentflow.kit.schemas import PageOf, page_of
from agentflow.members.schemas import (
    InvitationCreated,
    InvitationPublic,
    InviteRequest,
    MemberPublic,
    RoleChange,
)
from agentflow.members.service import member_service
from agentflow.orgs.schemas import OrgUpdate
from agentflow.orgs.service import organization_service
from agentflow.rbac import Permission
from api.deps import (
    Authorize,
    ClientIP,
    EmailSenderDep,
    PageDep,
    PlanLimitsDep,
    SessionDep,
    SettingsDep,
    forget_credentials,
)
from api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/org", tags=["organization"], responses=ERROR_RESPONSES)

OrgReader = Annotated[AuthSubject, Depends(Authorize(Permission.org_read))]
OrgUpdater = Annotated[AuthSubject, Depends(Authorize(Permission.org_update))]
MemberReader = Annotated[AuthSubject, Depends(Authorize(Permission.members_read))]
Inviter = Annotated[AuthSubject, Depends(Authorize(Permission.members_invite))]
MemberManager = Annotated[AuthSubject, Depends(Authorize(Permission.members_manage))]


@router.get("", response_model=OrgPublic)
async def get_org(subject: OrgReader, session: SessionDep) -> OrgPublic:
    """The organization you are signed in to."""
    return OrgPublic.model_validate(await organization_service.get(session, org_id=subject.org_id))


@router.put("", response_model=OrgPublic)
async def update_org(body: OrgUpdate, subject: OrgUpdater, session: SessionDep, ip: ClientIP) -> OrgPublic:
    """Rename the organization or change its settings (admin+); an IP allowlist must include your address."""
    return OrgPublic.model_validate(
        await organization_service.update(session, org_id=subject.org_id, changes=body, caller_ip=ip)
    )


@router.get("/members", response_model=PageOf[MemberPublic])
async def list_members(subject: MemberReader, session: SessionDep, page: PageDep) -> PageOf[MemberPublic]:
    """Members with their roles, newest first."""
    result = await member_service.list(session, subject=subject, cursor=page.cursor, limit=page.limit)
    return page_of(MemberPublic, result)


@router.post("/members/invite", status_code=status.HTTP_201_CREATED, response_model=InvitationCreated)
async def invite_member(
    body: InviteRequest,
    subject: Inviter,
    session: SessionDep,
    settings: SettingsDep,
    limits: PlanLimitsDep,
    sender: EmailSenderDep,
) -> InvitationCreated:
    """Invite someone by email; they get a link to join with the given role (admin+)."""
    created = await member_service.invite(
        session, settings, sender, limits=limits, subject=subject, body=body
    )
    return InvitationCreated.model_validate(
        {
            **InvitationPublic.model_validate(created.invitation).model_dump(),
            "token": created.token,
            "accept_url": created.accept_url,
            "email_sent": created.email_sent,
        }
    )


@router.get("/invitations", response_model=PageOf[InvitationPublic])
async def list_invitations(subject: Inviter, session: SessionDep, page: PageDep) -> PageOf[InvitationPublic]:
    """Invitations not yet accepted or revoked."""
    result = await member_service.list_invitations(
        session, subject=subject, cursor=page.cursor, limit=page.limit
    )
    return page_of(InvitationPublic, result)


@router.delete("/invitations/{invitation_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_invitation(invitation_id: uuid.UUID, subject: Inviter, session: SessionDep) -> Response:
    """Revoke a pending invitation; its link stops working."""
    await member_service.revoke_invitation(session, subject=subject, invitation_id=invitation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/members/{user_id}/role", response_model=MemberPublic)
async def change_role(
    user_id: uuid.UUID, body: RoleChange, subject: MemberManager, session: SessionDep, request: Request
) -> MemberPublic:
    """Change a member's role. Only owners grant or take away ownership; the last owner stays."""
    membership = await member_service.change_role(session, subject=subject, user_id=user_id, role=body.role)
    forget_credentials(request)
    return MemberPublic.model_validate(membership)


@router.delete("/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_member(
    user_id: uuid.UUID, subject: MemberManager, session: SessionDep, request: Request
) -> Response:
    """Remove a member; their sessions and API keys in this org stop working at once."""
    await member_service.remove(session, subject=subject, user_id=user_id)
    forget_credentials(request)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
