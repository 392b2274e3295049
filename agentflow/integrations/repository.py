"""Every query on integration connections and OAuth states."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.kit.models import utcnow
from agentflow.kit.repository import TenantRepository
from agentflow.models import ConnectionStatus, IntegrationConnection, IntegrationOAuthState


class ConnectionRepository(TenantRepository[IntegrationConnection]):
    model = IntegrationConnection

    async def list_in_org(self, org_id: uuid.UUID) -> Sequence[IntegrationConnection]:
        return await self.all(
            self.readable(org_id).order_by(
                IntegrationConnection.provider, IntegrationConnection.name, IntegrationConnection.id
            )
        )

    async def get_for_update(
        self, org_id: uuid.UUID, connection_id: uuid.UUID
    ) -> IntegrationConnection | None:
        return await self.one_or_none(
            self.readable(org_id).where(IntegrationConnection.id == connection_id).with_for_update()
        )

    async def active_of_provider(self, org_id: uuid.UUID, provider: str) -> Sequence[IntegrationConnection]:
        return await self.all(
            self.readable(org_id).where(
                IntegrationConnection.provider == provider,
                IntegrationConnection.status == ConnectionStatus.active.value,
            )
        )

    async def named(self, org_id: uuid.UUID, provider: str, name: str) -> IntegrationConnection | None:
        return await self.one_or_none(
            self.readable(org_id).where(
                IntegrationConnection.provider == provider, IntegrationConnection.name == name
            )
        )

    async def in_org(
        self, org_id: uuid.UUID, ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, IntegrationConnection]:
        rows = await self.all(self.readable(org_id).where(IntegrationConnection.id.in_(ids)))
        return {row.id: row for row in rows}


class OAuthStateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: IntegrationOAuthState) -> None:
        self.session.add(row)
        await self.session.flush()

    async def consume(self, state_hash: str) -> IntegrationOAuthState | None:
        """The state, deleted by the same statement, so a second use finds nothing (the caller checks its
        expiry). Other expired states are swept on the way."""
        row = (
            await self.session.execute(
                delete(IntegrationOAuthState)
                .where(IntegrationOAuthState.state_hash == state_hash)
                .returning(IntegrationOAuthState)
            )
        ).scalar_one_or_none()
        await self.session.execute(
            delete(IntegrationOAuthState).where(IntegrationOAuthState.expires_at < utcnow())
        )
        return row
