"""Members made and unmade by the identity provider: a first SSO sign-in or a directory's user joins the org;
a directory's deletion or deactivation removes them and ends their access at once."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.api_keys.repository import APIKeyRepository
from agentflow.auth.repository import RefreshTokenRepository, UserRepository
from agentflow.billing.limits import PlanLimits
from agentflow.billing.plans import LimitName
from agentflow.members.repository import InvitationRepository
from agentflow.models import Invitation, OrgMembership, SSOConnection, TeamMembership, User
from agentflow.orgs.repository import MembershipRepository
from agentflow.rbac import Role
from agentflow.sso.repository import revoke_member_keys

logger = logging.getLogger("agentflow.sso")


@dataclass(frozen=True)
class Provisioned:
    user: User
    membership: OrgMembership
    created: bool  # the membership is new


def email_domain(email: str) -> str:
    return email.rpartition("@")[2].strip().lower().rstrip(".")


async def ensure_member(
    session: AsyncSession,
    *,
    limits: PlanLimits,
    connection: SSOConnection,
    email: str,
    full_name: str,
) -> Provisioned:
    """The user with this email (created without a password if new) as a member of the connection's org:
    an open invitation's role, else the connection's default role. 402 when the plan has no seat left."""
    email = email.strip().lower()
    org_id = connection.org_id
    users, members = UserRepository(session), MembershipRepository(session)
    user = await users.get_by_email(email)
    if user is not None:
        existing = await members.get_for_user(org_id, user.id)
        if existing is not None:
            return Provisioned(user=user, membership=existing, created=False)
    invitation = await _open_invitation(session, org_id, email)
    if invitation is None:  # an invitation already holds its seat
        await limits.check(session, org_id=org_id, limit=LimitName.seats)
    if user is None:
        # No password: this account signs in through SSO (or sets one through a later invitation).
        user = await users.add(User(email=email, password_hash=None, full_name=full_name[:200]))
    role = invitation.role if invitation is not None else connection.default_role
    membership = await members.add(OrgMembership(org_id=org_id, user_id=user.id, role=role))
    if invitation is not None:
        invitation.accepted_at = datetime.now(UTC)
        invitation.accepted_by = user.id
    return Provisioned(user=user, membership=membership, created=True)


async def _open_invitation(session: AsyncSession, org_id: uuid.UUID, email: str) -> Invitation | None:
    invitations = InvitationRepository(session)
    pending = await invitations.all(
        invitations.readable(org_id)
        .where(
            Invitation.email == email,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > datetime.now(UTC),
        )
        .order_by(Invitation.created_at.desc())
        .limit(1)
    )
    return pending[0] if pending else None


async def deprovision(session: AsyncSession, *, org_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    """Remove the member: their teams in the org, their sessions (refresh tokens) and the API keys they
    created end at once; access tokens already issued fail on their next request (the membership is gone).
    The org's last owner is kept, so the org never ends up without one (logged). True if removed."""
    members = MembershipRepository(session)
    membership = await members.get_for_user(org_id, user_id)
    if membership is None:
        return False
    if membership.role == Role.owner and await members.count_owners(org_id) <= 1:
        logger.warning("directory deprovisioning kept the last owner %s of org %s", user_id, org_id)
        return False
    await session.execute(
        delete(TeamMembership).where(TeamMembership.org_id == org_id, TeamMembership.user_id == user_id)
    )
    await RefreshTokenRepository(session).revoke_user_in_org(user_id, org_id)
    await revoke_member_keys(APIKeyRepository(session), org_id, user_id)
    await members.delete(membership)
    return True
