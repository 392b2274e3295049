"""Agents (a draft definition plus metadata), their published versions, and templates to start from.

Definitions are stored as `json`, not `jsonb`: `jsonb` re-orders object keys (by length, then bytes), which
would shuffle what users wrote inside configs (an `input_schema`'s properties, which are the order of the
run form; headers) and break the exact export → import → export round trip. Nothing queries inside a
definition; the engine and the API always read it whole and parse it with `agentflow.graph`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSON
from sqlalchemy.orm import Mapped, mapped_column

from agentflow.kit.models import RecordModel, TenantModel


class AgentStatus(StrEnum):
    draft = "draft"  # never published
    active = "active"  # published and running on its trigger
    paused = "paused"  # published, not running
    archived = "archived"  # soft-deleted: hidden from lists, read-only


class Agent(TenantModel):
    __tablename__ = "agents"
    __table_args__ = (
        CheckConstraint(
            "status IN ('draft', 'active', 'paused', 'archived')",
            name="status",
        ),
        # The list: newest first by (created_at, id) keyset within the org, filtered by these.
        Index("ix_agents_org_id_created_at_id", "org_id", "created_at", "id"),
        Index("ix_agents_org_id_status", "org_id", "status"),
        Index("ix_agents_org_id_trigger_type", "org_id", "trigger_type"),
        Index("ix_agents_org_id_lower_name", "org_id", func.lower(text("name"))),
        Index("ix_agents_tags", "tags", postgresql_using="gin"),
    )

    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="", server_default="")
    status: Mapped[str] = mapped_column(
        String(20), nullable=False, default=AgentStatus.draft, server_default=AgentStatus.draft
    )
    # The trigger kind of what runs: the current version's, or the draft's while nothing is published.
    trigger_type: Mapped[str | None] = mapped_column(String(40), nullable=True)
    draft_definition: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    # Bumped by every edit of the draft or the metadata; the ETag of GET /agents/{id}.
    draft_revision: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")
    current_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    team_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("teams.id", ondelete="SET NULL"), nullable=True, index=True
    )
    # Restricted: only the owning team, the agent's grants (agent_grants) and holders of
    # `agents:access_all` reach it (agentflow/agents/access.py); everyone else gets 404 as for another org's.
    restricted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default="false")
    tags: Mapped[list[str]] = mapped_column(
        ARRAY(String(50)), nullable=False, default=list, server_default="{}"
    )
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    updated_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The secret part of the agent's webhook URL (POST /api/v1/hooks/{token}); rotating it kills the old URL.
    webhook_token: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    # The Prefect deployment `run-agent/<agent id>` created on first publish.
    prefect_deployment_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)


class AgentVersion(TenantModel):
    """A published definition, frozen: rows are only ever inserted."""

    __tablename__ = "agent_versions"
    __table_args__ = (UniqueConstraint("agent_id", "number"),)

    agent_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("agents.id", ondelete="CASCADE"), nullable=False
    )
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False, default="", server_default="")
    published_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    # SHA-256 of the definition as canonical JSON (sorted keys, no spaces): "is this what runs already?"
    checksum: Mapped[str] = mapped_column(String(64), nullable=False)


class AgentTemplate(RecordModel):
    """A definition to start an agent from; `org_id` is null for the official templates everyone sees."""

    __tablename__ = "agent_templates"
    __table_args__ = (Index("ix_agent_templates_category", "category"),)

    org_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=True, index=True
    )
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="", server_default="")
    category: Mapped[str] = mapped_column(String(60), nullable=False, default="", server_default="")
    tags: Mapped[list[str]] = mapped_column(
        ARRAY(String(50)), nullable=False, default=list, server_default="{}"
    )
    definition: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    install_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )


class AgentGrant(TenantModel):
    """What one team or one user may do with a restricted agent (agents:read/write/publish/execute)."""

    __tablename__ = "agent_grants"
    __table_args__ = (
        CheckConstraint("(team_id IS NULL) <> (user_id IS NULL)", name="one_subject"),
        UniqueConstraint("agent_id", "team_id"),
        UniqueConstraint("agent_id", "user_id"),
    )

    agent_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("agents.id", ondelete="CASCADE"), nullable=False
    )
    team_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("teams.id", ondelete="CASCADE"), nullable=True, index=True
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True
    )
    permissions: Mapped[list[str]] = mapped_column(ARRAY(String(40)), nullable=False)
