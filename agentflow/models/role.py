"""Custom roles: an organization's own named sets of permissions, beside the four built-in roles.

Who holds one: `org_memberships`, `invitations` and `api_keys` carry `custom_role_id` and keep the role's
name in their `role` column (renaming a role renames it there in the same transaction), so every reader of
`role` sees the name the organization chose and authentication resolves permissions in its one query.
"""

from __future__ import annotations

from sqlalchemy import ARRAY, Index, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from agentflow.kit.models import TenantModel

ROLE_NAME_MAX = 64


class CustomRole(TenantModel):
    __tablename__ = "custom_roles"
    # Names are unique per org whatever their case ("Support" and "support" would read as one role).
    __table_args__ = (
        Index("uq_custom_roles_org_id_lower_name", "org_id", func.lower(text("name")), unique=True),
    )

    name: Mapped[str] = mapped_column(String(ROLE_NAME_MAX), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="", server_default="")
    permissions: Mapped[list[str]] = mapped_column(ARRAY(String(40)), nullable=False)
