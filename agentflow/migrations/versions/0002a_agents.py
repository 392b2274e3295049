"""Agents: drafts with metadata, frozen published versions, templates.

Revision ID: 0002_agents
Revises: 0001
Create Date: 2026-11-24 20:50:43.216245
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002_agents"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agent_templates",
        sa.Column("org_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("category", sa.String(length=60), server_default="", nullable=False),
        sa.Column("tags", sa.ARRAY(sa.String(length=50)), server_default="{}", nullable=False),
        sa.Column("definition", postgresql.JSON(astext_type=sa.Text()), nullable=False),
        sa.Column("install_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_agent_templates_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_agent_templates_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_templates")),
    )
    op.create_index("ix_agent_templates_category", "agent_templates", ["category"], unique=False)
    op.create_index(op.f("ix_agent_templates_created_by"), "agent_templates", ["created_by"], unique=False)
    op.create_index(op.f("ix_agent_templates_org_id"), "agent_templates", ["org_id"], unique=False)
    op.create_table(
        "agents",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("status", sa.String(length=20), server_default="draft", nullable=False),
        sa.Column("trigger_type", sa.String(length=40), nullable=True),
        sa.Column("draft_definition", postgresql.JSON(astext_type=sa.Text()), nullable=False),
        sa.Column("draft_revision", sa.Integer(), server_default="1", nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=True),
        sa.Column("team_id", sa.Uuid(), nullable=True),
        sa.Column("tags", sa.ARRAY(sa.String(length=50)), server_default="{}", nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'active', 'paused', 'archived')", name=op.f("ck_agents_status")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_agents_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name=op.f("fk_agents_org_id_organizations"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_agents_team_id_teams"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_agents_updated_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agents")),
    )
    op.create_index(op.f("ix_agents_created_by"), "agents", ["created_by"], unique=False)
    op.create_index(op.f("ix_agents_org_id"), "agents", ["org_id"], unique=False)
    op.create_index("ix_agents_org_id_created_at_id", "agents", ["org_id", "created_at", "id"], unique=False)
    op.create_index(
        "ix_agents_org_id_lower_name", "agents", ["org_id", sa.literal_column("lower(name)")], unique=False
    )
    op.create_index("ix_agents_org_id_status", "agents", ["org_id", "status"], unique=False)
    op.create_index("ix_agents_org_id_trigger_type", "agents", ["org_id", "trigger_type"], unique=False)
    op.create_index("ix_agents_tags", "agents", ["tags"], unique=False, postgresql_using="gin")
    op.create_index(op.f("ix_agents_team_id"), "agents", ["team_id"], unique=False)
    op.create_index(op.f("ix_agents_updated_by"), "agents", ["updated_by"], unique=False)
    op.create_table(
        "agent_versions",
        sa.Column("agent_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("definition", postgresql.JSON(astext_type=sa.Text()), nullable=False),
        sa.Column("message", sa.Text(), server_default="", nullable=False),
        sa.Column("published_by", sa.Uuid(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_agent_versions_agent_id_agents"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_agent_versions_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["published_by"],
            ["users.id"],
            name=op.f("fk_agent_versions_published_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_versions")),
        sa.UniqueConstraint("agent_id", "number", name=op.f("uq_agent_versions_agent_id_number")),
    )
    op.create_index(op.f("ix_agent_versions_org_id"), "agent_versions", ["org_id"], unique=False)
    op.create_index(op.f("ix_agent_versions_published_by"), "agent_versions", ["published_by"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_agent_versions_published_by"), table_name="agent_versions")
    op.drop_index(op.f("ix_agent_versions_org_id"), table_name="agent_versions")
    op.drop_table("agent_versions")
    op.drop_index(op.f("ix_agents_updated_by"), table_name="agents")
    op.drop_index(op.f("ix_agents_team_id"), table_name="agents")
    op.drop_index("ix_agents_tags", table_name="agents", postgresql_using="gin")
    op.drop_index("ix_agents_org_id_trigger_type", table_name="agents")
    op.drop_index("ix_agents_org_id_status", table_name="agents")
    op.drop_index("ix_agents_org_id_lower_name", table_name="agents")
    op.drop_index("ix_agents_org_id_created_at_id", table_name="agents")
    op.drop_index(op.f("ix_agents_org_id"), table_name="agents")
    op.drop_index(op.f("ix_agents_created_by"), table_name="agents")
    op.drop_table("agents")
    op.drop_index(op.f("ix_agent_templates_org_id"), table_name="agent_templates")
    op.drop_index(op.f("ix_agent_templates_created_by"), table_name="agent_templates")
    op.drop_index("ix_agent_templates_category", table_name="agent_templates")
    op.drop_table("agent_templates")
