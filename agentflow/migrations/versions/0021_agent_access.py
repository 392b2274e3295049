"""Per-agent access: `agents.restricted`, the grants of a restricted agent to teams and users, and
`exports.all_agents` (whether an executions export may hold every agent's runs).

Nothing here is read by authentication (the rule is applied in each query, from team memberships and
grants as they are at that moment), so no auth NOTIFY trigger is needed.

Revision ID: 0021_agent_access
Revises: 0020_unlogged_rate_limits
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_agent_access"
down_revision: str | None = "0020_unlogged_rate_limits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "agents", sa.Column("restricted", sa.Boolean(), server_default=sa.text("false"), nullable=False)
    )
    op.create_table(
        "agent_grants",
        sa.Column("agent_id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=True),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("permissions", sa.ARRAY(sa.String(length=40)), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "(team_id IS NULL) <> (user_id IS NULL)", name=op.f("ck_agent_grants_one_subject")
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_agent_grants_agent_id_agents"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_agent_grants_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_agent_grants_team_id_teams"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_agent_grants_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_grants")),
        sa.UniqueConstraint("agent_id", "team_id", name=op.f("uq_agent_grants_agent_id_team_id")),
        sa.UniqueConstraint("agent_id", "user_id", name=op.f("uq_agent_grants_agent_id_user_id")),
    )
    op.create_index(op.f("ix_agent_grants_org_id"), "agent_grants", ["org_id"], unique=False)
    op.create_index(op.f("ix_agent_grants_team_id"), "agent_grants", ["team_id"], unique=False)
    op.create_index(op.f("ix_agent_grants_user_id"), "agent_grants", ["user_id"], unique=False)
    op.add_column(
        "exports", sa.Column("all_agents", sa.Boolean(), server_default=sa.text("true"), nullable=False)
    )


def downgrade() -> None:
    op.drop_column("exports", "all_agents")
    op.drop_table("agent_grants")
    op.drop_column("agents", "restricted")
