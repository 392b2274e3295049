"""API key rules: `af_` keys shown once, scopes never exceed the creator's permissions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.api_keys.repository import APIKeyRepository
from agentflow.api_keys.schemas import APIKeyCreate
from agentflow.auth.subject import API_KEY_PREFIX, AuthSubject
from agentflow.errors import Forbidden, NotFound
from agentflow.kit.crypto import digest, new_token
from agentflow.kit.pagination import Page
from agentflow.models import APIKey
from agentflow.roles.service import require_within, role_service

PREFIX_LENGTH = len(API_KEY_PREFIX) + 8


@dataclass(frozen=True)
class CreatedKey:
    api_key: APIKey
    raw_key: str


class APIKeyService:
    async def create(self, session: AsyncSession, *, subject: AuthSubject, body: APIKeyCreate) -> CreatedKey:
        """Mint a key; only its digest is stored."""
        role = None
        if body.role is not None:
            role = await role_service.resolve(session, org_id=subject.org_id, name=body.role)
            require_within(subject, role.permissions, what="give a key")
            scopes = set(role.permissions)
        else:
            scopes = set(body.scopes) if body.scopes is not None else set(subject.permissions)
        beyond = scopes - subject.permissions
        if beyond:
            raise Forbidden(
                "A key cannot carry permissions you do not have", details={"scopes": sorted(beyond)}
            )
        raw_key = API_KEY_PREFIX + new_token(32)
        api_key = await APIKeyRepository(session).add(
            APIKey(
                org_id=subject.org_id,
                name=body.name,
                prefix=raw_key[:PREFIX_LENGTH],
                key_hash=digest(raw_key),
                scopes=sorted(scopes),
                role=role.name if role is not None else None,
                custom_role_id=role.custom_role_id if role is not None else None,
                created_by=subject.user_id,
                rate_limit_per_minute=body.rate_limit_per_minute,
                expires_at=(
                    datetime.now(UTC) + timedelta(days=body.expires_in_days) if body.expires_in_days else None
                ),
            )
        )
        return CreatedKey(api_key=api_key, raw_key=raw_key)

    async def list(
        self, session: AsyncSession, *, subject: AuthSubject, cursor: str | None, limit: int
    ) -> Page[APIKey]:
        """The org's keys that are not revoked, newest first."""
        return await APIKeyRepository(session).page_active(subject.org_id, cursor=cursor, limit=limit)

    async def revoke(self, session: AsyncSession, *, subject: AuthSubject, key_id: uuid.UUID) -> None:
        """Revoke a key; the next request using it gets 401."""
        api_key = await APIKeyRepository(session).get_in_org(subject.org_id, key_id)
        if api_key is None or api_key.revoked_at is not None:
            raise NotFound.resource("API key", key_id)
        api_key.revoked_at = datetime.now(UTC)
        await session.flush()


api_key_service = APIKeyService()
