"""Org secrets: metadata and Vault references (values live in Vault, never in this table).

Revision ID: 0002_secrets
Revises: 0002_agents
Create Date: 2026-11-24 21:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_secrets"
down_revision: str | None = "0002_agents"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "org_secrets",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("vault_path", sa.String(length=512), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_org_secrets_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_org_secrets_updated_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_org_secrets_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_secrets")),
        sa.UniqueConstraint("org_id", "kind", "name", name=op.f("uq_org_secrets_org_id_kind_name")),
    )
    op.create_index(op.f("ix_org_secrets_created_by"), "org_secrets", ["created_by"], unique=False)
    op.create_index(op.f("ix_org_secrets_org_id"), "org_secrets", ["org_id"], unique=False)
    op.create_index(op.f("ix_org_secrets_updated_by"), "org_secrets", ["updated_by"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_org_secrets_updated_by"), table_name="org_secrets")
    op.drop_index(op.f("ix_org_secrets_org_id"), table_name="org_secrets")
    op.drop_index(op.f("ix_org_secrets_created_by"), table_name="org_secrets")
    op.drop_table("org_secrets")
