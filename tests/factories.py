"""Small factories that build real rows through the real services."""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.agents.schemas import EXAMPLE_DEFINITION, AgentCreate
from agentflow.agents.service import agent_service
from agentflow.api_keys.schemas import APIKeyCreate
from agentflow.api_keys.service import api_key_service
from agentflow.auth.passwords import hash_password
from agentflow.auth.subject import AuthSubject
from agentflow.auth.tokens import issue_access_token
from agentflow.billing.limits import PlanLimits
from agentflow.config import Settings
from agentflow.models import Organization, OrgMembership, User
from agentflow.orgs.service import organization_service
from agentflow.rbac import ROLE_PERMISSIONS, Permission, Role
from agentflow.roles.schemas import RoleCreate
from agentflow.roles.service import role_service

PASSWORD = "correct horse battery staple"
# Setup through the services is never held to a plan (billing off); tests of limits build their own.
NO_LIMITS = PlanLimits(billing_enabled=False, public_url="http://testserver")


@dataclass(frozen=True)
class Member:
    """Plain values, not ORM objects: a rolled-back request in a test expires ORM objects."""

    user_id: uuid.UUID
    email: str
    org_id: uuid.UUID
    org_name: str
    role: str  # a built-in role, or a custom role's name (then `permissions` are its permissions)
    token: str
    permissions: frozenset[Permission] | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def subject(self) -> AuthSubject:
        return AuthSubject(
            user_id=self.user_id,
            org_id=self.org_id,
            role=self.role,
            permissions=ROLE_PERMISSIONS[Role(self.role)] if self.permissions is None else self.permissions,
            method="token",
        )


async def create_user(session: AsyncSession, *, email: str | None = None, password: str = PASSWORD) -> User:
    user = User(
        email=email or f"user-{uuid.uuid4().hex[:10]}@example.com", password_hash=hash_password(password)
    )
    session.add(user)
    await session.flush()
    return user


async def create_org(session: AsyncSession, *, name: str = "Acme") -> Organization:
    return await organization_service.create(session, name=name)


async def add_member(
    session: AsyncSession, settings: Settings, org_id: uuid.UUID, role: Role, *, user: User | None = None
) -> Member:
    user = user or await create_user(session)
    org = await session.get(Organization, org_id)
    assert org is not None
    session.add(OrgMembership(org_id=org_id, user_id=user.id, role=role))
    await session.flush()
    return Member(
        user_id=user.id,
        email=user.email,
        org_id=org_id,
        org_name=org.name,
        role=role,
        token=issue_access_token(settings, user_id=user.id, org_id=org_id),
    )


async def add_custom_role_member(
    session: AsyncSession,
    settings: Settings,
    org_id: uuid.UUID,
    permissions: set[Permission] | frozenset[Permission],
    *,
    name: str | None = None,
) -> Member:
    """A member holding a new custom role with exactly `permissions` (created through the roles service)."""
    org = await session.get(Organization, org_id)
    assert org is not None
    owner = AuthSubject(
        user_id=uuid.uuid4(),
        org_id=org_id,
        role=Role.owner,
        permissions=ROLE_PERMISSIONS[Role.owner],
        method="token",
    )
    role = await role_service.create(
        session,
        subject=owner,
        body=RoleCreate(name=name or f"role-{uuid.uuid4().hex[:8]}", permissions=sorted(permissions)),
    )
    user = await create_user(session)
    session.add(OrgMembership(org_id=org_id, user_id=user.id, role=role.name, custom_role_id=role.id))
    await session.flush()
    return Member(
        user_id=user.id,
        email=user.email,
        org_id=org_id,
        org_name=org.name,
        role=role.name,
        token=issue_access_token(settings, user_id=user.id, org_id=org_id),
        permissions=frozenset(permissions),
    )


async def create_org_with_owner(session: AsyncSession, settings: Settings, *, name: str = "Acme") -> Member:
    org = await create_org(session, name=name)
    return await add_member(session, settings, org.id, Role.owner)


async def create_api_key(session: AsyncSession, member: Member, *, scopes: list[str] | None = None) -> str:
    created = await api_key_service.create(
        session,
        subject=member.subject,
        body=APIKeyCreate.model_validate({"name": "test key", "scopes": scopes}),
    )
    return created.raw_key


def triage_definition(prompt: str = "Classify this ticket: {{start.output.body.text}}") -> dict[str, Any]:
    """A small valid definition: a webhook trigger feeding a classifier."""
    definition = copy.deepcopy(EXAMPLE_DEFINITION)
    definition["nodes"][1]["config"]["prompt"] = prompt
    return definition


async def create_agent(
    session: AsyncSession,
    member: Member,
    *,
    name: str = "Triage",
    definition: dict[str, Any] | None = None,
    tags: list[str] | None = None,
    team_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """A draft agent through the real service (the triage definition unless another is given); its id."""
    agent = await agent_service.create(
        session,
        limits=NO_LIMITS,
        subject=member.subject,
        body=AgentCreate(
            name=name, definition=definition or triage_definition(), tags=tags or [], team_id=team_id
        ),
    )
    return agent.id
