"""(placeholder: filled in by the change that owns it).

Revision ID: 0015_custom_roles
Revises: 0014_sso
"""

from collections.abc import Sequence

revision: str = "0015_custom_roles"
down_revision: str | None = "0014_sso"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
