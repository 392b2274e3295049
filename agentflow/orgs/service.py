"""Organization rules: unique slugs, settings updates."""

from __future__ import annotations

import re
import secrets
import uuid

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.errors import Conflict, NotFound, ValidationFailed
from agentflow.gate.network import contains, parse_networks
from agentflow.models import Organization
from agentflow.orgs.repository import OrganizationRepository
from agentflow.orgs.schemas import OrgSettingsUpdate, OrgUpdate
from agentflow.retention import policy as retention_policy

# A settings document this large is a mistake, not a configuration.
MAX_SETTINGS_BYTES = 64 * 1024
_KNOWN_SETTINGS = frozenset(OrgSettingsUpdate.model_fields) - {"allow_private_network"}


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60]
    return slug or "org"


class OrganizationService:
    async def create(self, session: AsyncSession, *, name: str, data_region: str = "us") -> Organization:
        """Create an org with a unique slug derived from its name, in its (fixed) data region."""
        repo = OrganizationRepository(session)
        slug = slugify(name)
        while await repo.slug_taken(slug):
            slug = f"{slugify(name)[:53]}-{secrets.token_hex(3)}"
        return await repo.add(Organization(name=name, slug=slug, settings={}, data_region=data_region))

    async def get(self, session: AsyncSession, *, org_id: uuid.UUID) -> Organization:
        """The caller's org (it always exists while the caller is authenticated)."""
        org = await OrganizationRepository(session).get(org_id)
        if org is None:
            raise NotFound.resource("Organization", org_id)
        return org

    async def update(
        self, session: AsyncSession, *, org_id: uuid.UUID, changes: OrgUpdate, caller_ip: str | None = None
    ) -> Organization:
        """Rename or merge settings (null removes a key); an IP allowlist that would refuse the caller making
        the change is refused (409), so nobody locks themselves out, and so is another data region (409:
        it is fixed at creation). A new or shorter retention is held a week and announced to the owners."""
        org = await self.get(session, org_id=org_id)
        allowlist = changes.settings.ip_allowlist if changes.settings is not None else None
        if allowlist and (caller_ip is None or not contains(parse_networks(allowlist), caller_ip)):
            raise Conflict(
                f"This IP allowlist does not include your address ({caller_ip}): saving it would lock you "
                "out. Add your address or range first.",
                code="would_lock_out",
                details={"your_ip": caller_ip},
            )
        if changes.name is not None:
            org.name = changes.name
        if changes.data_region is not None and changes.data_region != org.data_region:
            # Moving an org is moving its database rows, Vault paths, files and work pool (residency.md):
            # an operator's migration, never a field to flip.
            raise Conflict(
                f"The data region is fixed when the organization is created (it is {org.data_region!r}); "
                "moving an organization to another region is done by the operator.",
                code="data_region_fixed",
                details={"data_region": org.data_region},
            )
        old_retention = org.settings.get("retention_days")
        if changes.settings is not None:
            sent = changes.settings.model_dump(mode="json", exclude_unset=True)
            merged = {**org.settings, **sent}
            # Only known keys are kept: one written before settings were typed (allow_private_network) goes.
            merged = {k: v for k, v in merged.items() if v is not None and k in _KNOWN_SETTINGS}
            if len(orjson.dumps(merged)) > MAX_SETTINGS_BYTES:
                raise ValidationFailed(f"Org settings must stay under {MAX_SETTINGS_BYTES} bytes")
            org.settings = merged
            await retention_policy.apply_change(
                session, org, old=old_retention, new=merged.get("retention_days")
            )
        await session.flush()
        return org


organization_service = OrganizationService()
