"""API keys: shown once, stored as a digest, listed by prefix, scoped to a subset of permissions."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ARRAY, DateTime, ForeignKey, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from agentflow.kit.models import TenantModel


class APIKey(TenantModel):
    __tablename__ = "api_keys"

    name: Mapped[str] = mapped_column(String(120), nullable=False)
    prefix: Mapped[str] = mapped_column(String(16), nullable=False)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(40)), nullable=False)
    # A key given a role: `role` is its name and `scopes` are its permissions, kept equal to a custom
    # role's current permissions by every edit of that role (agentflow/roles). None: scopes chosen freely.
    role: Mapped[str | None] = mapped_column(String(64), nullable=True)
    custom_role_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("custom_roles.id", ondelete="SET NULL"), nullable=True, index=True
    )
    created_by: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Requests per minute this key may make (on top of its org's limit); None: only the org's limit.
    rate_limit_per_minute: Mapped[int | None] = mapped_column(Integer, nullable=True)
