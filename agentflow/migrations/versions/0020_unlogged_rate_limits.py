"""Rate-limit counters in an UNLOGGED table: a counter write then waits for no WAL flush (the fsync was
most of what counting cost a request), and a crash only forgets the current minute's counts.

Revision ID: 0020_unlogged_rate_limits
Revises: 0019_outbound_webhooks
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020_unlogged_rate_limits"
down_revision: str | None = "0019_outbound_webhooks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE rate_limit_counters SET UNLOGGED")


def downgrade() -> None:
    op.execute("ALTER TABLE rate_limit_counters SET LOGGED")
