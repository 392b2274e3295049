"""An org's SSO settings, and signing in through WorkOS: the redirect to the IdP and the return from it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import workos
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from workos.common.models.organization_domain_state import OrganizationDomainState

from agentflow.auth.service import IssuedSession, auth_service
from agentflow.billing.limits import PlanLimits
from agentflow.config import Settings
from agentflow.errors import BadRequest, Conflict, Forbidden, NotFound, ValidationFailed
from agentflow.models import Organization, SSOConnection
from agentflow.rbac import Role
from agentflow.sso import state as sso_state
from agentflow.sso.client import require, talking_to_workos
from agentflow.sso.provisioning import email_domain, ensure_member
from agentflow.sso.repository import SSOConnectionRepository, SSODomainRepository
from agentflow.sso.schemas import SSOSettingsPublic, SSOSettingsUpdate

CALLBACK_PATH = "/api/v1/auth/sso/callback"
_VERIFIED = {OrganizationDomainState.VERIFIED, OrganizationDomainState.LEGACY_VERIFIED}


class SSORefused(Forbidden):
    """The IdP's answer does not entitle this person to the org (wrong WorkOS organization, domain)."""

    code = "sso_refused"


@dataclass(frozen=True)
class Authorization:
    url: str
    nonce: str  # for the browser's state cookie


def callback_url(settings: Settings) -> str:
    return f"{settings.public_url.rstrip('/')}{CALLBACK_PATH}"


class SSOService:
    async def get(self, session: AsyncSession, settings: Settings, *, org_id: uuid.UUID) -> SSOSettingsPublic:
        """The org's SSO settings (not configured: `configured` false)."""
        connection = await SSOConnectionRepository(session).for_org(org_id)
        if connection is None:
            return SSOSettingsPublic(available=settings.sso_enabled, configured=False)
        return SSOSettingsPublic(
            available=settings.sso_enabled,
            configured=True,
            workos_organization_id=connection.workos_organization_id,
            enforce=connection.enforce,
            domains=await SSODomainRepository(session).for_org(org_id),
            default_role=Role(connection.default_role),
            updated_at=connection.updated_at,
        )

    async def put(
        self,
        session: AsyncSession,
        settings: Settings,
        client: workos.AsyncWorkOSClient | None,
        *,
        org_id: uuid.UUID,
        body: SSOSettingsUpdate,
    ) -> SSOSettingsPublic:
        """Connect the org to a WorkOS organization; its domains must be verified at WorkOS. Turning
        `enforce` on ends the password sessions of members who are not owners."""
        connections = SSOConnectionRepository(session)
        claimed = await connections.by_workos_organization(body.workos_organization_id)
        if claimed is not None and claimed.org_id != org_id:
            # Another org's: not found, as any other org's resource (and never whose it is).
            raise NotFound(
                f"WorkOS organization {body.workos_organization_id} not found",
                code="workos_organization_not_found",
            )
        client = require(client)
        verified = await self._verified_domains(client, body.workos_organization_id)
        domains = body.domains if body.domains is not None else sorted(verified)
        unverified = [d for d in domains if d not in verified]
        if unverified:
            raise ValidationFailed(
                "Only domains verified at WorkOS for this organization can sign in: "
                + ", ".join(unverified[:10]),
                code="domain_not_verified",
                details=[{"loc": ["domains"], "unverified": unverified}],
            )
        if not domains:
            raise ValidationFailed(
                "The WorkOS organization has no verified domain: verify one at WorkOS first",
                code="domain_not_verified",
                details=[{"loc": ["domains"]}],
            )
        domain_repo = SSODomainRepository(session)
        if taken := await domain_repo.taken_elsewhere(org_id, domains):
            raise Conflict(
                "These domains already sign in to another organization: " + ", ".join(taken[:10]),
                code="domain_taken",
            )
        connection = await connections.for_org(org_id)
        enforcing_now = body.enforce and (connection is None or not connection.enforce)
        if connection is None:
            connection = await connections.add(
                SSOConnection(
                    org_id=org_id,
                    workos_organization_id=body.workos_organization_id,
                    enforce=body.enforce,
                    default_role=body.default_role,
                )
            )
        else:
            connection.workos_organization_id = body.workos_organization_id
            connection.enforce = body.enforce
            connection.default_role = body.default_role
        await domain_repo.replace(org_id, domains)
        if enforcing_now:
            await connections.revoke_password_sessions(org_id)
        await session.flush()
        return await self.get(session, settings, org_id=org_id)

    async def disconnect(self, session: AsyncSession, *, org_id: uuid.UUID) -> None:
        """Stop SSO for the org: its WorkOS connection, domains and directory links removed, passwords
        accepted again. Members keep their memberships (those SSO provisioned have no password: they sign in
        again once SSO is reconnected). Nothing configured: nothing to do."""
        await SSOConnectionRepository(session).remove_for_org(org_id)

    async def _verified_domains(self, client: workos.AsyncWorkOSClient, workos_org_id: str) -> set[str]:
        async with talking_to_workos("read the organization"):
            try:
                organization = await client.organizations.get_organization(workos_org_id)
            except (workos.NotFoundError, workos.BadRequestError) as exc:
                raise NotFound(
                    f"WorkOS organization {workos_org_id} not found", code="workos_organization_not_found"
                ) from exc
        return {d.domain.lower() for d in organization.domains if d.state in _VERIFIED}

    async def authorize(
        self,
        session: AsyncSession,
        settings: Settings,
        client: workos.AsyncWorkOSClient | None,
        *,
        org_slug: str | None,
        email: str | None,
    ) -> Authorization:
        """WorkOS's authorize URL for the org named by slug or by the email's verified domain."""
        client = require(client)
        org_id: uuid.UUID | None = None
        if org_slug:
            org_id = await session.scalar(
                select(Organization.id).where(Organization.slug == org_slug.lower())
            )
        elif email:
            org_id = await SSODomainRepository(session).owner_of(email_domain(email))
        else:
            raise BadRequest("Name the organization (`org`) or your email (`email`)", code="sso_org_required")
        connection = await SSOConnectionRepository(session).for_org(org_id) if org_id else None
        if connection is None:
            # The same answer for an unknown org and one without SSO: slugs are not enumerable here.
            raise NotFound("No organization with SSO matches", code="sso_not_set_up")
        signed, nonce = sso_state.sign(settings, org_id=connection.org_id)
        url = client.sso.get_authorization_url(
            redirect_uri=callback_url(settings),
            organization=connection.workos_organization_id,
            state=signed,
            login_hint=email or None,
        )
        return Authorization(url=url, nonce=nonce)

    async def complete(
        self,
        session: AsyncSession,
        settings: Settings,
        client: workos.AsyncWorkOSClient | None,
        *,
        limits: PlanLimits,
        code: str,
        state: str,
        cookie_nonce: str | None,
    ) -> IssuedSession:
        """Exchange the code for the IdP's profile and sign its person in to the org the state names,
        provisioning the account and membership on a first visit; the same tokens as a password sign-in."""
        client = require(client)
        started = sso_state.verify(settings, state, cookie_nonce=cookie_nonce)
        connection = await SSOConnectionRepository(session).for_org(started.org_id)
        if connection is None:
            raise NotFound("This organization has no SSO connection any more", code="sso_not_set_up")
        async with talking_to_workos("complete the sign-in"):
            try:
                answer = await client.sso.get_profile_and_token(code=code)
            except (workos.BadRequestError, workos.NotFoundError, workos.UnprocessableEntityError) as exc:
                raise BadRequest(
                    "The sign-in code is invalid or expired; start the SSO sign-in again",
                    code="sso_code_invalid",
                ) from exc
        profile = answer.profile
        if profile.organization_id != connection.workos_organization_id:
            raise SSORefused(
                "This identity provider does not sign in to this organization", code="sso_wrong_organization"
            )
        email = (profile.email or "").strip().lower()
        if email_domain(email) not in await SSODomainRepository(session).for_org(connection.org_id):
            raise SSORefused(
                "Your email's domain is not one this organization signs in with SSO",
                code="sso_domain_not_allowed",
            )
        name = profile.name or " ".join(p for p in (profile.first_name, profile.last_name) if p)
        provisioned = await ensure_member(
            session, limits=limits, connection=connection, email=email, full_name=name
        )
        if not provisioned.user.is_active:
            raise SSORefused("This account is deactivated", code="account_inactive")
        provisioned.user.last_login_at = datetime.now(UTC)
        org = await session.get(Organization, connection.org_id)
        assert org is not None  # the connection cascades with its org
        return await auth_service.issue(
            session,
            settings,
            user=provisioned.user,
            org=org,
            role=provisioned.membership.role,  # a custom role's name too
            auth_method="sso",
        )


sso_service = SSOService()
