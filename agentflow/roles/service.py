"""Custom role rules: reserved and unique names, a cap per org, no escalation, no deleting a held role.

Every edit takes effect on the holders' next request: authentication reads a custom role's permissions
(agentflow/auth/subject.py), and the triggers of migration 0015 drop every API process's auth cache.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.auth.subject import AuthSubject
from agentflow.errors import Conflict, Forbidden, NotFound, ValidationFailed
from agentflow.models import CustomRole
from agentflow.rbac import ROLE_PERMISSIONS, Permission, Role, builtin_role, known_permissions
from agentflow.roles.repository import CustomRoleRepository
from agentflow.roles.schemas import MAX_ROLES_PER_ORG, RoleCreate, RolePublic, RoleUpdate


@dataclass(frozen=True)
class ResolvedRole:
    """A role about to be handed out: its stored name, permissions and (for a custom role) id."""

    name: str
    permissions: frozenset[Permission]
    custom_role_id: uuid.UUID | None = None


def permissions_of(role: CustomRole) -> frozenset[Permission]:
    return known_permissions(role.permissions)


def require_within(subject: AuthSubject, permissions: Iterable[Permission], *, what: str) -> None:
    """403 `role_escalation` unless the caller holds every one of `permissions`."""
    beyond = set(permissions) - subject.permissions
    if beyond:
        raise Forbidden(
            f"You cannot {what} a role with permissions you do not have",
            code="role_escalation",
            details={"permissions": sorted(beyond)},
        )


def builtin_public(role: Role) -> RolePublic:
    return RolePublic(
        id=None,
        name=role.value,
        permissions=sorted(ROLE_PERMISSIONS[role]),
        description="Built-in role",
        builtin=True,
        created_at=None,
        updated_at=None,
    )


def custom_public(role: CustomRole) -> RolePublic:
    return RolePublic(
        id=role.id,
        name=role.name,
        permissions=sorted(permissions_of(role)),
        description=role.description,
        builtin=False,
        created_at=role.created_at,
        updated_at=role.updated_at,
    )


class RoleService:
    async def list(self, session: AsyncSession, *, subject: AuthSubject) -> Sequence[CustomRole]:
        """The org's custom roles by name (at most MAX_ROLES_PER_ORG, so never paged)."""
        return await CustomRoleRepository(session).list_in_org(subject.org_id)

    async def get(self, session: AsyncSession, *, subject: AuthSubject, role_id: uuid.UUID) -> CustomRole:
        """One custom role of the caller's org (404 for another org's)."""
        role = await CustomRoleRepository(session).get_in_org(subject.org_id, role_id)
        if role is None:
            raise NotFound.resource("Role", role_id)
        return role

    async def create(self, session: AsyncSession, *, subject: AuthSubject, body: RoleCreate) -> CustomRole:
        """Define a role from permissions the caller holds."""
        require_within(subject, body.permissions, what="create")
        repo = CustomRoleRepository(session)
        if await repo.count_in_org(subject.org_id) >= MAX_ROLES_PER_ORG:
            raise Conflict(
                f"An organization has at most {MAX_ROLES_PER_ORG} custom roles", code="role_limit_reached"
            )
        if await repo.name_taken(subject.org_id, body.name):
            raise Conflict(f"A role named {body.name!r} already exists", code="role_name_taken")
        return await repo.add(
            CustomRole(
                org_id=subject.org_id,
                name=body.name,
                description=body.description,
                permissions=[p.value for p in body.permissions],
            )
        )

    async def update(
        self, session: AsyncSession, *, subject: AuthSubject, role_id: uuid.UUID, body: RoleUpdate
    ) -> CustomRole:
        """Rename, describe or re-scope a role; its members and keys get the new permissions at once."""
        repo = CustomRoleRepository(session)
        role = await self._locked(repo, subject, role_id)
        # Neither widen a role beyond your own permissions nor narrow one that is beyond them.
        require_within(subject, permissions_of(role), what="edit")
        if body.permissions is not None:
            require_within(subject, body.permissions, what="edit")
        if body.name is not None and body.name != role.name:
            if await repo.name_taken(subject.org_id, body.name, exclude=role.id):
                raise Conflict(f"A role named {body.name!r} already exists", code="role_name_taken")
            role.name = body.name
            await repo.rename_holders(subject.org_id, role.id, body.name)
        if body.description is not None:
            role.description = body.description
        if body.permissions is not None:
            role.permissions = [p.value for p in body.permissions]
            await repo.rescope_keys(subject.org_id, role.id, role.permissions)
        await session.flush()
        return role

    async def delete(self, session: AsyncSession, *, subject: AuthSubject, role_id: uuid.UUID) -> None:
        """Delete a role nobody holds (409 `role_in_use` otherwise)."""
        repo = CustomRoleRepository(session)
        role = await self._locked(repo, subject, role_id)
        require_within(subject, permissions_of(role), what="delete")
        holders = await repo.holders(subject.org_id, role.id, now=datetime.now(UTC))
        if any(holders.values()):
            raise Conflict(
                f"The role {role.name!r} is still held; give its holders another role first",
                code="role_in_use",
                details=holders,
            )
        await repo.delete(role)

    async def resolve(self, session: AsyncSession, *, org_id: uuid.UUID, name: str) -> ResolvedRole:
        """The built-in or custom role called `name` (any case) about to be handed out; 422 for neither.
        A custom role is locked FOR SHARE until the transaction ends, so it cannot be deleted meanwhile."""
        lowered = name.strip().lower()
        if (builtin := builtin_role(lowered)) is not None:
            return ResolvedRole(name=builtin.value, permissions=ROLE_PERMISSIONS[builtin])
        role = await CustomRoleRepository(session).find_by_name(org_id, lowered)
        if role is None:
            raise ValidationFailed(
                f"There is no role named {name!r}", code="unknown_role", details=[{"loc": ["role"]}]
            )
        return ResolvedRole(name=role.name, permissions=permissions_of(role), custom_role_id=role.id)

    async def holding(
        self, session: AsyncSession, *, org_id: uuid.UUID, role: str, custom_role_id: uuid.UUID | None
    ) -> ResolvedRole:
        """The role a member, invitation or key holds now (for checks on taking it away)."""
        if custom_role_id is None:
            builtin = builtin_role(role)
            # A name without a role: a closed invitation whose custom role was deleted since.
            permissions = ROLE_PERMISSIONS[builtin] if builtin is not None else frozenset()
            return ResolvedRole(name=role, permissions=permissions)
        custom = await CustomRoleRepository(session).get_locked(org_id, custom_role_id, share=True)
        if custom is None:
            return ResolvedRole(name=role, permissions=frozenset())
        return ResolvedRole(name=custom.name, permissions=permissions_of(custom), custom_role_id=custom.id)

    async def _locked(
        self, repo: CustomRoleRepository, subject: AuthSubject, role_id: uuid.UUID
    ) -> CustomRole:
        role = await repo.get_locked(subject.org_id, role_id)
        if role is None:
            raise NotFound.resource("Role", role_id)
        return role


role_service = RoleService()
