"""Delivery ids of signed webhooks recently received, so a replayed one is refused."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Uuid, func
from sqlalchemy.orm import Mapped, mapped_column

from agentflow.kit.models import Base, utcnow


class WebhookDelivery(Base):
    """One row per timestamped delivery (a Standard Webhooks `webhook-id`, or a signature's `t` and `v1`);
    rows older than the replay window are purged by later deliveries to the same agent."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        # Also the purge's path: this agent's oldest rows.
        Index("ix_webhook_deliveries_org_id_agent_id_received_at", "org_id", "agent_id", "received_at"),
    )

    agent_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True
    )
    delivery_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    org_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, server_default=func.now()
    )
