"""Who is calling: a user (access token) or an API key, always inside exactly one organization.

Runs on every request, so its lookups use the fast reader (see kit/fastread.py), one query each, and an
`AuthCache` (auth/cache.py) when the API process has one: a hit costs no query at all.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, cast

from sqlalchemy import bindparam, select, update

from agentflow import rbac
from agentflow.auth.cache import AuthCache
from agentflow.auth.tokens import decode_access_token
from agentflow.config import Settings
from agentflow.errors import Forbidden, Unauthorized
from agentflow.kit.crypto import digest
from agentflow.kit.fastread import CompiledQuery, FastReader, compile_query
from agentflow.models import APIKey, CustomRole, OrgMembership, User
from agentflow.rbac import ROLE_PERMISSIONS, Permission, Role, builtin_role, known_permissions

API_KEY_PREFIX = "af_"
# last_used_at is advisory; writing it at most once a minute keeps the hot path a single read.
_LAST_USED_RESOLUTION = timedelta(seconds=60)

# A custom role's permissions come in the same row (an outer join): still one query per lookup.
_MEMBERSHIP_QUERY = compile_query(
    select(OrgMembership.role, User.is_active, CustomRole.permissions.label("custom_permissions"))
    .join(User, User.id == OrgMembership.user_id)
    .outerjoin(CustomRole, CustomRole.id == OrgMembership.custom_role_id)
    .where(OrgMembership.org_id == bindparam("org_id"), OrgMembership.user_id == bindparam("user_id"))
)
# The key joined with its creator's current membership: a removed creator disables the key.
_API_KEY_QUERY = compile_query(
    select(
        APIKey.id,
        APIKey.org_id,
        APIKey.created_by,
        APIKey.scopes,
        APIKey.revoked_at,
        APIKey.expires_at,
        APIKey.last_used_at,
        APIKey.rate_limit_per_minute,
        OrgMembership.role,
        CustomRole.permissions.label("custom_permissions"),
    )
    .join(
        OrgMembership,
        (OrgMembership.org_id == APIKey.org_id) & (OrgMembership.user_id == APIKey.created_by),
    )
    .outerjoin(CustomRole, CustomRole.id == OrgMembership.custom_role_id)
    .where(APIKey.key_hash == bindparam("key_hash"))
)
_TOUCH_API_KEY = compile_query(
    update(APIKey)
    .where(APIKey.id == bindparam("key_id"))
    # Being used is not an edit of the key: keep updated_at as it is.
    .values(last_used_at=bindparam("now"), updated_at=APIKey.updated_at)
)


@dataclass(frozen=True)
class AuthSubject:
    user_id: uuid.UUID
    org_id: uuid.UUID
    role: str  # a built-in role's name, or a custom role's (a key: its creator's role)
    permissions: frozenset[Permission]
    method: Literal["token", "api_key"]
    api_key_id: uuid.UUID | None = None
    rate_limit_per_minute: int | None = None  # the key's own limit (agentflow/gate)

    @property
    def acting_role(self) -> Role | None:
        """The built-in role the caller acts as: the highest, up to owner for an owner, whose every
        permission it holds (a key's scopes, a custom role's permissions), or none; never beyond them."""
        return rbac.acting_role(self.role, self.permissions)

    def require(self, permission: Permission) -> None:
        if permission not in self.permissions:
            raise Forbidden(f"Your role ({self.role}) lacks the {permission} permission", code="forbidden")


def _role_permissions(row: dict[str, Any]) -> frozenset[Permission]:
    """What a membership's role grants: a built-in role's fixed set, or its custom role's current one."""
    builtin = builtin_role(row["role"])
    if builtin is not None:
        return ROLE_PERMISSIONS[builtin]
    return known_permissions(row["custom_permissions"] or ())


async def _lookup(
    reader: FastReader, cache: AuthCache | None, kind: str, key: Any, query: CompiledQuery, **values: Any
) -> dict[str, Any] | None:
    """One row as a dict, from the cache when it has it; successful lookups are cached."""
    if cache is not None and (hit := cache.get(kind, key)) is not None:
        return cast(dict[str, Any], hit)
    generation = cache.generation if cache is not None else 0
    record = await reader.fetchrow(query, **values)
    row = dict(record) if record is not None else None
    if cache is not None and row is not None:
        cache.put(kind, key, row, generation=generation)
    return row


async def authenticate_token(
    reader: FastReader, settings: Settings, token: str, cache: AuthCache | None = None
) -> AuthSubject:
    claims = decode_access_token(settings, token)
    return await authenticate_member(reader, org_id=claims.org_id, user_id=claims.user_id, cache=cache)


async def authenticate_member(
    reader: FastReader, *, org_id: uuid.UUID, user_id: uuid.UUID, cache: AuthCache | None = None
) -> AuthSubject:
    """The user acting in the org with their current role; 401 unless they are an active member of it."""
    row = await _lookup(
        reader, cache, "member", (org_id, user_id), _MEMBERSHIP_QUERY, org_id=org_id, user_id=user_id
    )
    if row is None or not row["is_active"]:
        raise Unauthorized("Your membership in this organization is no longer active", code="invalid_token")
    return AuthSubject(
        user_id=user_id, org_id=org_id, role=row["role"], permissions=_role_permissions(row), method="token"
    )


async def authenticate_api_key(
    reader: FastReader, raw_key: str, cache: AuthCache | None = None
) -> AuthSubject:
    key_hash = digest(raw_key)
    row = await _lookup(reader, cache, "api_key", key_hash, _API_KEY_QUERY, key_hash=key_hash)
    now = datetime.now(UTC)
    if row is None or row["revoked_at"] is not None:
        raise Unauthorized("Invalid or revoked API key", code="invalid_api_key")
    if row["expires_at"] is not None and row["expires_at"] <= now:
        raise Unauthorized("API key expired", code="api_key_expired")
    if row["last_used_at"] is None or now - row["last_used_at"] > _LAST_USED_RESOLUTION:
        await reader.execute(_TOUCH_API_KEY, key_id=row["id"], now=now)
        row["last_used_at"] = now  # the cached row too: touch once a minute, not on every hit
    # A key never exceeds its creator's current role, whatever scopes it was given.
    permissions = known_permissions(row["scopes"]) & _role_permissions(row)
    return AuthSubject(
        user_id=row["created_by"],
        org_id=row["org_id"],
        role=row["role"],
        permissions=permissions,
        method="api_key",
        api_key_id=row["id"],
        rate_limit_per_minute=row["rate_limit_per_minute"],
    )


async def authenticate(
    reader: FastReader,
    settings: Settings,
    *,
    bearer: str | None,
    api_key: str | None,
    cache: AuthCache | None = None,
) -> AuthSubject:
    """Resolve `Authorization: Bearer <jwt|af_key>` or `X-API-Key: af_key`."""
    if api_key:
        return await authenticate_api_key(reader, api_key, cache)
    if bearer:
        if bearer.startswith(API_KEY_PREFIX):
            return await authenticate_api_key(reader, bearer, cache)
        return await authenticate_token(reader, settings, bearer, cache)
    raise Unauthorized("Authentication required", code="not_authenticated")


async def reauthenticate(reader: FastReader, subject: AuthSubject, *, api_key: str | None) -> AuthSubject:
    """The same caller as the database has it now, for a connection that outlives its request (an execution
    stream): a revoked or expired key, a creator or member removed, a user deactivated or a role lowered is
    seen here. Never from the cache, so the caller's bound holds even if a NOTIFY was lost. An access
    token's own expiry is not checked again: it bounds opening the connection; what it grants is re-checked.
    """
    if subject.method == "api_key":
        if api_key is None:
            raise ValueError("an API key's subject is re-checked with its key")
        return await authenticate_api_key(reader, api_key)
    return await authenticate_member(reader, org_id=subject.org_id, user_id=subject.user_id)
