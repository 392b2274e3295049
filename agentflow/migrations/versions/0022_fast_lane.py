"""The fast lane: `executions.lane` (`standard` or `fast`, from the version's `settings.execution_mode` when
the execution is recorded), the partial index the fast lane claims from, and one execution per flow run only
in the standard lane (a worker's fast-lane flow run holds many).

Revision ID: 0022_fast_lane
Revises: 0021_agent_access
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022_fast_lane"
down_revision: str | None = "0021_agent_access"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("executions", sa.Column("lane", sa.String(10), server_default="standard", nullable=False))
    op.create_check_constraint(op.f("ck_executions_lane"), "executions", "lane IN ('standard', 'fast')")
    op.drop_constraint(op.f("uq_executions_prefect_flow_run_id"), "executions", type_="unique")
    op.create_index(
        "uq_executions_prefect_flow_run_id",
        "executions",
        ["prefect_flow_run_id"],
        unique=True,
        postgresql_where=sa.text("lane = 'standard'"),
    )
    op.create_index(
        "ix_executions_fast_queue",
        "executions",
        ["created_at"],
        postgresql_where=sa.text("status = 'queued' AND lane = 'fast' AND prefect_flow_run_id IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_executions_fast_queue", table_name="executions")
    op.drop_index("uq_executions_prefect_flow_run_id", table_name="executions")
    op.create_unique_constraint(
        op.f("uq_executions_prefect_flow_run_id"), "executions", ["prefect_flow_run_id"]
    )
    op.drop_constraint(op.f("ck_executions_lane"), "executions", type_="check")
    op.drop_column("executions", "lane")
