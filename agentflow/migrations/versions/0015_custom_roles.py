"""Custom roles: an org's own named permission sets, held by members, invitations and API keys.

`role` columns widen to hold a custom role's name (≤ 64); `custom_role_id` says which role it is.
Authentication reads a custom role's permissions, so edits to them NOTIFY `agentflow_auth` (migration 0004),
and the memberships trigger now also watches `custom_role_id`.

Revision ID: 0015_custom_roles
Revises: 0014_sso
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_custom_roles"
down_revision: str | None = "0014_sso"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_HOLDERS = (("org_memberships", "RESTRICT"), ("invitations", "SET NULL"), ("api_keys", "SET NULL"))


def _drop_membership_trigger() -> None:
    # Postgres cannot change the type of a column a trigger names: drop it around the change.
    op.execute("DROP TRIGGER IF EXISTS org_memberships_auth_changed ON org_memberships")


def _membership_trigger(columns: str) -> None:
    op.execute(
        f"CREATE TRIGGER org_memberships_auth_changed AFTER UPDATE OF {columns} OR DELETE ON org_memberships "
        "FOR EACH STATEMENT EXECUTE FUNCTION agentflow_auth_changed()"
    )


def upgrade() -> None:
    op.create_table(
        "custom_roles",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("permissions", sa.ARRAY(sa.String(length=40)), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_custom_roles_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custom_roles")),
    )
    op.create_index(op.f("ix_custom_roles_org_id"), "custom_roles", ["org_id"], unique=False)
    op.create_index(
        "uq_custom_roles_org_id_lower_name",
        "custom_roles",
        ["org_id", sa.literal_column("lower(name)")],
        unique=True,
    )
    _drop_membership_trigger()
    for table in ("org_memberships", "invitations"):
        op.alter_column(table, "role", type_=sa.String(length=64), existing_nullable=False)
    op.add_column("api_keys", sa.Column("role", sa.String(length=64), nullable=True))
    for table, on_delete in _HOLDERS:
        op.add_column(table, sa.Column("custom_role_id", sa.Uuid(), nullable=True))
        op.create_foreign_key(
            op.f(f"fk_{table}_custom_role_id_custom_roles"),
            table,
            "custom_roles",
            ["custom_role_id"],
            ["id"],
            ondelete=on_delete,
        )
        op.create_index(op.f(f"ix_{table}_custom_role_id"), table, ["custom_role_id"], unique=False)
    _membership_trigger("org_id, user_id, role, custom_role_id")
    op.execute(
        "CREATE TRIGGER custom_roles_auth_changed AFTER UPDATE OF name, permissions "
        "OR DELETE ON custom_roles FOR EACH STATEMENT EXECUTE FUNCTION agentflow_auth_changed()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS custom_roles_auth_changed ON custom_roles")
    _drop_membership_trigger()
    # Without custom roles their holders fall back to the least built-in role.
    op.execute("UPDATE org_memberships SET role = 'viewer' WHERE custom_role_id IS NOT NULL")
    op.execute("UPDATE invitations SET role = 'viewer' WHERE custom_role_id IS NOT NULL")
    for table, _ in _HOLDERS:
        op.drop_index(op.f(f"ix_{table}_custom_role_id"), table_name=table)
        op.drop_constraint(op.f(f"fk_{table}_custom_role_id_custom_roles"), table, type_="foreignkey")
        op.drop_column(table, "custom_role_id")
    op.drop_column("api_keys", "role")
    for table in ("org_memberships", "invitations"):
        op.alter_column(table, "role", type_=sa.String(length=20), existing_nullable=False)
    _membership_trigger("org_id, user_id, role")
    op.drop_index("uq_custom_roles_org_id_lower_name", table_name="custom_roles")
    op.drop_index(op.f("ix_custom_roles_org_id"), table_name="custom_roles")
    op.drop_table("custom_roles")
