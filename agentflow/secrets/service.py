"""Org environment secrets: metadata rows in Postgres, values in Vault, resolved only inside the worker."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.auth.subject import AuthSubject
from agentflow.errors import Conflict, NotFound, ValidationFailed
from agentflow.kit.pagination import Page
from agentflow.models import OrgSecret
from agentflow.secrets.paths import SecretKind, SecretRef, valid_name
from agentflow.secrets.repository import SecretRepository
from agentflow.secrets.schemas import SecretCreate, SecretUpdate
from agentflow.secrets.store import SecretStore

logger = logging.getLogger("agentflow.secrets")

ENV = SecretKind.env


def _ref(subject: AuthSubject, name: str) -> SecretRef:
    """The caller's org, always: a secret is never addressed by an org id taken from input."""
    return SecretRef(org_id=subject.org_id, kind=ENV, name=name)


class SecretService:
    async def list(
        self, session: AsyncSession, *, subject: AuthSubject, cursor: str | None, limit: int
    ) -> Page[OrgSecret]:
        """Environment secrets of the caller's org (metadata only), newest first."""
        return await SecretRepository(session).page_kind(subject.org_id, ENV, cursor=cursor, limit=limit)

    async def get(
        self, session: AsyncSession, *, subject: AuthSubject, name: str, for_update: bool = False
    ) -> OrgSecret:
        """One secret's metadata; a name that cannot exist, or another org's, is simply not found."""
        secret = None
        if valid_name(ENV, name):
            secret = await SecretRepository(session).get_by_name(
                subject.org_id, ENV, name, for_update=for_update
            )
        if secret is None:
            raise NotFound.resource("Secret", name)
        return secret

    async def create(
        self, session: AsyncSession, store: SecretStore, *, subject: AuthSubject, body: SecretCreate
    ) -> OrgSecret:
        """Store the value in Vault and its metadata here; 409 when the name is taken in this org."""
        ref = _ref(subject, body.name)
        secret = await SecretRepository(session).insert_if_absent(
            {
                "org_id": subject.org_id,
                "kind": ENV.value,
                "name": body.name,
                "description": body.description,
                "vault_path": store.path(ref),
                "version": 0,
                "created_by": subject.user_id,
                "updated_by": subject.user_id,
            }
        )
        if secret is None:
            raise Conflict(f"A secret named {body.name} already exists", code="secret_exists")
        # Vault last: if it is down, the request fails and the row above is rolled back.
        secret.version = await store.write(ref, {"value": body.value.get_secret_value()})
        await session.flush()
        logger.info("secret created", extra={"org_id": str(subject.org_id), "secret_name": body.name})
        return secret

    async def update(
        self,
        session: AsyncSession,
        store: SecretStore,
        *,
        subject: AuthSubject,
        name: str,
        body: SecretUpdate,
    ) -> OrgSecret:
        """Rotate the value (a new Vault version) and/or change the description."""
        if body.value is None and body.description is None:
            raise ValidationFailed("Send a new value, a description, or both", code="nothing_to_update")
        secret = await self.get(session, subject=subject, name=name, for_update=True)
        if body.description is not None:
            secret.description = body.description
        if body.value is not None:
            secret.version = await store.write(_ref(subject, name), {"value": body.value.get_secret_value()})
        secret.updated_by = subject.user_id
        secret.updated_at = datetime.now(UTC)
        await session.flush()
        logger.info(
            "secret updated",
            extra={"org_id": str(subject.org_id), "secret_name": name, "rotated": body.value is not None},
        )
        return secret

    async def delete(
        self, session: AsyncSession, store: SecretStore, *, subject: AuthSubject, name: str
    ) -> None:
        """Delete the metadata and every version of the value."""
        secret = await self.get(session, subject=subject, name=name, for_update=True)
        await SecretRepository(session).delete(secret)
        await store.delete(_ref(subject, name))
        logger.info("secret deleted", extra={"org_id": str(subject.org_id), "secret_name": name})


secret_service = SecretService()
