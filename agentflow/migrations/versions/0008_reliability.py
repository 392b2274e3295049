"""Reliability sweeps: when an execution's Vault checkpoints were removed by the retention sweep (a retry is
refused after that), and partial indexes for the sweepers' periodic scans (unfinished executions; steps whose
output is checkpointed in Vault).

Revision ID: 0008_reliability
Revises: 0007_step_error_kind
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_reliability"
down_revision: str | None = "0007_step_error_kind"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("executions", sa.Column("checkpoints_purged_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_executions_unfinished",
        "executions",
        ["updated_at", "id"],
        unique=False,
        postgresql_where=sa.text("status IN ('queued', 'running', 'paused')"),
    )
    op.create_index(
        "ix_execution_steps_in_vault",
        "execution_steps",
        ["execution_id"],
        unique=False,
        postgresql_where=sa.text("output_in_vault"),
    )


def downgrade() -> None:
    op.drop_index("ix_execution_steps_in_vault", table_name="execution_steps")
    op.drop_index("ix_executions_unfinished", table_name="executions")
    op.drop_column("executions", "checkpoints_purged_at")
