"""Rate limits and the IP allowlist: counters shared by API processes, a per-key limit, and a NOTIFY when an
org's settings change (the allowlist is read by authentication, through its cache).

Revision ID: 0017_rate_limits
Revises: 0016_audit
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_rate_limits"
down_revision: str | None = "0016_audit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_counters",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
    )
    op.add_column("api_keys", sa.Column("rate_limit_per_minute", sa.Integer(), nullable=True))
    # An org's settings (its IP allowlist) and plan (its request rate) are read by authentication.
    op.execute(
        "CREATE TRIGGER organizations_auth_changed AFTER UPDATE OF settings, plan OR DELETE ON organizations "
        "FOR EACH STATEMENT EXECUTE FUNCTION agentflow_auth_changed()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS organizations_auth_changed ON organizations")
    op.drop_column("api_keys", "rate_limit_per_minute")
    op.drop_table("rate_limit_counters")
