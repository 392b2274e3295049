"""Billing: Stripe customers and subscriptions, processed Stripe events, meter event reports.

Revision ID: 0012_billing
Revises: 0011_usage
"""

from collections.abc import Sequence

revision: str = "0012_billing"
down_revision: str | None = "0011_usage"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
