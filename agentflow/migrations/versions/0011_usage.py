"""Daily usage rollup (usage_daily) and the days rolled up (usage_rollup_days).

Revision ID: 0011_usage
Revises: 0010_integrations
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011_usage"
down_revision: str | None = "0010_integrations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "usage_daily",
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("agent_id", sa.Uuid(), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("succeeded", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("timed_out", sa.Integer(), nullable=False),
        sa.Column("finished", sa.Integer(), nullable=False),
        sa.Column("durations", sa.Integer(), nullable=False),
        sa.Column("duration_ms_total", sa.BigInteger(), nullable=False),
        sa.Column("duration_buckets", postgresql.ARRAY(sa.Integer()), nullable=False),
        sa.Column("tokens", sa.BigInteger(), nullable=False),
        sa.Column("tokens_in", sa.BigInteger(), nullable=False),
        sa.Column("tokens_out", sa.BigInteger(), nullable=False),
        sa.Column("cost_usd", sa.Numeric(precision=18, scale=8), nullable=False),
        _fk("usage_daily", "org_id", "organizations"),
        _fk("usage_daily", "agent_id", "agents"),
        sa.PrimaryKeyConstraint(
            "org_id", "day", "agent_id", "provider", "model", name=op.f("pk_usage_daily")
        ),
    )
    op.create_index("ix_usage_daily_agent_id", "usage_daily", ["agent_id"])
    op.create_table(
        "usage_rollup_days",
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("rolled_at", sa.DateTime(timezone=True), nullable=False),
        _fk("usage_rollup_days", "org_id", "organizations"),
        sa.PrimaryKeyConstraint("org_id", "day", name=op.f("pk_usage_rollup_days")),
    )


def downgrade() -> None:
    op.drop_table("usage_rollup_days")
    op.drop_index("ix_usage_daily_agent_id", table_name="usage_daily")
    op.drop_table("usage_daily")
