"""Queries on SSO connections, their domains and the directory-sync links."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from sqlalchemy import delete, select, update

from agentflow.kit.repository import TenantRepository
from agentflow.models import (
    APIKey,
    DirectoryGroup,
    DirectoryUser,
    OrgMembership,
    RefreshToken,
    SSOConnection,
    SSODomain,
)
from agentflow.rbac import Role


class SSOConnectionRepository(TenantRepository[SSOConnection]):
    model = SSOConnection

    async def for_org(self, org_id: uuid.UUID) -> SSOConnection | None:
        return await self.one_or_none(self.readable(org_id))

    async def remove_for_org(self, org_id: uuid.UUID) -> bool:
        """The org's connection, its domains and its directory links, gone (the members stay); whether
        there was one."""
        for model in (DirectoryUser, DirectoryGroup, SSODomain):
            await self.session.execute(delete(model).where(model.org_id == org_id))
        connection = await self.for_org(org_id)
        if connection is not None:
            await self.session.delete(connection)
            await self.session.flush()
        return connection is not None

    async def by_workos_organization(self, workos_organization_id: str) -> SSOConnection | None:
        return await self.one_or_none(
            select(SSOConnection).where(SSOConnection.workos_organization_id == workos_organization_id)
        )

    async def enforcing(self, org_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
        """Those of `org_ids` that refuse passwords to their members who are not owners."""
        ids = list(org_ids)
        if not ids:
            return set()
        rows = await self.all(
            select(SSOConnection.org_id).where(SSOConnection.org_id.in_(ids), SSOConnection.enforce.is_(True))
        )
        return set(rows)

    async def revoke_password_sessions(self, org_id: uuid.UUID) -> None:
        """End the password sign-ins of the org's members who are not owners (SSO was just enforced)."""
        members = select(OrgMembership.user_id).where(
            OrgMembership.org_id == org_id, OrgMembership.role != Role.owner
        )
        await self.session.execute(
            update(RefreshToken)
            .where(
                RefreshToken.org_id == org_id,
                RefreshToken.auth_method != "sso",
                RefreshToken.revoked_at.is_(None),
                RefreshToken.user_id.in_(members),
            )
            .values(revoked_at=datetime.now(UTC))
        )


class SSODomainRepository(TenantRepository[SSODomain]):
    model = SSODomain

    async def for_org(self, org_id: uuid.UUID) -> list[str]:
        rows = await self.session.execute(
            select(SSODomain.domain).where(SSODomain.org_id == org_id).order_by(SSODomain.domain)
        )
        return list(rows.scalars())

    async def owner_of(self, domain: str) -> uuid.UUID | None:
        return await self.one_or_none(select(SSODomain.org_id).where(SSODomain.domain == domain))

    async def taken_elsewhere(self, org_id: uuid.UUID, domains: Sequence[str]) -> list[str]:
        rows = await self.session.execute(
            select(SSODomain.domain).where(SSODomain.domain.in_(domains), SSODomain.org_id != org_id)
        )
        return sorted(rows.scalars())

    async def replace(self, org_id: uuid.UUID, domains: Sequence[str]) -> None:
        await self.session.execute(delete(SSODomain).where(SSODomain.org_id == org_id))
        await self.session.flush()
        self.session.add_all(SSODomain(org_id=org_id, domain=domain) for domain in domains)
        await self.session.flush()


class DirectoryUserRepository(TenantRepository[DirectoryUser]):
    model = DirectoryUser

    async def find(self, org_id: uuid.UUID, directory_user_id: str) -> DirectoryUser | None:
        return await self.one_or_none(
            self.readable(org_id)
            .where(DirectoryUser.directory_user_id == directory_user_id)
            .with_for_update()
        )


class DirectoryGroupRepository(TenantRepository[DirectoryGroup]):
    model = DirectoryGroup

    async def find(self, org_id: uuid.UUID, directory_group_id: str) -> DirectoryGroup | None:
        return await self.one_or_none(
            self.readable(org_id).where(DirectoryGroup.directory_group_id == directory_group_id)
        )


async def revoke_member_keys(repo: TenantRepository[APIKey], org_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """Revoke every API key the user created in the org (revoked, not merely disabled: re-adding the
    person later must not bring their old keys back)."""
    await repo.session.execute(
        update(APIKey)
        .where(APIKey.org_id == org_id, APIKey.created_by == user_id, APIKey.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )
