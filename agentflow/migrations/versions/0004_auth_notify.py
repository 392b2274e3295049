"""NOTIFY `agentflow_auth` whenever a credential's meaning changes, for the API's auth cache.

Statement-level triggers on exactly the columns authentication reads: a key revoked, re-scoped or expiring
differently; a membership's role changed or removed; a user deactivated. An API key's `last_used_at` touch
does not fire them. Each API process drops its cache on any notification (see agentflow/auth/cache.py).

Revision ID: 0004_auth_notify
Revises: 0003_executions
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004_auth_notify"
down_revision: str | None = "0003_executions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, columns whose UPDATE matters)
_WATCHED = (
    ("api_keys", "key_hash, org_id, created_by, scopes, revoked_at, expires_at"),
    ("org_memberships", "org_id, user_id, role"),
    ("users", "is_active"),
)


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION agentflow_auth_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('agentflow_auth', TG_TABLE_NAME);
            RETURN NULL;
        END
        $$
        """
    )
    for table, columns in _WATCHED:
        op.execute(
            f"CREATE TRIGGER {table}_auth_changed AFTER UPDATE OF {columns} OR DELETE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION agentflow_auth_changed()"
        )


def downgrade() -> None:
    for table, _ in _WATCHED:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_auth_changed ON {table}")
    op.execute("DROP FUNCTION IF EXISTS agentflow_auth_changed()")
