"""/api/v1/auth: signup, login, refresh, logout, me, switch-org."""

from __future__ import annotations

from fastapi import APIRouter, Cookie, Response, status

from agentflow.auth.schemas import (
    LoginRequest,
    MeResponse,
    OrgPublic,
    SignupRequest,
    SwitchOrgRequest,
    TokenResponse,
    UserPublic,
)
from agentflow.auth.service import IssuedSession, auth_service
from agentflow.config import Settings
from api.csrf import SAME_SITE_ONLY
from api.deps import ClientIP, CurrentSubject, ReaderDep, SessionDep, SettingsDep
from api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/auth", tags=["auth"], responses=ERROR_RESPONSES)

REFRESH_COOKIE = "agentflow_refresh"
REFRESH_COOKIE_PATH = "/api/v1/auth"


def cookie_secure(settings: Settings) -> bool:
    """HTTPS-only whenever the public URL is https; AGENTFLOW_COOKIE_SECURE forces it on otherwise."""
    return settings.cookie_secure or settings.public_url_is_https


def set_refresh_cookie(response: Response, issued: IssuedSession, settings: Settings) -> None:
    """The refresh token only in an httpOnly, SameSite=strict cookie."""
    response.set_cookie(
        REFRESH_COOKIE,
        issued.refresh_token,
        max_age=settings.refresh_token_days * 86400,
        path=REFRESH_COOKIE_PATH,
        httponly=True,
        secure=cookie_secure(settings),
        samesite="strict",
    )


def token_response(response: Response, issued: IssuedSession, settings: Settings) -> TokenResponse:
    """The access token in the body; the refresh token only in an httpOnly, SameSite=strict cookie."""
    set_refresh_cookie(response, issued, settings)
    return TokenResponse(
        access_token=issued.access_token,
        expires_in=issued.expires_in,
        user=UserPublic.model_validate(issued.user),
        org=OrgPublic.model_validate(issued.org),
        role=issued.role,
    )


@router.post("/signup", status_code=status.HTTP_201_CREATED, response_model=TokenResponse)
async def signup(
    body: SignupRequest, response: Response, session: SessionDep, settings: SettingsDep
) -> TokenResponse:
    """Create an account and its organization; you become its owner and are signed in."""
    issued = await auth_service.signup(session, settings, body=body)
    return token_response(response, issued, settings)


@router.post("/login", response_model=TokenResponse)
async def login(
    body: LoginRequest, response: Response, session: SessionDep, settings: SettingsDep, ip: ClientIP
) -> TokenResponse:
    """Sign in with email and password. The refresh token is set as an httpOnly cookie."""
    issued = await auth_service.login(session, settings, body=body, client_ip=ip)
    return token_response(response, issued, settings)


@router.post("/refresh", response_model=TokenResponse, dependencies=[SAME_SITE_ONLY])
async def refresh(
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    agentflow_refresh: str | None = Cookie(default=None),
) -> TokenResponse:
    """Trade the refresh cookie for a new access token and a new refresh cookie (rotation)."""
    issued = await auth_service.refresh(session, settings, raw_token=agentflow_refresh)
    return token_response(response, issued, settings)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, dependencies=[SAME_SITE_ONLY])
async def logout(
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    agentflow_refresh: str | None = Cookie(default=None),
) -> Response:
    """End this sign-in: its refresh tokens are revoked and the cookie cleared."""
    await auth_service.logout(session, raw_token=agentflow_refresh)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(
        REFRESH_COOKIE,
        path=REFRESH_COOKIE_PATH,
        httponly=True,
        secure=cookie_secure(settings),
        samesite="strict",
    )
    return response


@router.get("/me", response_model=MeResponse)
async def me(subject: CurrentSubject, reader: ReaderDep) -> MeResponse:
    """The caller: user, current org, role, permissions and every org they belong to."""
    profile = await auth_service.profile(reader, subject=subject)
    return MeResponse(
        user=profile.user,
        org=profile.org,
        role=subject.role,
        permissions=sorted(subject.permissions),
        memberships=profile.memberships,
        auth_method=subject.method,
        api_key_id=subject.api_key_id,
    )


@router.post("/switch-org", response_model=TokenResponse)
async def switch_org(
    body: SwitchOrgRequest,
    response: Response,
    subject: CurrentSubject,
    session: SessionDep,
    settings: SettingsDep,
) -> TokenResponse:
    """Get tokens for another organization you belong to."""
    issued = await auth_service.switch_org(session, settings, subject=subject, org_id=body.org_id)
    return token_response(response, issued, settings)
