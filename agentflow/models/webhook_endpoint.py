"""Outbound webhooks: an organization's endpoints and the deliveries queued for them (the outbox).

A delivery row is inserted in the transaction of the change it reports (an execution's end, a publish), so a
rolled-back change sends nothing and a committed one is never lost: the delivery flow sends it after the
commit, retrying on the Standard Webhooks schedule. The endpoint's signing secret lives in Vault only.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, Uuid, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from agentflow.kit.models import TenantModel


class DeliveryStatus(StrEnum):
    pending = "pending"  # waiting for its next attempt (`next_retry_at`)
    succeeded = "succeeded"  # the endpoint answered 2xx
    failed = "failed"  # every attempt of the schedule failed (or the endpoint was disabled or deleted)


class WebhookEndpoint(TenantModel):
    __tablename__ = "webhook_endpoints"

    url: Mapped[str] = mapped_column(String(2048), nullable=False)
    events: Mapped[list[str]] = mapped_column(ARRAY(String(64)), nullable=False)
    description: Mapped[str] = mapped_column(String(500), nullable=False, default="", server_default="")
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True, server_default="true")
    # Why the platform disabled it (failing for days); cleared when someone enables it again.
    disabled_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # Since when every attempt has failed (NULL after any success): the clock of the automatic disable.
    failing_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )


class OutboundWebhookDelivery(TenantModel):
    """One message to one endpoint and its attempts so far. (`webhook_deliveries` is taken: it keeps the
    ids of signed webhooks AgentFlow *received*, for replay refusal.)"""

    __tablename__ = "webhook_outbound_deliveries"
    __table_args__ = (
        # The delivery flow's queue: due pending rows, oldest due first.
        Index(
            "ix_webhook_outbound_deliveries_next_retry_at",
            "next_retry_at",
            postgresql_where=text("status = 'pending'"),
        ),
        # An endpoint's delivery log, newest first (and the endpoint foreign key).
        Index("ix_webhook_outbound_deliveries_endpoint_id_created_at_id", "endpoint_id", "created_at", "id"),
    )

    endpoint_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), nullable=False
    )
    # The message a redelivery sends again (its `webhook-id` stays the original's); NULL for an original.
    message_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    event: Mapped[str] = mapped_column(String(64), nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    status: Mapped[str] = mapped_column(
        String(20), nullable=False, default=DeliveryStatus.pending.value, server_default="pending"
    )
    attempt: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    response_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    latency_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    next_retry_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
