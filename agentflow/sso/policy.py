"""Enforced SSO: which orgs refuse passwords, and the error a refused password sign-in gets."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.errors import Forbidden
from agentflow.rbac import Role
from agentflow.sso.repository import SSOConnectionRepository

AUTHORIZE_PATH = "/api/v1/auth/sso/authorize"


class SSORequired(Forbidden):
    code = "sso_required"
    # Refusing a refresh revokes its family: that revocation must stick.
    persist_changes = True

    def __init__(self, message: str, *, org_slug: str) -> None:
        super().__init__(message, details={"org": org_slug, "sso_url": f"{AUTHORIZE_PATH}?org={org_slug}"})


async def enforcing(session: AsyncSession, org_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """The orgs among `org_ids` that enforce SSO."""
    return await SSOConnectionRepository(session).enforcing(org_ids)


def password_allowed(role: str, *, enforced: bool) -> bool:
    """Owners keep a password (the break-glass path) even where SSO is enforced."""
    return not enforced or role == Role.owner
