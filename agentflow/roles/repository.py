"""Queries on custom roles and on the rows that hold one."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select, text, update

from agentflow.kit.repository import TenantRepository
from agentflow.models import APIKey, CustomRole, Invitation, OrgMembership


class CustomRoleRepository(TenantRepository[CustomRole]):
    model = CustomRole

    async def list_in_org(self, org_id: uuid.UUID) -> Sequence[CustomRole]:
        return await self.all(self.readable(org_id).order_by(func.lower(CustomRole.name)))

    async def get_locked(
        self, org_id: uuid.UUID, role_id: uuid.UUID, *, share: bool = False
    ) -> CustomRole | None:
        """The role, locked for this transaction: FOR UPDATE to edit or delete it, FOR SHARE to hand it out
        (so a delete and an assignment of one role never both succeed)."""
        statement = self.readable(org_id).where(CustomRole.id == role_id)
        statement = statement.with_for_update(read=share).execution_options(populate_existing=True)
        return await self.one_or_none(statement)

    async def find_by_name(self, org_id: uuid.UUID, name: str) -> CustomRole | None:
        """The role named `name` whatever its case, locked FOR SHARE (it is about to be handed out)."""
        return await self.one_or_none(
            self.readable(org_id)
            .where(func.lower(CustomRole.name) == name.lower())
            .with_for_update(read=True)
            .execution_options(populate_existing=True)
        )

    async def name_taken(self, org_id: uuid.UUID, name: str, *, exclude: uuid.UUID | None = None) -> bool:
        statement = self.readable(org_id).where(func.lower(CustomRole.name) == name.lower())
        if exclude is not None:
            statement = statement.where(CustomRole.id != exclude)
        return await self.one_or_none(statement) is not None

    async def count_in_org(self, org_id: uuid.UUID) -> int:
        """How many roles the org has, under a per-org lock held to the end of the transaction, so two
        concurrent creations cannot both pass the cap."""
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"custom_roles:{org_id}"},
        )
        count = await self.one_or_none(
            select(func.count()).select_from(CustomRole).where(CustomRole.org_id == org_id)
        )
        return int(count or 0)

    async def holders(self, org_id: uuid.UUID, role_id: uuid.UUID, *, now: datetime) -> dict[str, int]:
        """Who still holds the role: members, invitations that can still be accepted, usable API keys."""

        async def count(model: type[OrgMembership | Invitation | APIKey], *conditions: object) -> int:
            value = await self.one_or_none(
                select(func.count())
                .select_from(model)
                .where(model.org_id == org_id, model.custom_role_id == role_id, *conditions)  # type: ignore[arg-type]
            )
            return int(value or 0)

        return {
            "members": await count(OrgMembership),
            "invitations": await count(
                Invitation,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > now,
            ),
            "api_keys": await count(
                APIKey, APIKey.revoked_at.is_(None), or_(APIKey.expires_at.is_(None), APIKey.expires_at > now)
            ),
        }

    async def rename_holders(self, org_id: uuid.UUID, role_id: uuid.UUID, name: str) -> None:
        """Holders keep the role's name in their `role` column: rename it there too."""
        for model in (OrgMembership, Invitation, APIKey):
            await self.session.execute(
                update(model)
                .where(model.org_id == org_id, model.custom_role_id == role_id)
                .values(role=name)
                .execution_options(synchronize_session=False)
            )

    async def rescope_keys(self, org_id: uuid.UUID, role_id: uuid.UUID, permissions: list[str]) -> None:
        """Keys holding the role carry its permissions as their scopes."""
        await self.session.execute(
            update(APIKey)
            .where(APIKey.org_id == org_id, APIKey.custom_role_id == role_id)
            # Re-scoping is not the key's owner editing it: keep updated_at.
            .values(scopes=permissions, updated_at=APIKey.updated_at)
            .execution_options(synchronize_session=False)
        )
