"""(placeholder: filled in by the change that owns it).

Revision ID: 0019_outbound_webhooks
Revises: 0018_retention_exports
"""

from collections.abc import Sequence

revision: str = "0019_outbound_webhooks"
down_revision: str | None = "0018_retention_exports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
