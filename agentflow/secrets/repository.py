"""Queries on org secret metadata."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select
from sqlalchemy.dialects.postgresql import insert

from agentflow.kit.pagination import Page
from agentflow.kit.repository import TenantRepository
from agentflow.models import OrgSecret
from agentflow.secrets.paths import SecretKind


class SecretRepository(TenantRepository[OrgSecret]):
    model = OrgSecret

    def readable_kind(self, org_id: uuid.UUID, kind: SecretKind) -> Select[OrgSecret]:
        return self.readable(org_id).where(OrgSecret.kind == kind.value)

    async def get_by_name(
        self, org_id: uuid.UUID, kind: SecretKind, name: str, *, for_update: bool = False
    ) -> OrgSecret | None:
        statement = self.readable_kind(org_id, kind).where(OrgSecret.name == name)
        return await self.one_or_none(statement.with_for_update() if for_update else statement)

    async def insert_if_absent(self, values: dict[str, Any]) -> OrgSecret | None:
        """Insert unless (org, kind, name) exists — also under a concurrent insert; None when it exists."""
        new_id = (
            await self.session.execute(
                insert(OrgSecret)
                .values(**values)
                .on_conflict_do_nothing(index_elements=["org_id", "kind", "name"])
                .returning(OrgSecret.id)
            )
        ).scalar_one_or_none()
        return None if new_id is None else await self.get(new_id)

    async def page_kind(
        self, org_id: uuid.UUID, kind: SecretKind, *, cursor: str | None, limit: int
    ) -> Page[OrgSecret]:
        return await self.page(self.readable_kind(org_id, kind), cursor=cursor, limit=limit)

    async def all_of_kind(self, org_id: uuid.UUID, kind: SecretKind) -> Sequence[OrgSecret]:
        return await self.all(self.readable_kind(org_id, kind).order_by(OrgSecret.name))
