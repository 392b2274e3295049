"""The audit log: one append-only row per mutation an org's members or keys made through the API."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, String, Uuid, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from agentflow.kit.models import Base, utcnow


class ActorType(StrEnum):
    user = "user"
    api_key = "api_key"
    system = "system"


class AuditLog(Base):
    """Never updated or deleted: a trigger (migration 0016) refuses both, except the cascade of deleting
    the organization itself. No `updated_at` on purpose, and no foreign key on the actor: an entry outlives
    the user or key that made it."""

    __tablename__ = "audit_logs"
    # The cursor walks (created_at, id) newest first inside one org; Postgres scans this ascending index
    # backwards for it, and its leading column indexes the foreign key.
    __table_args__ = (Index("ix_audit_logs_org_id_created_at_id", "org_id", "created_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    org_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    actor_type: Mapped[str] = mapped_column(String(16), nullable=False)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    actor_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    action: Mapped[str] = mapped_column(String(80), nullable=False)
    resource_type: Mapped[str | None] = mapped_column(String(60), nullable=True)
    resource_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(512), nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, server_default=func.now()
    )
