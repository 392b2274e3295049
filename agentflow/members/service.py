"""Membership rules: who may invite whom, accepting invitations, role changes, the last owner."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.auth.passwords import hash_password
from agentflow.auth.repository import RefreshTokenRepository, UserRepository
from agentflow.auth.service import IssuedSession, auth_service
from agentflow.auth.subject import AuthSubject
from agentflow.billing.limits import PlanLimits
from agentflow.billing.plans import LimitName
from agentflow.config import Settings
from agentflow.email.sender import Email, EmailSender
from agentflow.errors import Conflict, Forbidden, NotFound, ValidationFailed
from agentflow.kit.crypto import digest, new_token
from agentflow.kit.pagination import Page
from agentflow.members.repository import InvitationRepository
from agentflow.members.schemas import AcceptInvitation, InviteRequest
from agentflow.models import Invitation, OrgMembership, TeamMembership, User
from agentflow.orgs.repository import MembershipRepository
from agentflow.orgs.service import organization_service
from agentflow.rbac import Role, assignment_refusal, builtin_role
from agentflow.roles.service import ResolvedRole, role_service
from agentflow.sso.policy import SSORequired, enforcing, password_allowed

logger = logging.getLogger("agentflow.members")


@dataclass(frozen=True)
class CreatedInvitation:
    invitation: Invitation
    token: str
    accept_url: str
    email_sent: bool


class MemberService:
    async def list(
        self, session: AsyncSession, *, subject: AuthSubject, cursor: str | None, limit: int
    ) -> Page[OrgMembership]:
        """Members of the caller's org, newest first."""
        return await MembershipRepository(session).page_members(subject.org_id, cursor=cursor, limit=limit)

    async def invite(
        self,
        session: AsyncSession,
        settings: Settings,
        sender: EmailSender,
        *,
        limits: PlanLimits,
        subject: AuthSubject,
        body: InviteRequest,
    ) -> CreatedInvitation:
        """Create an invitation (replacing a pending one for the same email) and email its link; 402 when
        the plan has no seat left for it (a pending invitation holds a seat)."""
        role = await role_service.resolve(session, org_id=subject.org_id, name=body.role)
        _check_assignment(subject, role, f"invite someone as {role.name}")
        email = body.email.lower()
        user = await UserRepository(session).get_by_email(email)
        members = MembershipRepository(session)
        if user is not None and await members.get_for_user(subject.org_id, user.id) is not None:
            raise Conflict(f"{email} is already a member of this organization", code="already_member")
        invitations = InvitationRepository(session)
        now = datetime.now(UTC)
        for pending in await invitations.all(
            invitations.readable(subject.org_id).where(
                Invitation.email == email, Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None)
            )
        ):
            pending.revoked_at = now
        # After the replaced invitation is revoked: inviting the same person again takes no new seat.
        await session.flush()
        await limits.check(session, org_id=subject.org_id, limit=LimitName.seats)
        token = new_token()
        invitation = await invitations.add(
            Invitation(
                org_id=subject.org_id,
                email=email,
                role=role.name,
                custom_role_id=role.custom_role_id,
                token_hash=digest(token),
                invited_by=subject.user_id,
                expires_at=now + timedelta(days=settings.invitation_days),
            )
        )
        org = await organization_service.get(session, org_id=subject.org_id)
        accept_url = f"{settings.public_url.rstrip('/')}/invitations/{token}"
        try:
            await sender.send(
                Email(
                    to=email,
                    subject=f"You are invited to {org.name} on AgentFlow",
                    text=f"You have been invited to join {org.name} as {role.name}.\n\n"
                    f"Accept the invitation: {accept_url}\n\n"
                    f"The link expires in {settings.invitation_days} days.",
                )
            )
            sent = True
        except OSError:  # the invitation stays valid; an admin can copy the link from the response
            logger.exception("invitation email to %s failed", email)
            sent = False
        return CreatedInvitation(invitation=invitation, token=token, accept_url=accept_url, email_sent=sent)

    async def list_invitations(
        self, session: AsyncSession, *, subject: AuthSubject, cursor: str | None, limit: int
    ) -> Page[Invitation]:
        """Pending invitations of the caller's org."""
        return await InvitationRepository(session).page_pending(subject.org_id, cursor=cursor, limit=limit)

    async def revoke_invitation(
        self, session: AsyncSession, *, subject: AuthSubject, invitation_id: uuid.UUID
    ) -> None:
        """Revoke a pending invitation so its link stops working."""
        invitation = await InvitationRepository(session).get_in_org(subject.org_id, invitation_id)
        if invitation is None or invitation.revoked_at is not None or invitation.accepted_at is not None:
            raise NotFound.resource("Invitation", invitation_id)
        invitation.revoked_at = datetime.now(UTC)

    async def find_open_invitation(self, session: AsyncSession, *, token: str) -> Invitation:
        """The invitation behind a link, if it can still be accepted."""
        invitation = await InvitationRepository(session).get_by_hash(digest(token))
        if invitation is None or invitation.revoked_at is not None or invitation.accepted_at is not None:
            raise NotFound("This invitation does not exist or was already used", code="invitation_not_found")
        if invitation.expires_at <= datetime.now(UTC):
            raise NotFound("This invitation has expired; ask for a new one", code="invitation_expired")
        return invitation

    async def preview(self, session: AsyncSession, *, token: str) -> tuple[Invitation, bool]:
        """The open invitation behind a link, and whether its email already has an account."""
        invitation = await self.find_open_invitation(session, token=token)
        return invitation, await UserRepository(session).get_by_email(invitation.email) is not None

    async def accept(
        self,
        session: AsyncSession,
        settings: Settings,
        *,
        token: str,
        body: AcceptInvitation,
        caller_user_id: uuid.UUID | None,
        client_ip: str,
    ) -> IssuedSession:
        """Join the org: an existing account proves itself (token, or password under the sign-in throttle);
        a new one is created."""
        invitation = await self.find_open_invitation(session, token=token)
        # Where SSO is enforced, only an owner joins without the IdP; others join by signing in with SSO
        # (which accepts this invitation and gives its role).
        enforced = bool(await enforcing(session, [invitation.org_id]))
        if not password_allowed(invitation.role, enforced=enforced):
            org = invitation.organization
            raise SSORequired(
                f"{org.name} signs in through SSO: sign in with SSO to accept this invitation",
                org_slug=org.slug,
            )
        users = UserRepository(session)
        user = await users.get_by_email(invitation.email)
        if user is not None:
            if caller_user_id is not None and caller_user_id != user.id:
                raise Forbidden("This invitation was sent to a different email address")
            if caller_user_id is None:
                user = await auth_service.check_password(
                    session,
                    settings,
                    email=invitation.email,
                    password=body.password or "",
                    client_ip=client_ip,
                    failure="Confirm your password to accept",
                )
        else:
            if caller_user_id is not None:
                raise Forbidden("This invitation was sent to a different email address")
            if not body.password:
                raise ValidationFailed(
                    "Choose a password to create your account", details=[{"loc": ["password"]}]
                )
            user = await users.add(
                User(
                    email=invitation.email,
                    password_hash=hash_password(body.password),
                    full_name=body.full_name,
                )
            )
        members = MembershipRepository(session)
        if await members.get_for_user(invitation.org_id, user.id) is not None:
            raise Conflict("You are already a member of this organization", code="already_member")
        if invitation.custom_role_id is None and builtin_role(invitation.role) is None:
            # Its custom role was deleted (only possible once the invitation had expired or closed).
            raise Conflict(
                "The role of this invitation no longer exists; ask for a new one", code="role_gone"
            )
        await members.add(
            OrgMembership(
                org_id=invitation.org_id,
                user_id=user.id,
                role=invitation.role,
                custom_role_id=invitation.custom_role_id,
            )
        )
        invitation.accepted_at = datetime.now(UTC)
        invitation.accepted_by = user.id
        return await auth_service.issue(
            session, settings, user=user, org=invitation.organization, role=invitation.role
        )

    async def change_role(
        self, session: AsyncSession, *, subject: AuthSubject, user_id: uuid.UUID, role: str
    ) -> OrgMembership:
        """Change a member's role (built-in or custom); owners alone touch owners, nobody hands out or takes
        away a role beyond their own permissions, and the last owner stays an owner."""
        members = MembershipRepository(session)
        target = await self._get(members, subject, user_id)
        wanted = await role_service.resolve(session, org_id=subject.org_id, name=role)
        current = await role_service.holding(
            session, org_id=subject.org_id, role=target.role, custom_role_id=target.custom_role_id
        )
        what = f"change a {current.name} to {wanted.name}"
        _check_assignment(subject, current, what)
        _check_assignment(subject, wanted, what)
        if (
            target.role == Role.owner
            and wanted.name != Role.owner
            and await members.count_owners(subject.org_id) <= 1
        ):
            raise Conflict(
                "The last owner cannot be demoted; make someone else owner first", code="last_owner"
            )
        target.role = wanted.name
        target.custom_role_id = wanted.custom_role_id
        await session.flush()
        return target

    async def remove(self, session: AsyncSession, *, subject: AuthSubject, user_id: uuid.UUID) -> None:
        """Remove a member: their sessions in this org end and their API keys stop working."""
        members = MembershipRepository(session)
        target = await self._get(members, subject, user_id)
        current = await role_service.holding(
            session, org_id=subject.org_id, role=target.role, custom_role_id=target.custom_role_id
        )
        _check_assignment(subject, current, f"remove a {current.name}")
        if target.role == Role.owner and await members.count_owners(subject.org_id) <= 1:
            raise Conflict("The last owner cannot be removed", code="last_owner")
        await session.execute(
            delete(TeamMembership).where(
                TeamMembership.org_id == subject.org_id, TeamMembership.user_id == user_id
            )
        )
        await RefreshTokenRepository(session).revoke_user_in_org(user_id, subject.org_id)
        await members.delete(target)

    async def _get(
        self, members: MembershipRepository, subject: AuthSubject, user_id: uuid.UUID
    ) -> OrgMembership:
        target = await members.get_for_user(subject.org_id, user_id)
        if target is None:
            raise NotFound.resource("Member", user_id)
        return target


def _check_assignment(subject: AuthSubject, role: ResolvedRole, what: str) -> None:
    """403 unless the caller may hand out (or take away) `role`: `owner_only`, or `role_escalation` when it
    holds permissions the caller does not."""
    refusal = assignment_refusal(subject.role, subject.permissions, role.name, role.permissions)
    if refusal == "owner_only":
        raise Forbidden(f"A {subject.role} cannot {what}: only owners hand out or take away ownership")
    if refusal == "role_escalation":
        raise Forbidden(
            f"You cannot {what}: that role has permissions you do not have",
            code="role_escalation",
            details={"permissions": sorted(role.permissions - subject.permissions)},
        )


member_service = MemberService()
