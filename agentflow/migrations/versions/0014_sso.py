"""SSO through WorkOS: per-org connections and their email domains, directory-sync links (directory users to
users, directory groups to teams), and how each refresh-token family was signed in (password or SSO).

Authentication (agentflow/auth/subject.py) reads none of these: sign-in and refresh read them directly, so
no auth-changed trigger is needed.

Revision ID: 0014_sso
Revises: 0013_notifications
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0014_sso"
down_revision: str | None = "0013_notifications"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _record_columns(table: str) -> list[Any]:
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name=f"fk_{table}_org_id_organizations", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
    ]


def upgrade() -> None:
    op.create_table(
        "sso_connections",
        sa.Column("workos_organization_id", sa.String(length=100), nullable=False),
        sa.Column("enforce", sa.Boolean(), nullable=False),
        sa.Column("default_role", sa.String(length=20), nullable=False),
        *_record_columns("sso_connections"),
        sa.UniqueConstraint("org_id", name="uq_sso_connections_org_id"),
        sa.UniqueConstraint("workos_organization_id", name="uq_sso_connections_workos_organization_id"),
    )
    op.create_index("ix_sso_connections_org_id", "sso_connections", ["org_id"])

    op.create_table(
        "sso_domains",
        sa.Column("domain", sa.String(length=253), nullable=False),
        *_record_columns("sso_domains"),
        sa.UniqueConstraint("domain", name="uq_sso_domains_domain"),
    )
    op.create_index("ix_sso_domains_org_id", "sso_domains", ["org_id"])

    op.create_table(
        "directory_users",
        sa.Column("directory_user_id", sa.String(length=100), nullable=False),
        sa.Column("directory_id", sa.String(length=100), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("last_event_at", sa.DateTime(timezone=True), nullable=False),
        *_record_columns("directory_users"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_directory_users_user_id_users", ondelete="CASCADE"
        ),
        sa.UniqueConstraint(
            "org_id", "directory_user_id", name="uq_directory_users_org_id_directory_user_id"
        ),
    )
    op.create_index("ix_directory_users_org_id", "directory_users", ["org_id"])
    op.create_index("ix_directory_users_user_id", "directory_users", ["user_id"])

    op.create_table(
        "directory_groups",
        sa.Column("directory_group_id", sa.String(length=100), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        *_record_columns("directory_groups"),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name="fk_directory_groups_team_id_teams", ondelete="CASCADE"
        ),
        sa.UniqueConstraint(
            "org_id", "directory_group_id", name="uq_directory_groups_org_id_directory_group_id"
        ),
    )
    op.create_index("ix_directory_groups_org_id", "directory_groups", ["org_id"])
    op.create_index("ix_directory_groups_team_id", "directory_groups", ["team_id"])

    op.add_column(
        "refresh_tokens",
        sa.Column("auth_method", sa.String(length=20), server_default="password", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("refresh_tokens", "auth_method")
    op.drop_table("directory_groups")
    op.drop_table("directory_users")
    op.drop_table("sso_domains")
    op.drop_table("sso_connections")
