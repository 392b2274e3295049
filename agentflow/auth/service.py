"""Signup, login, refresh-token rotation with reuse detection, logout, org switching, `me`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.auth.passwords import hash_password, verify_password
from agentflow.auth.repository import RefreshTokenRepository, UserRepository
from agentflow.auth.schemas import (
    LoginRequest,
    MembershipPublic,
    OrgPublic,
    OrgSummary,
    SignupRequest,
    UserPublic,
)
from agentflow.auth.subject import AuthSubject
from agentflow.auth.throttle import SignInThrottle
from agentflow.auth.tokens import issue_access_token
from agentflow.config import Settings
from agentflow.errors import Conflict, Forbidden, NotFound, Unauthorized
from agentflow.kit.crypto import digest, new_token
from agentflow.kit.fastread import FastReader, compile_query
from agentflow.models import Organization, OrgMembership, RefreshToken, User
from agentflow.orgs.repository import MembershipRepository
from agentflow.orgs.service import organization_service
from agentflow.rbac import Role
from agentflow.sso.policy import SSORequired, enforcing, password_allowed


class LoginFailed(Unauthorized):
    code = "invalid_credentials"
    persist_changes = True  # the failure must count toward the throttle even though we answer 401


class RefreshRejected(Unauthorized):
    code = "invalid_refresh_token"
    persist_changes = True  # a detected reuse revokes the family; that revocation must stick


@dataclass(frozen=True)
class IssuedSession:
    """What a successful sign-in hands back: the access token, and the raw refresh token for the cookie."""

    access_token: str
    refresh_token: str
    expires_in: int
    user: User
    org: Organization
    role: str  # a built-in role's name or a custom role's


@dataclass(frozen=True)
class Profile:
    user: UserPublic
    org: OrgPublic
    memberships: list[MembershipPublic]


# `GET /auth/me` is the API's most frequent call after authentication itself: one fast read.
_PROFILE_QUERY = compile_query(
    select(
        OrgMembership.org_id,
        OrgMembership.role,
        Organization.slug,
        Organization.name,
        Organization.plan,
        Organization.data_region,
        Organization.settings,
        Organization.retention_purge_from,
        Organization.created_at.label("org_created_at"),
        User.email,
        User.full_name,
        User.created_at.label("user_created_at"),
    )
    .join(Organization, Organization.id == OrgMembership.org_id)
    .join(User, User.id == OrgMembership.user_id)
    .where(OrgMembership.user_id == bindparam("user_id"))
    .order_by(OrgMembership.created_at, OrgMembership.id)
)


class AuthService:
    async def signup(
        self, session: AsyncSession, settings: Settings, *, body: SignupRequest
    ) -> IssuedSession:
        """Create a user, their organization and the owner membership, and sign them in."""
        users = UserRepository(session)
        email = body.email.lower()
        if await users.get_by_email(email) is not None:
            raise Conflict("An account with this email already exists; sign in instead", code="email_taken")
        user = await users.add(
            User(email=email, password_hash=hash_password(body.password), full_name=body.full_name)
        )
        org = await organization_service.create(session, name=body.org_name, data_region=body.data_region)
        await MembershipRepository(session).add(
            OrgMembership(org_id=org.id, user_id=user.id, role=Role.owner)
        )
        return await self.issue(session, settings, user=user, org=org, role=Role.owner)

    async def login(
        self, session: AsyncSession, settings: Settings, *, body: LoginRequest, client_ip: str
    ) -> IssuedSession:
        """Check the password (under the sign-in throttle) and sign in to the requested or default org."""
        user = await self.check_password(
            session, settings, email=body.email, password=body.password, client_ip=client_ip
        )
        memberships = await MembershipRepository(session).list_for_user(user.id)
        if not memberships:
            raise LoginFailed("This account is not a member of any organization")
        # An org that enforces SSO takes no password from its members who are not owners: the default org
        # is the oldest one that still does, and naming an org that does not is refused.
        enforced = await enforcing(session, (m.org_id for m in memberships))
        allowed = [m for m in memberships if password_allowed(m.role, enforced=m.org_id in enforced)]
        if body.org_id is not None:
            chosen = [m for m in memberships if m.org_id == body.org_id]
            if not chosen:
                raise NotFound.resource("Organization", body.org_id)
            if chosen[0] not in allowed:
                raise _sso_required(chosen[0].organization)
            membership = chosen[0]
        elif not allowed:
            raise _sso_required(memberships[0].organization)
        else:
            membership = allowed[0]
        user.last_login_at = datetime.now(UTC)
        return await self.issue(
            session, settings, user=user, org=membership.organization, role=membership.role
        )

    async def check_password(
        self,
        session: AsyncSession,
        settings: Settings,
        *,
        email: str,
        password: str,
        client_ip: str,
        failure: str = "Incorrect email or password",
    ) -> User:
        """The active user with this email and password; 429 while the sign-in throttle holds the attempt."""
        throttle = SignInThrottle(session, settings, email=email, client_ip=client_ip)
        await throttle.admit()
        user = await UserRepository(session).get_by_email(email)
        if user is None or not user.is_active or not verify_password(password, user.password_hash):
            locked = await throttle.failed()
            raise locked or LoginFailed(failure)
        await throttle.succeeded()
        return user

    async def refresh(
        self, session: AsyncSession, settings: Settings, *, raw_token: str | None
    ) -> IssuedSession:
        """Rotate a refresh token; presenting an already-used one revokes its whole family."""
        if not raw_token:
            raise RefreshRejected("No refresh token", code="not_authenticated")
        tokens = RefreshTokenRepository(session)
        current = await tokens.get_by_hash(digest(raw_token))
        now = datetime.now(UTC)
        if current is None or current.revoked_at is not None:
            raise RefreshRejected("Refresh token is invalid or revoked")
        if current.used_at is not None:
            await tokens.revoke_family(current.family_id)
            raise RefreshRejected("Refresh token was already used; all sessions of this sign-in were revoked")
        if current.expires_at <= now:
            raise RefreshRejected("Refresh token expired", code="refresh_token_expired")
        membership = await MembershipRepository(session).get_for_user(current.org_id, current.user_id)
        if membership is None or not membership.user.is_active:
            await tokens.revoke_family(current.family_id)
            raise RefreshRejected("Your membership in this organization is no longer active")
        if (
            current.auth_method != "sso"
            and not password_allowed(membership.role, enforced=True)
            and await enforcing(session, [current.org_id])
        ):
            await tokens.revoke_family(current.family_id)
            raise _sso_required(membership.organization)
        current.used_at = now
        return await self.issue(
            session,
            settings,
            user=membership.user,
            org=membership.organization,
            role=membership.role,
            family_id=current.family_id,
            auth_method=current.auth_method,
        )

    async def logout(self, session: AsyncSession, *, raw_token: str | None) -> None:
        """Revoke the refresh-token family behind the cookie (other devices stay signed in)."""
        if not raw_token:
            return
        tokens = RefreshTokenRepository(session)
        current = await tokens.get_by_hash(digest(raw_token))
        if current is not None:
            await tokens.revoke_family(current.family_id)

    async def switch_org(
        self, session: AsyncSession, settings: Settings, *, subject: AuthSubject, org_id: uuid.UUID
    ) -> IssuedSession:
        """Sign the caller in to another org they belong to (404 when they do not); never for an API key."""
        refuse_api_keys(subject)
        membership = await MembershipRepository(session).get_for_user(org_id, subject.user_id)
        if membership is None:
            raise NotFound.resource("Organization", org_id)
        # A sign-in elsewhere (by password or another org's IdP) does not pass this org's enforced SSO.
        if not password_allowed(membership.role, enforced=bool(await enforcing(session, [org_id]))):
            raise _sso_required(membership.organization)
        return await self.issue(
            session, settings, user=membership.user, org=membership.organization, role=membership.role
        )

    async def profile(self, reader: FastReader, *, subject: AuthSubject) -> Profile:
        """The caller's user, current org and every membership, in one query."""
        rows = await reader.fetch(_PROFILE_QUERY, user_id=subject.user_id)
        current = next((r for r in rows if r["org_id"] == subject.org_id), None)
        if current is None:  # removed between authentication and now
            raise Unauthorized("Your membership in this organization is no longer active")
        return Profile(
            user=UserPublic(
                id=subject.user_id,
                email=current["email"],
                full_name=current["full_name"],
                created_at=current["user_created_at"],
            ),
            org=OrgPublic(
                id=current["org_id"],
                slug=current["slug"],
                name=current["name"],
                plan=current["plan"],
                data_region=current["data_region"],
                settings=current["settings"],
                retention_purge_from=current["retention_purge_from"],
                created_at=current["org_created_at"],
            ),
            memberships=[
                MembershipPublic(
                    org=OrgSummary(id=r["org_id"], slug=r["slug"], name=r["name"]), role=r["role"]
                )
                for r in rows
            ],
        )

    async def issue(
        self,
        session: AsyncSession,
        settings: Settings,
        *,
        user: User,
        org: Organization,
        role: str,
        family_id: uuid.UUID | None = None,
        auth_method: str = "password",
    ) -> IssuedSession:
        """Mint an access token and a refresh token (a new family unless rotating); `auth_method` says how
        the sign-in was proven (`password` or `sso`), for orgs that enforce SSO."""
        raw_refresh = new_token()
        await RefreshTokenRepository(session).add(
            RefreshToken(
                org_id=org.id,
                user_id=user.id,
                family_id=family_id or uuid.uuid4(),
                token_hash=digest(raw_refresh),
                expires_at=datetime.now(UTC) + timedelta(days=settings.refresh_token_days),
                auth_method=auth_method,
            )
        )
        return IssuedSession(
            access_token=issue_access_token(settings, user_id=user.id, org_id=org.id),
            refresh_token=raw_refresh,
            expires_in=settings.access_token_minutes * 60,
            user=user,
            org=org,
            role=role,
        )


def _sso_required(org: Organization) -> SSORequired:
    return SSORequired(
        f"{org.name} signs in through SSO: use your organization's single sign-on", org_slug=org.slug
    )


def refuse_api_keys(subject: AuthSubject | None) -> None:
    """Routes that mint tokens are for people: a key stays inside its own org and scopes (403)."""
    if subject is not None and subject.method == "api_key":
        raise Forbidden("API keys cannot mint tokens; sign in as a user", code="api_key_not_allowed")


auth_service = AuthService()
