"""Daily usage rollup (usage_daily).

Revision ID: 0011_usage
Revises: 0010_integrations
"""

from collections.abc import Sequence

revision: str = "0011_usage"
down_revision: str | None = "0010_integrations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
