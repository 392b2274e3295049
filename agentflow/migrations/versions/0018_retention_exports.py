"""(placeholder: filled in by the change that owns it).

Revision ID: 0018_retention_exports
Revises: 0017_rate_limits
"""

from collections.abc import Sequence

revision: str = "0018_retention_exports"
down_revision: str | None = "0017_rate_limits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
