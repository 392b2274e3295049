"""The FastAPI application factory."""

from __future__ import annotations

import gc
import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from prefect.client.orchestration import PrefectClient

import agentflow
from agentflow.ai.wiring import OrgSettingsPolicies, VaultCredentials
from agentflow.audit import capture as audit_capture
from agentflow.auth.cache import AuthCache, AuthInvalidationListener
from agentflow.billing.limits import PlanLimits
from agentflow.billing.stripe_client import stripe_client
from agentflow.billing.webhooks import MAX_WEBHOOK_BYTES
from agentflow.config import Settings, get_settings
from agentflow.db import create_engine, create_sessionmaker
from agentflow.egress import EgressPolicy
from agentflow.engine.control.dispatch import Dispatcher
from agentflow.engine.control.hub import EventHub
from agentflow.engine.gateway import PrefectGateway
from agentflow.gate.gate import request_gate
from agentflow.integrations.custom.config import MAX_DOCUMENT_BYTES
from agentflow.kit.fastread import PoolReader
from agentflow.knowledge.dispatch import IngestionDispatcher
from agentflow.logs import configure_logging
from agentflow.notifications.billing_alerts import notify_crossing
from agentflow.providers.router import Router
from agentflow.secrets.store import SecretStore
from agentflow.sso.client import workos_client
from api import streams
from api.errors import install_error_handlers
from api.mcp import McpEndpoint
from api.middleware.audit import AuditMiddleware
from api.middleware.body_limit import BodyLimitMiddleware
from api.middleware.json_depth import JSONDepthMiddleware
from api.middleware.rate_limit_headers import RateLimitHeadersMiddleware
from api.middleware.request_id import RequestIDMiddleware
from api.middleware.security_headers import SecurityHeadersMiddleware
from api.routers import (
    agent_access,
    agents,
    analytics,
    api_keys,
    audit,
    auth,
    billing,
    billing_limits,
    executions,
    exports,
    health,
    hooks,
    integrations,
    invitations,
    knowledge,
    notifications,
    org,
    org_webhooks,
    providers,
    roles,
    schemas,
    secrets,
    sso,
    teams,
)
from api.spa import mount_ui

API_PREFIX = "/api/v1"


# Every router, in one place: the app mounts them and the route-table tests walk them (the streams too: their
# refusals answer before any event, and a stream of an ended execution ends by itself).
ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    auth.router,
    org.router,
    roles.router,
    api_keys.router,
    secrets.router,
    providers.router,
    invitations.router,
    teams.router,
    knowledge.router,
    integrations.router,
    agents.router,
    agent_access.router,
    schemas.router,
    executions.router,
    analytics.router,
    hooks.router,
    streams.router,
    notifications.router,
    billing_limits.router,
    billing.router,
    org_webhooks.router,
    exports.router,
    sso.router,
    audit.router,
)


def create_app(settings: Settings | None = None, *, configure_logs: bool = True) -> FastAPI:
    """Build the app; the engine and HTTP client live for the app's lifespan."""
    settings = settings or get_settings()
    settings.refuse_insecure()  # before anything starts: a public API must not run on the published key
    if configure_logs:
        configure_logging(json=settings.log_json, level=settings.log_level)
    app = FastAPI(
        title="AgentFlow API",
        version=agentflow.__version__,
        description="Build, publish and run AI agent workflows. Authenticate with `Authorization: Bearer "
        "<access token or af_ API key>` or `X-API-Key: af_…`.",
        lifespan=_lifespan,
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=f"{API_PREFIX}/redoc",
        openapi_url=f"{API_PREFIX}/openapi.json",
    )
    _attach_services(app, settings)
    install_error_handlers(app)
    _mount_routes(app)
    _add_middleware(app, settings)
    return app


def _attach_services(app: FastAPI, settings: Settings) -> None:
    """What needs no connection, so the app is usable (and testable) before its lifespan starts."""
    app.state.settings = settings
    audit_capture.install()  # every mutation's changes are collected for its audit entry
    # Vault is reached lazily (no connection here): the API starts, and serves, while Vault is down.
    app.state.secret_store = SecretStore.from_settings(settings)
    # The API's own outbound calls (provider checks) pass the same guard as the worker's.
    app.state.egress = EgressPolicy.from_settings(settings)
    app.state.mcp = McpEndpoint(settings)
    # Plan limits (nothing is checked with billing off); keeps this process's executions counts.
    app.state.limits = PlanLimits.from_settings(settings, notifier=notify_crossing)
    # IP allowlists and rate limits of authenticated requests (counters in Postgres or Redis).
    app.state.gate = request_gate(settings, lambda: app.state.reader)
    # Billing is on only with a Stripe key; the client sends through the same egress guard.
    app.state.stripe = stripe_client(settings, app.state.egress) if settings.billing_enabled else None
    # SSO is on only with WorkOS credentials; the SDK sends through the same egress guard.
    app.state.workos = workos_client(settings, app.state.egress)


def _mount_routes(app: FastAPI) -> None:
    for router in ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    app.router.routes.append(app.state.mcp.route())  # the MCP server: not an APIRoute, no OpenAPI entry
    # After every API route: the web builder's files, and index.html for its client-side routes.
    mount_ui(app, api_prefix="/api")


def _add_middleware(app: FastAPI, settings: Settings) -> None:
    """Added last = outermost: request ids wrap everything, including 413s from the body limit, which in
    turn bounds what the JSON depth check buffers."""
    # Innermost: a request refused before its route (413, 401) has no entry to write anyway.
    app.add_middleware(AuditMiddleware, api_prefix=API_PREFIX)
    app.add_middleware(JSONDepthMiddleware)
    app.add_middleware(RateLimitHeadersMiddleware)
    # Uploads carry up to the per-upload file count at the per-file limit (plus multipart framing).
    upload_bytes = settings.knowledge_max_file_bytes * settings.knowledge_max_files_per_upload + 65_536
    uploads = re.compile(
        API_PREFIX + knowledge.router.prefix + knowledge.UPLOAD_PATH.replace("{kb_id}", "[^/]+")
    )
    # A custom API connection may carry its OpenAPI document (the connector bounds it; pretty-printed JSON
    # of a document at that bound is about twice its size).
    openapi_connect = re.compile(API_PREFIX + "/integrations/custom_api/connect")
    # Stripe's events (an invoice with many lines) may exceed a small API body limit.
    stripe_webhook = re.compile(API_PREFIX + billing.router.prefix + billing.WEBHOOK_PATH)
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        overrides=[
            (uploads, upload_bytes),
            (openapi_connect, 2 * MAX_DOCUMENT_BYTES),
            (stripe_webhook, MAX_WEBHOOK_BYTES),
        ],
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Request-ID", "ETag"],
        )
    # Swagger UI and ReDoc pages (and Swagger's OAuth2 redirect) run CDN scripts: they get the docs policy.
    docs = [p for p in (app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url) if p]
    app.add_middleware(SecurityHeadersMiddleware, docs_paths=docs, hsts=settings.public_url_is_https)
    app.add_middleware(RequestIDMiddleware)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Connections for the app's lifetime, closed in reverse order of opening (also when a later one
    fails to open)."""
    settings: Settings = app.state.settings
    async with AsyncExitStack() as stack:
        stack.callback(app.state.secret_store.close)
        await _open_database(app, settings, stack)
        await _start_listeners(app, settings, stack)
        # Health checks of the stack's own services only; tenants' calls go through the egress guard.
        app.state.http = await stack.enter_async_context(httpx.AsyncClient())
        await _connect_prefect(app, settings, stack)
        await stack.enter_async_context(app.state.mcp.manager.run())
        _freeze_startup_objects()
        yield


async def _open_database(app: FastAPI, settings: Settings, stack: AsyncExitStack) -> None:
    engine = create_engine(settings)
    stack.push_async_callback(engine.dispose)
    app.state.engine = engine
    app.state.sessionmaker = create_sessionmaker(engine)
    app.state.read_sessionmaker = create_sessionmaker(engine, autocommit=True)
    # The hot path's reads (authentication, streams) on their own asyncpg pool: see kit/fastread.py.
    app.state.reader = await PoolReader.connect(settings.database_url, max_size=settings.database_pool_size)
    stack.push_async_callback(app.state.reader.close)
    app.state.router = Router(
        VaultCredentials(app.state.secret_store),
        egress=app.state.egress,
        policies=OrgSettingsPolicies(app.state.reader),
    )
    stack.push_async_callback(app.state.router.aclose)


async def _start_listeners(app: FastAPI, settings: Settings, stack: AsyncExitStack) -> None:
    """The two LISTEN connections: execution events for the streams, credential changes for the cache."""
    events = EventHub(settings.database_url)
    await events.start()
    stack.push_async_callback(events.stop)
    app.state.events = events
    auth_cache = AuthCache(ttl=settings.auth_cache_ttl_seconds)
    auth_listener = AuthInvalidationListener(settings.database_url, auth_cache)
    stack.push_async_callback(auth_listener.stop)
    if settings.auth_cache_ttl_seconds > 0:
        await auth_listener.start()
        app.state.auth_cache = auth_cache


async def _connect_prefect(app: FastAPI, settings: Settings, stack: AsyncExitStack) -> None:
    """Runs need a Prefect server; without one the app serves everything else (runs answer 503)."""
    app.state.gateway = app.state.dispatcher = app.state.ingestion = None
    if not settings.prefect_api_url:
        return
    auth = settings.prefect_api_auth_string
    prefect = await stack.enter_async_context(
        PrefectClient(api=settings.prefect_api_url, auth_string=auth.get_secret_value() if auth else None)
    )
    app.state.gateway = PrefectGateway(prefect, work_pool=settings.work_pool)
    app.state.dispatcher = Dispatcher(app.state.gateway, app.state.reader)
    app.state.ingestion = IngestionDispatcher(app.state.gateway, app.state.reader)


def _freeze_startup_objects() -> None:
    """Everything loaded so far (Prefect, pydantic models, the routes) lives as long as the process: moved
    out of the collector's reach, a full collection no longer walks it, which was a tail-latency stall of
    tens of milliseconds under load."""
    gc.freeze()
    gc.set_threshold(20_000, 50, 100)
