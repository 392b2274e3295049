"""Integration connections (credentials in Vault, never here) and OAuth authorizations in flight.

Revision ID: 0010_integrations
Revises: 0009_knowledge
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010_integrations"
down_revision: str | None = "0009_knowledge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "integration_connections",
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("auth_kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("scopes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("account", sa.String(length=200), nullable=True),
        sa.Column("config", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("token_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "connected_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("connected_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        _fk("integration_connections", "connected_by", "users", "SET NULL"),
        _fk("integration_connections", "org_id", "organizations", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_connections")),
        sa.UniqueConstraint(
            "org_id", "provider", "name", name=op.f("uq_integration_connections_org_id_provider_name")
        ),
    )
    op.create_index("ix_integration_connections_org_id", "integration_connections", ["org_id"])
    op.create_index("ix_integration_connections_connected_by", "integration_connections", ["connected_by"])

    op.create_table(
        "integration_oauth_states",
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("connection_name", sa.String(length=120), nullable=False),
        sa.Column("connection_id", sa.Uuid(), nullable=True),
        sa.Column("code_verifier", sa.String(length=128), nullable=True),
        sa.Column("config", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("redirect_to", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        _fk("integration_oauth_states", "org_id", "organizations", "CASCADE"),
        _fk("integration_oauth_states", "user_id", "users", "CASCADE"),
        sa.PrimaryKeyConstraint("state_hash", name=op.f("pk_integration_oauth_states")),
    )
    op.create_index("ix_integration_oauth_states_org_id", "integration_oauth_states", ["org_id"])
    op.create_index("ix_integration_oauth_states_user_id", "integration_oauth_states", ["user_id"])
    op.create_index("ix_integration_oauth_states_expires_at", "integration_oauth_states", ["expires_at"])


def downgrade() -> None:
    op.drop_table("integration_oauth_states")
    op.drop_table("integration_connections")
