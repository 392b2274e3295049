"""Retention and data exports: when an org's new (or shorter) retention may first purge, and the exports
table (one file of an org's executions or audit log, downloaded through a link that expires).

Revision ID: 0018_retention_exports
Revises: 0017_rate_limits
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_retention_exports"
down_revision: str | None = "0017_rate_limits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "organizations", sa.Column("retention_purge_from", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_table(
        "exports",
        sa.Column("requested_by", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("range_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("range_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("file_key", sa.String(length=300), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("flow_run_id", sa.Uuid(), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("kind IN ('executions', 'audit_logs')", name=op.f("ck_exports_kind")),
        sa.CheckConstraint("format IN ('csv', 'json')", name=op.f("ck_exports_format")),
        sa.CheckConstraint(
            "status IN ('pending', 'running', 'succeeded', 'failed')", name=op.f("ck_exports_status")
        ),
        sa.CheckConstraint("range_end > range_start", name=op.f("ck_exports_range")),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name=op.f("fk_exports_org_id_organizations"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["users.id"], name=op.f("fk_exports_requested_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exports")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_exports_token_hash")),
    )
    op.create_index("ix_exports_org_id", "exports", ["org_id"])
    op.create_index("ix_exports_requested_by", "exports", ["requested_by"])
    op.create_index("ix_exports_org_id_created_at_id", "exports", ["org_id", "created_at", "id"])
    op.create_index(
        "ix_exports_unfinished",
        "exports",
        ["updated_at"],
        postgresql_where=sa.text("status IN ('pending', 'running')"),
    )


def downgrade() -> None:
    op.drop_table("exports")
    op.drop_column("organizations", "retention_purge_from")
