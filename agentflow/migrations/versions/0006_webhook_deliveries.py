"""Delivery ids of signed webhooks, kept for the replay window so a replayed delivery is refused.

Revision ID: 0006_webhook_deliveries
Revises: 0005_step_checkpoints
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_webhook_deliveries"
down_revision: str | None = "0005_step_checkpoints"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhook_deliveries",
        sa.Column("agent_id", sa.Uuid(), nullable=False),
        sa.Column("delivery_id", sa.String(length=256), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
            name=op.f("fk_webhook_deliveries_agent_id_agents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_webhook_deliveries_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("agent_id", "delivery_id", name=op.f("pk_webhook_deliveries")),
    )
    op.create_index(
        "ix_webhook_deliveries_org_id_agent_id_received_at",
        "webhook_deliveries",
        ["org_id", "agent_id", "received_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_webhook_deliveries_org_id_agent_id_received_at", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
