"""Queries on webhook endpoints and their deliveries (the delivery flow's own SQL is in delivery.py)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, text

from agentflow.kit.pagination import Page, make_page, paginate_statement
from agentflow.kit.repository import TenantRepository
from agentflow.models import OutboundWebhookDelivery, WebhookEndpoint

_NOTIFY = text("SELECT pg_notify('agentflow_webhooks', '')")


class WebhookEndpointRepository(TenantRepository[WebhookEndpoint]):
    model = WebhookEndpoint

    async def count(self, org_id: uuid.UUID) -> int:
        stmt = select(func.count()).select_from(WebhookEndpoint).where(WebhookEndpoint.org_id == org_id)
        return int((await self.session.execute(stmt)).scalar_one())

    async def subscribed(self, org_id: uuid.UUID, event: str) -> Sequence[WebhookEndpoint]:
        return await self.all(
            self.readable(org_id).where(WebhookEndpoint.enabled, WebhookEndpoint.events.contains([event]))
        )

    async def lock(self, org_id: uuid.UUID, row_id: uuid.UUID) -> WebhookEndpoint | None:
        return await self.one_or_none(
            self.readable(org_id).where(WebhookEndpoint.id == row_id).with_for_update()
        )


class WebhookDeliveryRepository(TenantRepository[OutboundWebhookDelivery]):
    model = OutboundWebhookDelivery

    async def of_endpoint(
        self, org_id: uuid.UUID, endpoint_id: uuid.UUID, *, cursor: str | None, limit: int
    ) -> Page[OutboundWebhookDelivery]:
        stmt = paginate_statement(
            self.readable(org_id).where(OutboundWebhookDelivery.endpoint_id == endpoint_id),
            created_at=OutboundWebhookDelivery.created_at,
            row_id=OutboundWebhookDelivery.id,
            cursor=cursor,
            limit=limit,
        )
        rows = (await self.session.execute(stmt)).scalars().all()
        return make_page(rows, limit, key=lambda r: (r.created_at, r.id))

    async def queue(self, rows: Sequence[dict[str, Any]]) -> list[OutboundWebhookDelivery]:
        """Insert pending deliveries in the caller's transaction and wake the delivery flow at its commit."""
        made = [OutboundWebhookDelivery(**row) for row in rows]
        if not made:
            return made
        self.session.add_all(made)
        await self.session.flush()
        await self.session.execute(_NOTIFY)
        return made
