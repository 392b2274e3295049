"""`executions.test_options`: a test run's choice per side-effecting node (preview, a sample response, or
really send), read by the worker when the node runs.

Revision ID: 0023_test_run_options
Revises: 0022_fast_lane
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0023_test_run_options"
down_revision: str | None = "0022_fast_lane"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("executions", sa.Column("test_options", postgresql.JSONB(), nullable=True))


def downgrade() -> None:
    op.drop_column("executions", "test_options")
