"""/api/v1/invitations/{token}: preview and accept an invitation link (no org context needed)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from agentflow.auth.schemas import OrgSummary, TokenResponse
from agentflow.auth.service import refuse_api_keys
from agentflow.members.schemas import AcceptInvitation, InvitationPreview
from agentflow.members.service import member_service
from api.deps import ClientIP, OptionalSubject, SessionDep, SettingsDep
from api.errors import ERROR_RESPONSES
from api.routers.auth import token_response

router = APIRouter(prefix="/invitations", tags=["invitations"], responses=ERROR_RESPONSES)


@router.get("/{token}", response_model=InvitationPreview)
async def preview_invitation(token: str, session: SessionDep) -> InvitationPreview:
    """What the link invites to, so the accept page can say so."""
    invitation, account_exists = await member_service.preview(session, token=token)
    return InvitationPreview(
        email=invitation.email,
        role=invitation.role,
        org=OrgSummary.model_validate(invitation.organization),
        expires_at=invitation.expires_at,
        account_exists=account_exists,
    )


@router.post("/{token}/accept", response_model=TokenResponse)
async def accept_invitation(
    token: str,
    body: AcceptInvitation,
    response: Response,
    caller: OptionalSubject,
    session: SessionDep,
    settings: SettingsDep,
    ip: ClientIP,
) -> TokenResponse:
    """Join the organization. New accounts send a password; existing ones confirm theirs or send a token.

    Confirming with a password is throttled like sign-in (429 with Retry-After)."""
    refuse_api_keys(caller)
    issued = await member_service.accept(
        session,
        settings,
        token=token,
        body=body,
        caller_user_id=caller.user_id if caller else None,
        client_ip=ip,
    )
    return token_response(response, issued, settings)
