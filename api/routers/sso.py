"""SSO through WorkOS: the org's settings (/org/sso), the sign-in redirect and return (/auth/sso/authorize,
/auth/sso/callback), and WorkOS's directory-sync webhook (/auth/sso/webhook).

The sign-in routes are browser navigations: a refusal sends the browser back to the web app's `/sso` page
with `?error=<code>` rather than a JSON body, and a success to `/sso/complete`, which restores the session
from the refresh cookie like any reload does.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any
from urllib.parse import urlencode

import workos
from fastapi import APIRouter, Cookie, Depends, Header, Query, Request, status
from fastapi.responses import RedirectResponse, Response

from agentflow.auth.subject import AuthSubject
from agentflow.config import Settings
from agentflow.errors import AgentFlowError, PayloadTooLarge
from agentflow.rbac import Permission
from agentflow.sso import directory
from agentflow.sso.schemas import SSOSettingsPublic, SSOSettingsUpdate
from agentflow.sso.service import sso_service
from api.deps import Authorize, PlanLimitsDep, SessionDep, SettingsDep, forget_credentials
from api.errors import ERROR_RESPONSES
from api.routers.auth import cookie_secure, set_refresh_cookie

router = APIRouter(tags=["sso"], responses=ERROR_RESPONSES)
logger = logging.getLogger("agentflow.sso")

STATE_COOKIE = "agentflow_sso_state"
STATE_COOKIE_PATH = "/api/v1/auth/sso"
WEBHOOK_PATH = "/auth/sso/webhook"

OrgReader = Annotated[AuthSubject, Depends(Authorize(Permission.org_read))]
SSOManager = Annotated[AuthSubject, Depends(Authorize(Permission.sso_manage))]
_REDIRECTS: dict[int | str, dict[str, Any]] = {
    303: {"description": "To the web app: `/sso/complete`, or `/sso?error=<code>` when refused"}
}


async def get_workos(request: Request) -> workos.AsyncWorkOSClient | None:
    client: workos.AsyncWorkOSClient | None = getattr(request.app.state, "workos", None)
    return client


WorkOSDep = Annotated[workos.AsyncWorkOSClient | None, Depends(get_workos)]


def _to_app(settings: Settings, path: str, **query: str) -> RedirectResponse:
    suffix = f"?{urlencode(query)}" if query else ""
    response = RedirectResponse(f"{settings.public_url.rstrip('/')}{path}{suffix}", status_code=303)
    return response


def _refused(settings: Settings, exc: AgentFlowError) -> RedirectResponse:
    logger.info("sso sign-in refused: %s", exc.code)  # the code only: never the profile or the state
    response = _to_app(settings, "/sso", error=exc.code)
    response.delete_cookie(
        STATE_COOKIE, path=STATE_COOKIE_PATH, httponly=True, secure=cookie_secure(settings)
    )
    return response


@router.get("/org/sso", response_model=SSOSettingsPublic)
async def get_sso(subject: OrgReader, session: SessionDep, settings: SettingsDep) -> SSOSettingsPublic:
    """The organization's SSO settings: the WorkOS organization, whether SSO is enforced, its domains."""
    return await sso_service.get(session, settings, org_id=subject.org_id)


@router.put("/org/sso", response_model=SSOSettingsPublic)
async def put_sso(
    body: SSOSettingsUpdate,
    subject: SSOManager,
    session: SessionDep,
    settings: SettingsDep,
    client: WorkOSDep,
) -> SSOSettingsPublic:
    """Connect the organization to its WorkOS organization (owner). Domains must be verified at WorkOS;
    `enforce` refuses passwords to members who are not owners and ends their password sessions."""
    return await sso_service.put(session, settings, client, org_id=subject.org_id, body=body)


@router.delete("/org/sso", status_code=status.HTTP_204_NO_CONTENT)
async def delete_sso(subject: SSOManager, session: SessionDep) -> Response:
    """Disconnect the organization from WorkOS (owner): SSO sign-in and directory sync stop, passwords are
    accepted again; members stay. Also 204 when SSO was not configured."""
    await sso_service.disconnect(session, org_id=subject.org_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/auth/sso/authorize",
    status_code=status.HTTP_302_FOUND,
    response_class=RedirectResponse,
    responses={302: {"description": "To WorkOS's authorize URL"}, **_REDIRECTS},
)
async def sso_authorize(
    session: SessionDep,
    settings: SettingsDep,
    client: WorkOSDep,
    org: Annotated[str | None, Query(max_length=80, description="The organization's slug.")] = None,
    email: Annotated[
        str | None, Query(max_length=320, description="Or your email: its verified domain names the org.")
    ] = None,
) -> RedirectResponse:
    """Start signing in through the organization's identity provider (public)."""
    try:
        started = await sso_service.authorize(session, settings, client, org_slug=org, email=email)
    except AgentFlowError as exc:
        return _refused(settings, exc)
    response = RedirectResponse(started.url, status_code=status.HTTP_302_FOUND)
    # Lax: the IdP's redirect back is a cross-site top-level navigation, which must carry it.
    response.set_cookie(
        STATE_COOKIE,
        started.nonce,
        max_age=settings.sso_state_minutes * 60,
        path=STATE_COOKIE_PATH,
        httponly=True,
        secure=cookie_secure(settings),
        samesite="lax",
    )
    return response


@router.get(
    "/auth/sso/callback",
    status_code=status.HTTP_303_SEE_OTHER,
    response_class=RedirectResponse,
    responses=_REDIRECTS,
)
async def sso_callback(
    session: SessionDep,
    settings: SettingsDep,
    client: WorkOSDep,
    limits: PlanLimitsDep,
    code: Annotated[str, Query(max_length=2000)] = "",
    state: Annotated[str, Query(max_length=2000)] = "",
    error: Annotated[str | None, Query(max_length=200)] = None,
    agentflow_sso_state: Annotated[str | None, Cookie(max_length=200)] = None,
) -> RedirectResponse:
    """Where WorkOS sends the browser back (public: the signed state, bound to this browser's cookie, and
    WorkOS's single-use code are the credentials). Signs in with the same tokens as a password sign-in."""
    try:
        if error or not code or not state:
            raise AgentFlowError("The identity provider did not sign you in", code="sso_cancelled")
        issued = await sso_service.complete(
            session,
            settings,
            client,
            limits=limits,
            code=code,
            state=state,
            cookie_nonce=agentflow_sso_state,
        )
    except AgentFlowError as exc:
        await session.rollback()  # the redirect is a success for the session dependency: undo explicitly
        return _refused(settings, exc)
    response = _to_app(settings, "/sso/complete")
    set_refresh_cookie(response, issued, settings)
    response.delete_cookie(
        STATE_COOKIE, path=STATE_COOKIE_PATH, httponly=True, secure=cookie_secure(settings)
    )
    return response


@router.post(WEBHOOK_PATH, responses={400: {"description": "Bad or stale signature, or not an event"}})
async def workos_webhook(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    client: WorkOSDep,
    limits: PlanLimitsDep,
    workos_signature: Annotated[str | None, Header(max_length=1000)] = None,
) -> dict[str, bool]:
    """WorkOS's directory-sync events (public: WorkOS's signature of the raw body is the credential).
    `processed` says whether the event changed anything."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > directory.MAX_EVENT_BYTES:
            raise PayloadTooLarge(f"A WorkOS event is at most {directory.MAX_EVENT_BYTES} bytes")
    event = directory.verify(settings, client, bytes(body), workos_signature)
    processed = await directory.handle(session, limits=limits, event=event)
    if processed:
        forget_credentials(request)  # a removed member's keys and sessions stop here at once
    return {"processed": processed}
