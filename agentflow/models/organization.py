"""Organizations (the tenant), memberships with a role, and pending invitations."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, String, UniqueConstraint, Uuid
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agentflow.kit.models import RecordModel, TenantModel
from agentflow.models.user import User


class Organization(RecordModel):
    __tablename__ = "organizations"

    slug: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    settings: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict, server_default="{}")
    plan: Mapped[str] = mapped_column(String(40), nullable=False, default="free", server_default="free")
    # Fixed at creation (docs/residency.md): where the org's data lives.
    data_region: Mapped[str] = mapped_column(String(20), nullable=False, default="us", server_default="us")
    # When a new or shorter `settings.retention_days` was saved, its first purge is held until this time
    # (a week later), and the owners are told so at once (agentflow/retention/policy.py).
    retention_purge_from: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class OrgMembership(TenantModel):
    __tablename__ = "org_memberships"
    __table_args__ = (UniqueConstraint("org_id", "user_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    # A built-in role's name, or the name of the custom role `custom_role_id` points at.
    role: Mapped[str] = mapped_column(String(64), nullable=False)
    # A role still held cannot be deleted (the roles service answers 409 first; RESTRICT is the backstop).
    custom_role_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("custom_roles.id", ondelete="RESTRICT"), nullable=True, index=True
    )

    user: Mapped[User] = relationship(lazy="raise")
    organization: Mapped[Organization] = relationship(lazy="raise")


class Invitation(TenantModel):
    __tablename__ = "invitations"

    email: Mapped[str] = mapped_column(String(320), nullable=False, index=True)
    role: Mapped[str] = mapped_column(String(64), nullable=False)
    # Open invitations keep their custom role from being deleted (roles service); closed ones let go.
    custom_role_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("custom_roles.id", ondelete="SET NULL"), nullable=True, index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    invited_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    accepted_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    organization: Mapped[Organization] = relationship(lazy="raise")
