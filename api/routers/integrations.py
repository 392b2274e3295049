"""/api/v1/integrations: the catalog, the org's connections, connecting (credentials or OAuth) and the OAuth
callback. Viewers list, editors use connections in agents, admins connect and disconnect."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, BackgroundTasks, Depends, Path, Query, Response, status
from fastapi.responses import JSONResponse, RedirectResponse

from agentflow.auth.subject import AuthSubject
from agentflow.egress import guarded_client
from agentflow.integrations.catalog import catalog, public
from agentflow.integrations.schemas import (
    AuthorizeAnswer,
    CatalogEntry,
    ConnectBody,
    ConnectionPublic,
    ConnectionTestResult,
    ConnectionUpdate,
)
from agentflow.integrations.service import Services, integration_service
from agentflow.notifications.service import take_pending_emails
from agentflow.rbac import Permission
from api.deps import (
    Authorize,
    EgressDep,
    NotificationMailerDep,
    SecretStoreDep,
    SessionDep,
    SettingsDep,
)
from api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/integrations", tags=["integrations"], responses=ERROR_RESPONSES)

Reader = Annotated[AuthSubject, Depends(Authorize(Permission.integrations_read))]
Connector = Annotated[AuthSubject, Depends(Authorize(Permission.integrations_connect))]
Integration = Annotated[str, Path(max_length=40, description="The integration, e.g. `github`.")]
_VAULT_DOWN: dict[int | str, dict[str, Any]] = {
    503: {"description": "The secret store (Vault) is down or sealed"}
}


async def get_services(
    settings: SettingsDep, store: SecretStoreDep, egress: EgressDep
) -> AsyncIterator[Services]:
    """Vault and an egress-guarded client for the calls a connect, test or delete makes to the provider."""
    async with guarded_client(egress, timeout=20.0, max_connections=10) as http:
        yield Services(store=store, settings=settings, policy=egress, http=http)


ServicesDep = Annotated[Services, Depends(get_services)]


@router.get("/catalog", response_model=list[CatalogEntry])
async def integration_catalog(subject: Reader, settings: SettingsDep) -> list[CatalogEntry]:
    """Every integration: auth kinds, scopes, whether OAuth is configured here, the connect form's fields,
    and its actions with their params schemas; plus the built-in webhook connectors."""
    return catalog(settings)


@router.get(
    "/oauth/callback",
    status_code=status.HTTP_303_SEE_OTHER,
    response_class=RedirectResponse,
    responses={303: {"description": "Back to the UI: `?connected=<id>` or `?error=<code>`"}},
)
async def oauth_callback(
    session: SessionDep,
    services: ServicesDep,
    state: Annotated[str, Query(max_length=200, examples=["state-from-the-provider"])] = "",
    code: Annotated[str, Query(max_length=2000, examples=["code-from-the-provider"])] = "",
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> RedirectResponse:
    """Where the provider sends the browser back. Public: the single-use `state` is the credential."""
    if error or not code:
        # The user declined (or the provider failed): the state is used up all the same.
        back = await integration_service.abandon_oauth(session, state=state)
        connection_id: uuid.UUID | None = None
        error_code: str | None = "access_denied" if error else "invalid_request"
    else:
        back, connection_id, error_code = await integration_service.complete_oauth(
            session, services, code=code, state=state
        )
    query = {"error": error_code} if error_code else {"connected": str(connection_id)}
    separator = "&" if "?" in back else "?"
    return RedirectResponse(f"{back}{separator}{urlencode(query)}", status_code=303)


@router.get("", response_model=list[ConnectionPublic])
async def list_connections(subject: Reader, session: SessionDep) -> list[ConnectionPublic]:
    """The organization's connections: provider, name, status, scopes, account — never credentials."""
    return [public(row) for row in await integration_service.list(session, subject=subject)]


@router.get("/{connection_id}", response_model=ConnectionPublic)
async def get_connection(connection_id: uuid.UUID, subject: Reader, session: SessionDep) -> ConnectionPublic:
    """One connection with its actions."""
    return public(await integration_service.get(session, subject=subject, connection_id=connection_id))


@router.post(
    "/{integration}/connect",
    status_code=status.HTTP_201_CREATED,
    response_model=ConnectionPublic,
    responses={
        200: {"model": AuthorizeAnswer, "description": "OAuth: send the browser to `authorize_url`"},
        409: {"description": "The name is taken, or the provider's OAuth app is not configured here"},
        **_VAULT_DOWN,
    },
)
async def connect(
    integration: Integration,
    body: ConnectBody,
    subject: Connector,
    session: SessionDep,
    services: ServicesDep,
) -> ConnectionPublic | JSONResponse:
    """Connect an integration (admin+): with credentials → 201 the connection (checked with the provider:
    refused credentials are a 422); with OAuth → 200 `{authorize_url}`."""
    result = await integration_service.connect(
        session, services, subject=subject, provider=integration, body=body
    )
    if isinstance(result, str):
        return JSONResponse(AuthorizeAnswer(authorize_url=result).model_dump(), status_code=200)
    return public(result)


@router.post("/{connection_id}/test", response_model=ConnectionTestResult, responses=_VAULT_DOWN)
async def test_connection(
    connection_id: uuid.UUID,
    subject: Connector,
    session: SessionDep,
    services: ServicesDep,
    background: BackgroundTasks,
    mailer: NotificationMailerDep,
) -> ConnectionTestResult:
    """Check the connection with the provider; its status, account and last error follow (admin+)."""
    row, ok, error = await integration_service.test(
        session, services, subject=subject, connection_id=connection_id
    )
    # A connection that turned needs_reauth notified people: mailed after the commit.
    background.add_task(mailer.deliver, take_pending_emails(session))
    return ConnectionTestResult(ok=ok, error=error, connection=public(row))


@router.patch("/{connection_id}", response_model=ConnectionPublic)
async def rename_connection(
    connection_id: uuid.UUID, body: ConnectionUpdate, subject: Connector, session: SessionDep
) -> ConnectionPublic:
    """Rename it (agents refer to it by id, so nothing breaks) (admin+)."""
    return public(
        await integration_service.rename(
            session, subject=subject, connection_id=connection_id, name=body.name
        )
    )


@router.delete("/{connection_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_VAULT_DOWN)
async def delete_connection(
    connection_id: uuid.UUID, subject: Connector, session: SessionDep, services: ServicesDep
) -> Response:
    """Disconnect: revoked at the provider where it can be, credentials and connection deleted (admin+)."""
    await integration_service.delete(session, services, subject=subject, connection_id=connection_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
