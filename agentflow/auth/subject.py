"""Who is calling: a user (access token) or an API key, always inside exactly one organization."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.auth.tokens import decode_access_token
from agentflow.config import Settings
from agentflow.errors import Forbidden, Unauthorized
from agentflow.kit.crypto import digest
from agentflow.models import APIKey, OrgMembership, User
from agentflow.rbac import ROLE_PERMISSIONS, Permission, Role

API_KEY_PREFIX = "af_"
# last_used_at is advisory; writing it at most once a minute keeps the hot path a single read.
_LAST_USED_RESOLUTION = timedelta(seconds=60)


@dataclass(frozen=True)
class AuthSubject:
    user_id: uuid.UUID
    org_id: uuid.UUID
    role: Role
    permissions: frozenset[Permission]
    method: Literal["token", "api_key"]
    api_key_id: uuid.UUID | None = None

    def require(self, permission: Permission) -> None:
        if permission not in self.permissions:
            raise Forbidden(f"Your role ({self.role}) lacks the {permission} permission", code="forbidden")


async def authenticate_token(session: AsyncSession, settings: Settings, token: str) -> AuthSubject:
    claims = decode_access_token(settings, token)
    row = (
        await session.execute(
            select(OrgMembership.role, User.is_active)
            .join(User, User.id == OrgMembership.user_id)
            .where(OrgMembership.org_id == claims.org_id, OrgMembership.user_id == claims.user_id)
        )
    ).one_or_none()
    if row is None or not row.is_active:
        raise Unauthorized("Your membership in this organization is no longer active", code="invalid_token")
    role = Role(row.role)
    return AuthSubject(
        user_id=claims.user_id,
        org_id=claims.org_id,
        role=role,
        permissions=ROLE_PERMISSIONS[role],
        method="token",
    )


async def authenticate_api_key(session: AsyncSession, raw_key: str) -> AuthSubject:
    """One read: the key joined with its creator's current membership (a removed creator disables it)."""
    row = (
        await session.execute(
            select(
                APIKey.id,
                APIKey.org_id,
                APIKey.created_by,
                APIKey.scopes,
                APIKey.revoked_at,
                APIKey.expires_at,
                APIKey.last_used_at,
                OrgMembership.role,
            )
            .join(
                OrgMembership,
                (OrgMembership.org_id == APIKey.org_id) & (OrgMembership.user_id == APIKey.created_by),
            )
            .where(APIKey.key_hash == digest(raw_key))
        )
    ).one_or_none()
    now = datetime.now(UTC)
    if row is None or row.revoked_at is not None:
        raise Unauthorized("Invalid or revoked API key", code="invalid_api_key")
    if row.expires_at is not None and row.expires_at <= now:
        raise Unauthorized("API key expired", code="api_key_expired")
    if row.last_used_at is None or now - row.last_used_at > _LAST_USED_RESOLUTION:
        await session.execute(update(APIKey).where(APIKey.id == row.id).values(last_used_at=now))
    role = Role(row.role)
    # A key never exceeds its creator's current role, whatever scopes it was given.
    permissions = frozenset(Permission(s) for s in row.scopes) & ROLE_PERMISSIONS[role]
    return AuthSubject(
        user_id=row.created_by,
        org_id=row.org_id,
        role=role,
        permissions=permissions,
        method="api_key",
        api_key_id=row.id,
    )


async def authenticate(
    session: AsyncSession, settings: Settings, *, bearer: str | None, api_key: str | None
) -> AuthSubject:
    """Resolve `Authorization: Bearer <jwt|af_key>` or `X-API-Key: af_key`."""
    if api_key:
        return await authenticate_api_key(session, api_key)
    if bearer:
        if bearer.startswith(API_KEY_PREFIX):
            return await authenticate_api_key(session, bearer)
        return await authenticate_token(session, settings, bearer)
    raise Unauthorized("Authentication required", code="not_authenticated")
