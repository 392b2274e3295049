"""(placeholder: filled in by the change that owns it).

Revision ID: 0016_audit
Revises: 0015_custom_roles
"""

from collections.abc import Sequence

revision: str = "0016_audit"
down_revision: str | None = "0015_custom_roles"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
