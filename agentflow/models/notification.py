"""In-app notifications of one member of an organization, and that member's email choices.

Both rows hang off the membership (a composite foreign key with ON DELETE CASCADE): a member who leaves an
organization takes their notifications and preferences of it along. A notification row is also the email's
outbox entry (`email_status`): it is committed with the change that caused it, and mailed only after.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from agentflow.kit.models import Base, TenantModel, utcnow


class EmailStatus(StrEnum):
    none = "none"  # in-app only (the kind, or this threshold, sends no email)
    pending = "pending"  # to be mailed once `email_due_at` passes (after the commit; retried with backoff)
    sent = "sent"
    skipped = "skipped"  # the recipient turned this kind's email off, or their account is inactive
    failed = "failed"  # the SMTP server refused it every attempt


class Notification(TenantModel):
    __tablename__ = "notifications"
    __table_args__ = (
        # The same event never notifies the same member twice (a resumed or retried run, a replayed webhook).
        UniqueConstraint("org_id", "user_id", "dedupe_key"),
        ForeignKeyConstraint(
            ["org_id", "user_id"],
            ["org_memberships.org_id", "org_memberships.user_id"],
            name="fk_notifications_org_id_org_memberships",
            ondelete="CASCADE",
        ),
        # A member's list, newest first (read backwards), and the membership foreign key.
        Index("ix_notifications_org_id_user_id_created_at_id", "org_id", "user_id", "created_at", "id"),
        # The mail sweeper's queue.
        Index(
            "ix_notifications_email_due_at",
            "email_due_at",
            postgresql_where=text("email_status = 'pending'"),
        ),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    link: Mapped[str | None] = mapped_column(String(500), nullable=True)  # a UI path, e.g. /executions/<id>
    dedupe_key: Mapped[str] = mapped_column(String(200), nullable=False)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    email_status: Mapped[str] = mapped_column(
        String(20), nullable=False, default=EmailStatus.none.value, server_default=EmailStatus.none.value
    )
    email_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    email_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class NotificationPreference(Base):
    """Which kinds a member wants by email in this organization (`{kind: bool}`; a missing kind is on).

    Per membership, not per user: someone in two organizations may want one's billing mail and not the
    other's."""

    __tablename__ = "notification_preferences"
    __table_args__ = (
        ForeignKeyConstraint(
            ["org_id", "user_id"],
            ["org_memberships.org_id", "org_memberships.user_id"],
            name="fk_notification_preferences_org_id_org_memberships",
            ondelete="CASCADE",
        ),
    )

    org_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    email: Mapped[dict[str, bool]] = mapped_column(JSONB, nullable=False, default=dict, server_default="{}")
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow, server_default=func.now()
    )
