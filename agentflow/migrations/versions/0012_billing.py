"""Billing: Stripe customers and subscriptions, processed Stripe events, meter event reports.

Revision ID: 0012_billing
Revises: 0011_usage
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_billing"
down_revision: str | None = "0011_usage"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def _record_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "billing_accounts",
        sa.Column("stripe_customer_id", sa.String(length=255), nullable=True),
        sa.Column("stripe_subscription_id", sa.String(length=255), nullable=True),
        sa.Column("stripe_price_id", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=40), server_default="none", nullable=False),
        sa.Column("current_period_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("current_period_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_at_period_end", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("updated_from_event_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=True),
        *_record_columns(),
        _fk("billing_accounts", "org_id", "organizations", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_accounts")),
        sa.UniqueConstraint("org_id", name=op.f("uq_billing_accounts_org_id")),
        sa.UniqueConstraint("stripe_customer_id", name=op.f("uq_billing_accounts_stripe_customer_id")),
    )
    op.create_index("ix_billing_accounts_org_id", "billing_accounts", ["org_id"])
    op.create_index(
        "ix_billing_accounts_stripe_subscription_id", "billing_accounts", ["stripe_subscription_id"]
    )

    op.create_table(
        "stripe_events",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=True),
        sa.Column("stripe_created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "processed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        _fk("stripe_events", "org_id", "organizations", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_events")),
    )
    op.create_index("ix_stripe_events_org_id", "stripe_events", ["org_id"])

    op.create_table(
        "billing_meter_reports",
        sa.Column("execution_id", sa.Uuid(), nullable=False),
        sa.Column("stripe_customer_id", sa.String(length=255), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "next_attempt_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("abandoned_at", sa.DateTime(timezone=True), nullable=True),
        *_record_columns(),
        _fk("billing_meter_reports", "execution_id", "executions", "CASCADE"),
        _fk("billing_meter_reports", "org_id", "organizations", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_meter_reports")),
        sa.UniqueConstraint("execution_id", name=op.f("uq_billing_meter_reports_execution_id")),
    )
    op.create_index("ix_billing_meter_reports_org_id", "billing_meter_reports", ["org_id"])
    op.create_index(
        "ix_billing_meter_reports_pending",
        "billing_meter_reports",
        ["next_attempt_at"],
        postgresql_where=sa.text("reported_at IS NULL AND abandoned_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_table("billing_meter_reports")
    op.drop_table("stripe_events")
    op.drop_table("billing_accounts")
