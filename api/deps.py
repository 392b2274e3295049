"""Dependency aliases declared once: settings, DB session, the caller, permission checks, paging.

Every dependency is `async def`: FastAPI runs plain `def` dependencies in a thread pool, which cost
~0.2 ms per dependency per request here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from agentflow.audit.capture import write_entry
from agentflow.audit.context import note_caller
from agentflow.auth.subject import AuthSubject, authenticate, reauthenticate
from agentflow.billing.limits import PlanLimits
from agentflow.config import Settings
from agentflow.egress import EgressPolicy
from agentflow.email.sender import EmailSender, get_sender
from agentflow.engine.control.deployments import AgentDeployer
from agentflow.engine.control.dispatch import Dispatcher
from agentflow.engine.gateway import PrefectGateway
from agentflow.errors import AgentFlowError, ServiceUnavailable
from agentflow.exports.dispatch import ExportDispatcher
from agentflow.gate.gate import RequestGate
from agentflow.kit.fastread import FastReader
from agentflow.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT
from agentflow.knowledge.dispatch import IngestionDispatcher
from agentflow.knowledge.storage import FileStore, file_store
from agentflow.notifications.delivery import NotificationMailer
from agentflow.providers.router import Router
from agentflow.rbac import Permission
from agentflow.secrets.store import SecretStore
from api.middleware.rate_limit_headers import RATE_LIMIT_HEADERS


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request: commit when the handler succeeds, roll back when it raises.

    Reads run in autocommit (no BEGIN/COMMIT round trips: a third of a cheap request's database time);
    their only writes are advisory (an API key's last_used_at).
    """
    factory = (
        request.app.state.read_sessionmaker
        if request.method in _READ_METHODS
        else request.app.state.sessionmaker
    )
    async with factory() as session:
        try:
            yield session
        except AgentFlowError as exc:
            if exc.persist_changes:
                await session.commit()
            else:
                await session.rollback()
            raise
        except BaseException:
            await session.rollback()
            raise
        else:
            await write_entry(session)  # a mutation's audit entry, in its own transaction
            await session.commit()


# scope="function": the commit happens before the response is sent, so a 2xx means it is stored.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
# For a streamed response that reads while it sends (an export): the session stays open until it is sent.
StreamingSessionDep = Annotated[AsyncSession, Depends(get_session)]


def _bearer(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, credentials = authorization.partition(" ")
    return credentials.strip() or None if scheme.lower() == "bearer" else None


async def get_reader(request: Request) -> FastReader:
    reader: FastReader = request.app.state.reader
    return reader


ReaderDep = Annotated[FastReader, Depends(get_reader)]


def caller_address(connection: HTTPConnection) -> str:
    """The client: the socket's peer, or what trusted proxies forwarded (AGENTFLOW_TRUSTED_PROXIES)."""
    gate: RequestGate = connection.app.state.gate
    peer = connection.client.host if connection.client else None
    return gate.client(peer, connection.headers.get("x-forwarded-for"))


async def _authenticate(connection: HTTPConnection, bearer: str | None, api_key: str | None) -> AuthSubject:
    """Who is calling, admitted by the gate (IP allowlist, rate limits); the RateLimit headers it returns
    are added to the response by RateLimitHeadersMiddleware."""
    state = connection.app.state
    cache = getattr(state, "auth_cache", None)
    subject = await authenticate(state.reader, state.settings, bearer=bearer, api_key=api_key, cache=cache)
    headers = await state.gate.admit(state.reader, subject, caller_address(connection), cache)
    note_caller(
        org_id=subject.org_id, method=subject.method, user_id=subject.user_id, api_key_id=subject.api_key_id
    )
    if headers:
        connection.scope.setdefault("state", {})[RATE_LIMIT_HEADERS] = headers
    return subject


def forget_credentials(request: Request) -> None:
    """Call where a key, role or membership changes: this process's auth cache is dropped at once, so the
    caller's next request sees the change; other processes drop theirs on the NOTIFY the commit sends."""
    cache = getattr(request.app.state, "auth_cache", None)
    if cache is not None:
        cache.invalidate()


# Headers are read from the request, not declared as Header() parameters: on a path every request takes,
# each declared parameter and sub-dependency is measurable work for FastAPI's dependency solver.
async def get_subject(request: Request) -> AuthSubject:
    headers = request.headers
    return await _authenticate(request, _bearer(headers.get("authorization")), headers.get("x-api-key"))


async def get_optional_subject(request: Request) -> AuthSubject | None:
    headers = request.headers
    bearer, api_key = _bearer(headers.get("authorization")), headers.get("x-api-key")
    if bearer is None and api_key is None:
        return None
    return await _authenticate(request, bearer, api_key)


CurrentSubject = Annotated[AuthSubject, Depends(get_subject)]
OptionalSubject = Annotated[AuthSubject | None, Depends(get_optional_subject)]


class Authorize:
    """`Depends(Authorize(Permission.x))`: authenticate, then require one permission of the caller's role.

    The permission is kept on the instance so the route-table tests can read what each route requires.
    """

    def __init__(self, permission: Permission) -> None:
        self.permission = permission

    async def __call__(self, subject: CurrentSubject) -> AuthSubject:
        subject.require(self.permission)
        return subject


@dataclass(frozen=True)
class StreamCaller:
    """The caller of a connection that outlives its request, with the API key to check again while it runs
    (a token's subject is checked again by its membership)."""

    subject: AuthSubject
    api_key: str | None


class AuthorizeStream:
    """`Authorize` for the execution streams: the same credentials, rules and permission, plus `?token=`
    (a browser's WebSocket and EventSource cannot send headers), and `recheck` for while the stream runs.

    A dependency of the SSE route; the WebSocket route calls `authorize` itself after accepting, so that a
    refusal is a close code the client can read rather than a failed handshake.
    """

    def __init__(self, permission: Permission) -> None:
        self.permission = permission

    async def __call__(
        self,
        connection: HTTPConnection,
        token: Annotated[str | None, Query(description="Access token or API key, for `EventSource`.")] = None,
    ) -> StreamCaller:
        return await self.authorize(connection, token=token)

    async def authorize(self, connection: HTTPConnection, *, token: str | None) -> StreamCaller:
        """401 without valid credentials, 403 without the permission."""
        headers = connection.headers
        bearer, api_key = _bearer(headers.get("authorization")) or token, headers.get("x-api-key")
        subject = await _authenticate(connection, bearer, api_key)
        subject.require(self.permission)
        key = (api_key or bearer) if subject.method == "api_key" else None
        return StreamCaller(subject=subject, api_key=key)

    async def recheck(self, connection: HTTPConnection, caller: StreamCaller) -> StreamCaller:
        """The same caller as the database has it now: 401 once its key is revoked or it left the org, 403
        once its role lost the permission."""
        subject = await reauthenticate(connection.app.state.reader, caller.subject, api_key=caller.api_key)
        subject.require(self.permission)
        return StreamCaller(subject=subject, api_key=caller.api_key)


# Integers in paths, queries and headers stop at their column's range: beyond it Postgres would refuse the
# parameter (an overflow, a 500); bounded here it is a 422 naming the limit.
INT32_MAX = 2_147_483_647  # version numbers, revisions (`integer` columns)
INT64_MAX = 9_223_372_036_854_775_807  # log and event ids (`bigint` columns)


@dataclass(frozen=True)
class PageParams:
    cursor: str | None
    limit: int


async def page_params(
    cursor: Annotated[
        str | None, Query(max_length=512, description="From `next_cursor` of the previous page.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> PageParams:
    return PageParams(cursor=cursor, limit=limit)


PageDep = Annotated[PageParams, Depends(page_params)]


async def get_gateway(request: Request) -> PrefectGateway:
    gateway: PrefectGateway | None = request.app.state.gateway
    if gateway is None:
        raise ServiceUnavailable(
            "Runs need a Prefect server: set PREFECT_API_URL", code="prefect_not_configured"
        )
    return gateway


GatewayDep = Annotated[PrefectGateway, Depends(get_gateway)]


async def get_deployer(request: Request) -> AgentDeployer:
    return AgentDeployer(request.app.state.gateway)


DeployerDep = Annotated[AgentDeployer, Depends(get_deployer)]


async def get_dispatcher(request: Request, gateway: GatewayDep) -> Dispatcher:
    dispatcher: Dispatcher = request.app.state.dispatcher
    return dispatcher


DispatcherDep = Annotated[Dispatcher, Depends(get_dispatcher)]


async def client_ip(request: Request) -> str:
    return caller_address(request)


ClientIP = Annotated[str, Depends(client_ip)]


async def get_email_sender(settings: SettingsDep) -> EmailSender:
    return get_sender(settings)


EmailSenderDep = Annotated[EmailSender, Depends(get_email_sender)]


async def get_notification_mailer(
    request: Request, settings: SettingsDep, sender: EmailSenderDep
) -> NotificationMailer:
    """Mails the notifications a request made, after its commit (a background task of the route)."""
    return NotificationMailer(request.app.state.reader, sender, settings)


NotificationMailerDep = Annotated[NotificationMailer, Depends(get_notification_mailer)]


async def get_egress(request: Request) -> EgressPolicy:
    policy: EgressPolicy = request.app.state.egress
    return policy


EgressDep = Annotated[EgressPolicy, Depends(get_egress)]


async def get_secret_store(request: Request) -> SecretStore:
    store: SecretStore = request.app.state.secret_store
    return store


SecretStoreDep = Annotated[SecretStore, Depends(get_secret_store)]


async def get_file_store(settings: SettingsDep) -> FileStore:
    return file_store(settings)


FileStoreDep = Annotated[FileStore, Depends(get_file_store)]


async def get_router(request: Request) -> Router:
    """The API process's AI router (query embeddings, re-ranking): org keys from Vault, egress-guarded."""
    router: Router = request.app.state.router
    return router


RouterDep = Annotated[Router, Depends(get_router)]


async def get_plan_limits(request: Request) -> PlanLimits:
    limits: PlanLimits = request.app.state.limits
    return limits


PlanLimitsDep = Annotated[PlanLimits, Depends(get_plan_limits)]


async def get_ingestion(request: Request) -> IngestionDispatcher | None:
    """None without a Prefect server: documents then wait, queued, for the worker's sweeper."""
    dispatcher: IngestionDispatcher | None = request.app.state.ingestion
    return dispatcher


IngestionDep = Annotated[IngestionDispatcher | None, Depends(get_ingestion)]


async def get_export_dispatcher(request: Request) -> ExportDispatcher | None:
    """None without a Prefect server: exports then wait, pending, for the worker's sweeper."""
    gateway: PrefectGateway | None = request.app.state.gateway
    return ExportDispatcher(gateway, request.app.state.reader) if gateway is not None else None


ExportDispatcherDep = Annotated[ExportDispatcher | None, Depends(get_export_dispatcher)]
