"""Connections of an organization to integrations, and the OAuth authorizations in flight.

A connection row holds what may be shown and searched: provider, name, status, scopes, the account it acts
as, non-secret settings. Its credentials (tokens, API keys) live in Vault only, at
`orgs/<org_id>/integration/<connection id>` (agentflow/integrations/credentials.py): there is no token column.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime, ForeignKey, String, Text, UniqueConstraint, Uuid, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from agentflow.kit.models import Base, TenantModel, utcnow


class ConnectionStatus(StrEnum):
    active = "active"
    needs_reauth = "needs_reauth"  # the provider refused the credentials, or a refresh failed: reconnect
    error = "error"  # the last test could not reach the provider or failed otherwise


class IntegrationConnection(TenantModel):
    __tablename__ = "integration_connections"
    __table_args__ = (UniqueConstraint("org_id", "provider", "name"),)

    provider: Mapped[str] = mapped_column(String(40), nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    auth_kind: Mapped[str] = mapped_column(String(20), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default=ConnectionStatus.active.value)
    scopes: Mapped[list[str]] = mapped_column(JSONB, nullable=False, default=list)
    account: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # Non-secret settings; custom APIs and MCP servers keep their `actions` here.
    config: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)  # masked before it is stored
    token_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    connected_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, server_default=func.now()
    )
    connected_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )


class IntegrationOAuthState(Base):
    """One authorization in flight. Only the hash of its `state` is kept; it is consumed by one
    `DELETE … RETURNING`, so a state works once, and only before `expires_at`."""

    __tablename__ = "integration_oauth_states"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    org_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    provider: Mapped[str] = mapped_column(String(40), nullable=False)
    connection_name: Mapped[str] = mapped_column(String(120), nullable=False)
    # A reconnect (needs_reauth) updates this connection instead of making a new one.
    connection_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    code_verifier: Mapped[str | None] = mapped_column(String(128), nullable=True)  # PKCE
    # The connection's non-secret settings, checked at connect, kept on it once the code is exchanged.
    config: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    redirect_to: Mapped[str] = mapped_column(String(300), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, server_default=func.now()
    )
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, index=True)
