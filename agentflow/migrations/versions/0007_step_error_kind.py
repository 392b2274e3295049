"""A failed step records what kind of failure it was (transient, permanent, cancelled, timed_out).

Revision ID: 0007_step_error_kind
Revises: 0006_webhook_deliveries
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_step_error_kind"
down_revision: str | None = "0006_webhook_deliveries"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("execution_steps", sa.Column("error_kind", sa.String(length=20), nullable=True))


def downgrade() -> None:
    op.drop_column("execution_steps", "error_kind")
