"""Notifications and per-user notification preferences.

Revision ID: 0013_notifications
Revises: 0012_billing
"""

from collections.abc import Sequence

revision: str = "0013_notifications"
down_revision: str | None = "0012_billing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
