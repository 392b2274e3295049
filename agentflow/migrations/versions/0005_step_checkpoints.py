"""Steps keep what a resumed or retried run needs to reuse them: the branch handles taken, and whether the
unmasked output (it contained a secret value) was checkpointed in Vault instead of Postgres.

Revision ID: 0005_step_checkpoints
Revises: 0004_auth_notify
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005_step_checkpoints"
down_revision: str | None = "0004_auth_notify"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "execution_steps", sa.Column("handles", postgresql.JSONB(astext_type=sa.Text()), nullable=True)
    )
    op.add_column(
        "execution_steps",
        sa.Column("output_in_vault", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    # Steps completed before this revision: their handles are in their `step.completed` event. (An output
    # that held a secret was masked in the row and is not recoverable from it; such a step of a run paused
    # across the upgrade resumes with the masked value.)
    op.execute(
        """
        UPDATE execution_steps s SET handles = (
            SELECT e.data -> 'handles' FROM execution_events e
            WHERE e.execution_id = s.execution_id AND e.step_key = s.step_key AND e.type = 'step.completed'
            ORDER BY e.id DESC LIMIT 1
        )
        WHERE s.status = 'completed'
        """
    )


def downgrade() -> None:
    op.drop_column("execution_steps", "output_in_vault")
    op.drop_column("execution_steps", "handles")
