"""SSO through WorkOS: an org's connection settings, the email domains it signs in, and the directory-sync
links (directory users to AgentFlow users, directory groups to teams) that deprovisioning follows."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from agentflow.kit.models import TenantModel


class SSOConnection(TenantModel):
    """One per org: the WorkOS organization whose connection signs its members in."""

    __tablename__ = "sso_connections"
    __table_args__ = (UniqueConstraint("org_id"), UniqueConstraint("workos_organization_id"))

    # Unique: a WorkOS organization (its IdP, its directory) speaks for one AgentFlow org only.
    workos_organization_id: Mapped[str] = mapped_column(String(100), nullable=False)
    # Password sign-in and password invitations refused for members who are not owners.
    enforce: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # The role of a member provisioned by a first SSO sign-in or by directory sync.
    default_role: Mapped[str] = mapped_column(String(20), nullable=False, default="viewer")


class SSODomain(TenantModel):
    """An email domain the org's IdP may sign in (verified at WorkOS); globally unique, so `?email=` finds
    one org."""

    __tablename__ = "sso_domains"

    domain: Mapped[str] = mapped_column(String(253), unique=True, nullable=False)


class DirectoryUser(TenantModel):
    """A WorkOS directory user provisioned as a member: how a later update or deletion finds them."""

    __tablename__ = "directory_users"
    __table_args__ = (UniqueConstraint("org_id", "directory_user_id"),)

    directory_user_id: Mapped[str] = mapped_column(String(100), nullable=False)
    directory_id: Mapped[str] = mapped_column(String(100), nullable=False)
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    # WorkOS may deliver events out of order: an event older than the last applied one is ignored.
    last_event_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class DirectoryGroup(TenantModel):
    """A WorkOS directory group and the team it fills (matched by name when first seen)."""

    __tablename__ = "directory_groups"
    __table_args__ = (UniqueConstraint("org_id", "directory_group_id"),)

    directory_group_id: Mapped[str] = mapped_column(String(100), nullable=False)
    team_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("teams.id", ondelete="CASCADE"), nullable=False, index=True
    )
