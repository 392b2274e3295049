"""(placeholder: filled in by the change that owns it).

Revision ID: 0014_sso
Revises: 0013_notifications
"""

from collections.abc import Sequence

revision: str = "0014_sso"
down_revision: str | None = "0013_notifications"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
