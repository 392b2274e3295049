"""(placeholder: filled in by the change that owns it).

Revision ID: 0017_rate_limits
Revises: 0016_audit
"""

from collections.abc import Sequence

revision: str = "0017_rate_limits"
down_revision: str | None = "0016_audit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
