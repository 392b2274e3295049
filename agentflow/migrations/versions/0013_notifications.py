"""Notifications and per-user notification preferences.

Revision ID: 0013_notifications
Revises: 0012_billing
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013_notifications"
down_revision: str | None = "0012_billing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _membership_fk(table: str) -> sa.ForeignKeyConstraint:
    # A member who leaves the organization takes their notifications and preferences of it along.
    return sa.ForeignKeyConstraint(
        ["org_id", "user_id"],
        ["org_memberships.org_id", "org_memberships.user_id"],
        name=f"fk_{table}_org_id_org_memberships",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=500), nullable=True),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("email_status", sa.String(length=20), server_default="none", nullable=False),
        sa.Column("email_attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("email_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_notifications_org_id_organizations"),
            ondelete="CASCADE",
        ),
        _membership_fk("notifications"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint(
            "org_id", "user_id", "dedupe_key", name=op.f("uq_notifications_org_id_user_id_dedupe_key")
        ),
    )
    op.create_index("ix_notifications_org_id", "notifications", ["org_id"])
    op.create_index(
        "ix_notifications_org_id_user_id_created_at_id",
        "notifications",
        ["org_id", "user_id", "created_at", "id"],
    )
    op.create_index(
        "ix_notifications_email_due_at",
        "notifications",
        ["email_due_at"],
        postgresql_where=sa.text("email_status = 'pending'"),
    )

    op.create_table(
        "notification_preferences",
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column(
            "email",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        _membership_fk("notification_preferences"),
        sa.PrimaryKeyConstraint("org_id", "user_id", name=op.f("pk_notification_preferences")),
    )


def downgrade() -> None:
    op.drop_table("notification_preferences")
    op.drop_table("notifications")
