"""Per-agent access: who may reach a restricted agent, as SQL, applied by every query that reaches agents.

The rule, for a caller who already holds the route's role permission:
- an unrestricted agent: everyone of the org, as always;
- a restricted one: holders of `agents:access_all` (owners, admins, custom roles given it); members of the
  owning team (`agents.team_id`: every agent permission their role allows); and teams or users with a grant
  naming the permission. Any grant lets its holder read the agent (nobody edits or runs what they cannot
  see).
An API key acts as its creator (its subject's `user_id`), within its own scopes.

It is evaluated inside each statement from the team memberships and grants as they are then (subqueries,
never a cache): removing a user from a team takes their access away with the next request. Who cannot read
an agent gets 404, the body another org's agent gets; who can read it but lacks the permission gets 403.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, Select, false, or_, select, true
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.auth.subject import AuthSubject
from agentflow.errors import Forbidden, NotFound
from agentflow.models import Agent, AgentGrant, TeamMembership
from agentflow.rbac import ROLE_PERMISSIONS, Permission, Role

# The permissions a grant may name: those of one agent.
GRANTABLE = (
    Permission.agents_read,
    Permission.agents_write,
    Permission.agents_publish,
    Permission.agents_execute,
)


def has_bypass(subject: AuthSubject) -> bool:
    """Whether the caller reaches every agent of its org, restricted or not."""
    return Permission.agents_access_all in subject.permissions


def _teams_of(org_id: Any, user_id: Any) -> Select[Any]:
    return select(TeamMembership.team_id).where(
        TeamMembership.org_id == org_id, TeamMembership.user_id == user_id
    )


def granting(permission: Permission) -> list[str]:
    """The grant permissions that allow `permission`: reading is implied by any grant, anything else
    needs a grant naming it."""
    if permission == Permission.agents_read:
        return [p.value for p in GRANTABLE]
    return [permission.value]


def rule(org_id: Any, user_id: Any, named: Any) -> ColumnElement[bool]:
    """The per-agent rule on `agents` for this user, with `named` the grant permissions that count
    (`granting`); values or bind parameters (the stream compiles it once). Bypass not included."""
    teams = _teams_of(org_id, user_id)
    granted = select(AgentGrant.agent_id).where(
        AgentGrant.org_id == org_id,
        or_(AgentGrant.user_id == user_id, AgentGrant.team_id.in_(teams)),
        AgentGrant.permissions.overlap(named),
    )
    return or_(Agent.restricted.is_(false()), Agent.team_id.in_(teams), Agent.id.in_(granted))


# The built-in roles holding the bypass (custom roles may hold it too: checked on their permissions).
_BYPASS_ROLES = ", ".join(f"'{r.value}'" for r in Role if Permission.agents_access_all in ROLE_PERMISSIONS[r])


def member_may_read_sql(*, agent: str, member: str) -> str:
    """`rule` for reading, plus the bypass, as SQL text for the worker's hand-written statements (who is
    told of an approval): `agent` aliases `agents`, `member` aliases `org_memberships`. Constants only; kept
    equal to `rule` (tests/api/test_agent_access.py drives both)."""
    teams = (
        f"SELECT tm.team_id FROM team_memberships tm WHERE tm.org_id = {agent}.org_id "  # noqa: S608 (constants only)
        f"AND tm.user_id = {member}.user_id"
    )
    return (
        f"(NOT {agent}.restricted OR {member}.role IN ({_BYPASS_ROLES})"  # noqa: S608 (constants only)
        f" OR EXISTS (SELECT 1 FROM custom_roles cr WHERE cr.id = {member}.custom_role_id"
        f" AND '{Permission.agents_access_all.value}' = ANY(cr.permissions))"
        f" OR {agent}.team_id IN ({teams})"
        f" OR EXISTS (SELECT 1 FROM agent_grants g WHERE g.agent_id = {agent}.id"
        f" AND (g.user_id = {member}.user_id OR g.team_id IN ({teams}))))"
    )


def visible(subject: AuthSubject, permission: Permission = Permission.agents_read) -> ColumnElement[bool]:
    """A WHERE clause on `agents`: the agents the caller may reach with `permission`."""
    if has_bypass(subject):
        return true()
    return rule(subject.org_id, subject.user_id, array(granting(permission)))


def visible_agent_ids(subject: AuthSubject) -> Select[Any] | None:
    """The ids of the org's agents the caller may read (for tables keyed by agent), None: all of them."""
    if has_bypass(subject):
        return None
    return select(Agent.id).where(Agent.org_id == subject.org_id, visible(subject))


async def hidden_agent_ids(
    session: AsyncSession, *, subject: AuthSubject, permission: Permission = Permission.agents_read
) -> frozenset[uuid.UUID]:
    """The org's restricted agents the caller may not use with `permission` (analytics leaves their
    figures out; a test run may not call them as tools)."""
    if has_bypass(subject):
        return frozenset()
    statement = select(Agent.id).where(
        Agent.org_id == subject.org_id, Agent.restricted.is_(True), ~visible(subject, permission)
    )
    return frozenset((await session.execute(statement)).scalars())


def _refused(subject: AuthSubject, agent_id: uuid.UUID, permission: Permission) -> Forbidden:
    return Forbidden(
        f"You may see agent {agent_id} but not use {permission} on it: ask its team for a grant",
        code="agent_access_denied",
    )


async def load(
    session: AsyncSession,
    *,
    subject: AuthSubject,
    agent_id: uuid.UUID,
    permission: Permission = Permission.agents_read,
    lock: bool = False,
) -> Agent:
    """The agent, if the caller may reach it with `permission`: 404 (`not_found`, as for another org's
    agent) unless they may read it, 403 when they may read it only. One statement; `lock` takes the row
    lock edits need (`SELECT … FOR UPDATE OF agents`)."""
    statement = (
        select(Agent, visible(subject, permission).label("allowed"))
        .where(Agent.org_id == subject.org_id, Agent.id == agent_id, visible(subject))
        .execution_options(populate_existing=True)
    )
    if lock:
        statement = statement.with_for_update(of=Agent)
    row = (await session.execute(statement)).first()
    if row is None:
        raise NotFound.resource("Agent", agent_id)
    if not row.allowed:
        raise _refused(subject, agent_id, permission)
    return row[0]  # type: ignore[no-any-return]


async def check(
    session: AsyncSession,
    *,
    subject: AuthSubject,
    agent_id: uuid.UUID,
    permission: Permission,
    missing: NotFound,
) -> None:
    """Whether the caller may use `permission` on the agent behind something (an execution): `missing`
    unless they may read the agent, 403 when they may read it only."""
    if has_bypass(subject):
        return
    statement = select(visible(subject).label("readable"), visible(subject, permission).label("allowed"))
    row = (
        await session.execute(statement.where(Agent.org_id == subject.org_id, Agent.id == agent_id))
    ).first()
    if row is None or not row.readable:
        raise missing
    if not row.allowed:
        raise _refused(subject, agent_id, permission)


def may_manage(subject: AuthSubject, agent: Agent, team_ids: frozenset[uuid.UUID]) -> bool:
    """Who may change an agent's access (restricted, grants, owning team): holders of `agents:access_all`,
    or members of its owning team whose role may edit agents. So changing it never locks the caller out."""
    if has_bypass(subject):
        return True
    return (
        Permission.agents_write in subject.permissions
        and agent.team_id is not None
        and agent.team_id in team_ids
    )


async def teams_of(session: AsyncSession, *, subject: AuthSubject) -> frozenset[uuid.UUID]:
    """The teams the caller belongs to in its org."""
    return frozenset((await session.execute(_teams_of(subject.org_id, subject.user_id))).scalars())
