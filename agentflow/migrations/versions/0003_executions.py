"""Executions, their steps, events and logs; webhook tokens and Prefect deployments on agents.

Revision ID: 0003_executions
Revises: 0002_secrets
Create Date: 2026-11-24 21:15:42.418501
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003_executions"
down_revision: str | None = "0002_secrets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "executions",
        sa.Column("agent_id", sa.Uuid(), nullable=False),
        sa.Column("version_id", sa.Uuid(), nullable=True),
        sa.Column("definition", postgresql.JSON(astext_type=sa.Text()), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("triggered_by", sa.String(length=20), nullable=False),
        sa.Column("triggered_by_user", sa.Uuid(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("input", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("output", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("failed_node", sa.String(length=200), nullable=True),
        sa.Column("waiting_for", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("total_tokens", sa.Integer(), server_default="0", nullable=False),
        sa.Column("total_cost_usd", sa.Numeric(precision=18, scale=8), server_default="0", nullable=False),
        sa.Column("attempt", sa.Integer(), server_default="1", nullable=False),
        sa.Column("prefect_flow_run_id", sa.Uuid(), nullable=True),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'paused', 'completed', 'failed', 'cancelled', 'timed_out')",
            name=op.f("ck_executions_status"),
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_executions_agent_id_agents"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_executions_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["triggered_by_user"],
            ["users.id"],
            name=op.f("fk_executions_triggered_by_user_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["agent_versions.id"],
            name=op.f("fk_executions_version_id_agent_versions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_executions")),
        sa.UniqueConstraint(
            "agent_id", "idempotency_key", name=op.f("uq_executions_agent_id_idempotency_key")
        ),
        sa.UniqueConstraint("prefect_flow_run_id", name=op.f("uq_executions_prefect_flow_run_id")),
    )
    op.create_index(op.f("ix_executions_org_id"), "executions", ["org_id"], unique=False)
    op.create_index(
        "ix_executions_org_id_agent_id_created_at",
        "executions",
        ["org_id", "agent_id", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_executions_org_id_created_at_id", "executions", ["org_id", "created_at", "id"], unique=False
    )
    op.create_index("ix_executions_org_id_status", "executions", ["org_id", "status"], unique=False)
    op.create_index(
        op.f("ix_executions_triggered_by_user"), "executions", ["triggered_by_user"], unique=False
    )
    op.create_index(op.f("ix_executions_version_id"), "executions", ["version_id"], unique=False)
    op.create_table(
        "execution_events",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("execution_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("node_id", sa.String(length=64), nullable=True),
        sa.Column("step_key", sa.String(length=300), nullable=True),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["executions.id"],
            name=op.f("fk_execution_events_execution_id_executions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_execution_events_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_execution_events")),
    )
    op.create_index(
        op.f("ix_execution_events_execution_id"), "execution_events", ["execution_id"], unique=False
    )
    op.create_index(op.f("ix_execution_events_org_id"), "execution_events", ["org_id"], unique=False)
    op.create_table(
        "execution_logs",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("execution_id", sa.Uuid(), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("node_id", sa.String(length=64), nullable=True),
        sa.Column("step_key", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["executions.id"],
            name=op.f("fk_execution_logs_execution_id_executions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_execution_logs_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_execution_logs")),
    )
    op.create_index(op.f("ix_execution_logs_execution_id"), "execution_logs", ["execution_id"], unique=False)
    op.create_index(op.f("ix_execution_logs_org_id"), "execution_logs", ["org_id"], unique=False)
    op.create_table(
        "execution_steps",
        sa.Column("execution_id", sa.Uuid(), nullable=False),
        sa.Column("step_key", sa.String(length=300), nullable=False),
        sa.Column("node_id", sa.String(length=64), nullable=False),
        sa.Column("node_type", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("input", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("output", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("tokens", sa.Integer(), server_default="0", nullable=False),
        sa.Column("cost_usd", sa.Numeric(precision=18, scale=8), server_default="0", nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["executions.id"],
            name=op.f("fk_execution_steps_execution_id_executions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_execution_steps_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_execution_steps")),
        sa.UniqueConstraint(
            "execution_id", "step_key", name=op.f("uq_execution_steps_execution_id_step_key")
        ),
    )
    op.create_index(
        op.f("ix_execution_steps_execution_id"), "execution_steps", ["execution_id"], unique=False
    )
    op.create_index(op.f("ix_execution_steps_org_id"), "execution_steps", ["org_id"], unique=False)
    op.add_column("agents", sa.Column("webhook_token", sa.String(length=64), nullable=True))
    op.add_column("agents", sa.Column("prefect_deployment_id", sa.Uuid(), nullable=True))
    op.create_unique_constraint(op.f("uq_agents_webhook_token"), "agents", ["webhook_token"])


def downgrade() -> None:
    op.drop_constraint(op.f("uq_agents_webhook_token"), "agents", type_="unique")
    op.drop_column("agents", "prefect_deployment_id")
    op.drop_column("agents", "webhook_token")
    op.drop_index(op.f("ix_execution_steps_org_id"), table_name="execution_steps")
    op.drop_index(op.f("ix_execution_steps_execution_id"), table_name="execution_steps")
    op.drop_table("execution_steps")
    op.drop_index(op.f("ix_execution_logs_org_id"), table_name="execution_logs")
    op.drop_index(op.f("ix_execution_logs_execution_id"), table_name="execution_logs")
    op.drop_table("execution_logs")
    op.drop_index(op.f("ix_execution_events_org_id"), table_name="execution_events")
    op.drop_index(op.f("ix_execution_events_execution_id"), table_name="execution_events")
    op.drop_table("execution_events")
    op.drop_index(op.f("ix_executions_version_id"), table_name="executions")
    op.drop_index(op.f("ix_executions_triggered_by_user"), table_name="executions")
    op.drop_index("ix_executions_org_id_status", table_name="executions")
    op.drop_index("ix_executions_org_id_created_at_id", table_name="executions")
    op.drop_index("ix_executions_org_id_agent_id_created_at", table_name="executions")
    op.drop_index(op.f("ix_executions_org_id"), table_name="executions")
    op.drop_table("executions")
