"""WorkOS directory sync: the webhook's events (signature checked by the SDK) provision, update and
deprovision members and fill the teams their directory groups map to.

Events are routed by the WorkOS organization they carry to the org connected to it; another organization's
events change nothing here. WorkOS may retry or reorder deliveries: every handler is idempotent, and a user
event older than the last one applied to that directory user is ignored.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, Protocol

import workos
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from workos.common.models import (
    DirectoryGroup as WorkOSGroup,
)
from workos.common.models import (
    DsyncGroupDeleted,
    DsyncGroupUpdated,
    DsyncGroupUserAdded,
    DsyncGroupUserRemoved,
    DsyncUserCreated,
    DsyncUserDeleted,
    DsyncUserUpdated,
)

from agentflow.billing.limits import PlanLimits
from agentflow.config import Settings
from agentflow.errors import BadRequest, PlanLimitReached, ServiceUnavailable
from agentflow.models import DirectoryGroup, DirectoryUser, SSOConnection, Team, TeamMembership
from agentflow.sso.provisioning import deprovision, email_domain, ensure_member
from agentflow.sso.repository import (
    DirectoryGroupRepository,
    DirectoryUserRepository,
    SSOConnectionRepository,
    SSODomainRepository,
)
from agentflow.teams.repository import TeamMembershipRepository, TeamRepository

logger = logging.getLogger("agentflow.sso.directory")

MAX_EVENT_BYTES = 256 * 1024  # a directory event is a user or a group: a few kB
SIGNATURE_TOLERANCE_SECONDS = 180  # the SDK's default: an older signature is a replay


class DirectorySyncOff(ServiceUnavailable):
    code = "sso_not_configured"


class _UserData(Protocol):
    id: str
    directory_id: str
    organization_id: str
    email: str | None
    state: Any
    name: str | None
    first_name: str | None
    last_name: str | None


def verify(
    settings: Settings, client: workos.AsyncWorkOSClient | None, body: bytes, signature: str | None
) -> Any:
    """The event, if `WorkOS-Signature` signs this body with the webhook secret (recently); else 400."""
    secret = settings.workos_webhook_secret.get_secret_value() if settings.workos_webhook_secret else ""
    if client is None or not secret:
        raise DirectorySyncOff("Directory sync is not configured on this server (WORKOS_WEBHOOK_SECRET)")
    if not signature:
        raise BadRequest("Missing WorkOS-Signature header", code="invalid_signature")
    try:
        return client.webhooks.verify_event(
            event_body=body, event_signature=signature, secret=secret, tolerance=SIGNATURE_TOLERANCE_SECONDS
        )
    except workos.WorkOSError as exc:  # signed, but not an event the SDK can read
        raise BadRequest("The event is not a valid WorkOS event", code="invalid_event") from exc
    except ValueError as exc:  # a bad, stale or malformed signature (or a body that is not JSON)
        raise BadRequest("The WorkOS signature does not match this body", code="invalid_signature") from exc


async def handle(session: AsyncSession, *, limits: PlanLimits, event: Any) -> bool:
    """Apply one directory event; True when it changed something."""
    match event:
        case DsyncUserCreated() | DsyncUserUpdated():
            return await _user_changed(session, limits, event.data, at=event.created_at)
        case DsyncUserDeleted():
            return await _user_gone(session, event.data, at=event.created_at)
        case DsyncGroupUserAdded():
            return await _group_user(session, limits, event.data.user, event.data.group, added=True)
        case DsyncGroupUserRemoved():
            return await _group_user(session, limits, event.data.user, event.data.group, added=False)
        case DsyncGroupUpdated():
            return await _group_renamed(session, event.data)
        case DsyncGroupDeleted():
            return await _group_gone(session, event.data)
    return False  # other events (directory activated, group created while empty, …) need nothing here


async def _connection(session: AsyncSession, workos_org_id: str) -> SSOConnection | None:
    connection = await SSOConnectionRepository(session).by_workos_organization(workos_org_id)
    if connection is None:
        logger.info("directory event for unconnected WorkOS organization %s ignored", workos_org_id)
    return connection


def _is_active(user: _UserData) -> bool:
    return str(getattr(user.state, "value", user.state)) == "active"


async def _user_changed(session: AsyncSession, limits: PlanLimits, user: _UserData, *, at: datetime) -> bool:
    if not _is_active(user):  # suspended or inactive at the IdP: their access ends like on deletion
        return await _user_gone(session, user, at=at)
    return await _provision(session, limits, user, at=at) is not None


async def _provision(
    session: AsyncSession, limits: PlanLimits, user: _UserData, *, at: datetime | None
) -> DirectoryUser | None:
    """The directory user as a member (created on first sight), or None when they cannot be one (or the
    event is older than the last one applied to them)."""
    connection = await _connection(session, user.organization_id)
    if connection is None:
        return None
    links = DirectoryUserRepository(session)
    link = await links.find(connection.org_id, user.id)
    if link is not None and at is not None and at < link.last_event_at:
        return None  # a delayed older event: what came after it stands
    email = (user.email or "").strip().lower()
    if email_domain(email) not in await SSODomainRepository(session).for_org(connection.org_id):
        logger.warning("directory user %s outside the org's SSO domains ignored", user.id)
        return None
    name = user.name or " ".join(p for p in (user.first_name, user.last_name) if p)
    try:
        provisioned = await ensure_member(
            session, limits=limits, connection=connection, email=email, full_name=name
        )
    except PlanLimitReached:
        # Answering an error would only make WorkOS retry; the org's owners see the seat limit in billing.
        logger.warning(
            "directory user %s not provisioned: org %s has no seat left", user.id, connection.org_id
        )
        return None
    if name and not provisioned.created and provisioned.user.password_hash is None:
        provisioned.user.full_name = name[:200]  # only accounts the IdP made: never rename a self-made one
    stamp = at or datetime.now(UTC)
    if link is None:
        link = await links.add(
            DirectoryUser(
                org_id=connection.org_id,
                directory_user_id=user.id,
                directory_id=user.directory_id,
                user_id=provisioned.user.id,
                last_event_at=stamp,
            )
        )
    else:
        link.user_id, link.last_event_at = provisioned.user.id, max(link.last_event_at, stamp)
    return link


async def _user_gone(session: AsyncSession, user: _UserData, *, at: datetime) -> bool:
    connection = await _connection(session, user.organization_id)
    if connection is None:
        return False
    link = await DirectoryUserRepository(session).find(connection.org_id, user.id)
    if link is None:
        return False
    if at < link.last_event_at:
        return False
    link.last_event_at = at
    return await deprovision(session, org_id=connection.org_id, user_id=link.user_id)


async def _group_user(
    session: AsyncSession, limits: PlanLimits, user: _UserData, group: WorkOSGroup, *, added: bool
) -> bool:
    connection = await _connection(session, group.organization_id)
    if connection is None:
        return False
    if added:
        link = await _provision(session, limits, user, at=None)
    else:
        link = await DirectoryUserRepository(session).find(connection.org_id, user.id)
    if link is None:
        return False
    team_id = await _team_for(session, connection, group, create=added)
    if team_id is None:
        return False
    memberships = TeamMembershipRepository(session)
    existing = await memberships.find(connection.org_id, team_id, link.user_id)
    if added and existing is None:
        await memberships.add(TeamMembership(org_id=connection.org_id, team_id=team_id, user_id=link.user_id))
        return True
    if not added and existing is not None:
        await memberships.delete(existing)
        return True
    return False


async def _team_for(
    session: AsyncSession, connection: SSOConnection, group: WorkOSGroup, *, create: bool
) -> Any:
    """The team the group maps to: linked before, else the team of the same name (made if missing)."""
    groups = DirectoryGroupRepository(session)
    link = await groups.find(connection.org_id, group.id)
    if link is not None:
        return link.team_id
    if not create:
        return None
    name = group.name.strip()[:120] or group.id
    teams = TeamRepository(session)
    team = await teams.one_or_none(teams.readable(connection.org_id).where(Team.name == name))
    if team is None:
        team = await teams.add(Team(org_id=connection.org_id, name=name, description="From the directory"))
    await groups.add(DirectoryGroup(org_id=connection.org_id, directory_group_id=group.id, team_id=team.id))
    return team.id


async def _group_renamed(session: AsyncSession, group: Any) -> bool:
    """The linked team takes the group's new name, unless another team of the org already has it."""
    connection = await _connection(session, group.organization_id)
    link = await DirectoryGroupRepository(session).find(connection.org_id, group.id) if connection else None
    if connection is None or link is None:
        return False
    teams = TeamRepository(session)
    team = await teams.get_in_org(connection.org_id, link.team_id)
    name = group.name.strip()[:120] or group.id
    if team is None or team.name == name:
        return False
    if await teams.one_or_none(teams.readable(connection.org_id).where(Team.name == name)) is not None:
        logger.warning("directory group %s renamed to a team name already taken: team kept as is", group.id)
        return False
    team.name = name
    return True


async def _group_gone(session: AsyncSession, group: Any) -> bool:
    """The team stays (agents may belong to it) but no longer follows the directory: the link goes, and so
    do the memberships the directory gave (its users'), since team membership reaches restricted agents."""
    connection = await _connection(session, group.organization_id)
    link = await DirectoryGroupRepository(session).find(connection.org_id, group.id) if connection else None
    if connection is None or link is None:
        return False
    directory_users = select(DirectoryUser.user_id).where(DirectoryUser.org_id == connection.org_id)
    await session.execute(
        delete(TeamMembership).where(
            TeamMembership.team_id == link.team_id, TeamMembership.user_id.in_(directory_users)
        )
    )
    await DirectoryGroupRepository(session).delete(link)
    return True
