"""Walks every route the app serves: unauthenticated → 401, wrong role → 403, another org's id → 404.

A new route is covered automatically; a route with a path parameter or id field the resolver does not
know fails loudly until someone teaches `OrgResources` how to create that resource.
"""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, APIWebSocketRoute
from pydantic import BaseModel
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.agents.schemas import EXAMPLE_DEFINITION, AgentCreate, AgentUpdate
from agentflow.agents.service import agent_service
from agentflow.ai.provider_settings import ProviderSettingsIn, provider_settings_service
from agentflow.api_keys.schemas import APIKeyCreate
from agentflow.api_keys.service import api_key_service
from agentflow.config import Settings
from agentflow.egress import EgressPolicy, guarded_client
from agentflow.email.sender import ConsoleSender
from agentflow.engine.gateway import PrefectGateway
from agentflow.executions.service import execution_service
from agentflow.executions.triggers import trigger_service
from agentflow.exports.storage import export_key, export_store
from agentflow.integrations.schemas import ConnectBody
from agentflow.integrations.service import Services, integration_service
from agentflow.knowledge.documents import IncomingFile, document_service
from agentflow.knowledge.schemas import KnowledgeBaseCreate
from agentflow.knowledge.service import knowledge_base_service
from agentflow.knowledge.storage import file_store
from agentflow.members.schemas import InviteRequest
from agentflow.members.service import member_service
from agentflow.models import Agent, AuditLog, Export, SSOConnection, TriggeredBy
from agentflow.notifications.kinds import Notice, NotificationKind, Recipients
from agentflow.notifications.service import notification_service
from agentflow.rbac import ROLE_PERMISSIONS, Permission, Role
from agentflow.roles.schemas import RoleCreate
from agentflow.roles.service import role_service
from agentflow.secrets.schemas import SecretCreate
from agentflow.secrets.service import secret_service
from agentflow.secrets.store import SecretStore
from agentflow.teams.schemas import TeamCreate
from agentflow.teams.service import team_service
from agentflow.webhooks_out.schemas import WebhookEndpointCreate
from agentflow.webhooks_out.service import webhook_endpoint_service
from api.app import API_PREFIX, ROUTERS, create_app
from api.bodies import DocumentBody
from api.deps import Authorize, AuthorizeStream
from tests.factories import NO_LIMITS, Member, add_custom_role_member, add_member, create_org_with_owner
from tests.support.outside import outside_server

# Routes anyone may call: they authenticate by what they carry (password, cookie, invitation token).
PUBLIC = {
    ("GET", "/health"),
    ("POST", "/auth/signup"),
    ("POST", "/auth/login"),
    ("POST", "/auth/refresh"),
    ("POST", "/auth/logout"),
    ("GET", "/invitations/{token}"),
    ("POST", "/invitations/{token}/accept"),
    ("GET", "/schemas/agent-definition"),
    ("GET", "/schemas/node-types"),
    ("POST", "/hooks/{token}"),  # the token in the URL is the credential (tests/engine cover it)
    # The OAuth provider sends the browser back here; the single-use state is the credential
    # (tests/api/test_integrations_oauth.py).
    ("GET", "/integrations/oauth/callback"),
    # Stripe's signature of the raw body is the credential (tests/api/test_billing_stripe.py).
    ("POST", "/billing/webhook"),
    # An export's download link: its token is the credential (tests/api/test_exports.py covers another
    # org's export, expiry and rotation).
    ("GET", "/exports/{export_id}/download"),
    # SSO sign-in: a redirect to the IdP, and back with WorkOS's code and our signed, browser-bound state;
    # WorkOS's signature is the directory webhook's credential (tests/api/test_sso*.py).
    ("GET", "/auth/sso/authorize"),
    ("GET", "/auth/sso/callback"),
    ("POST", "/auth/sso/webhook"),
}
# Paths whose parameter names something every org shares (a provider of the integrations catalog), not an
# org's resource: there is no "another org's" one to refuse. What they create is the caller's own.
SHARED_PATH_NAMES = {("POST", "/integrations/{integration}/connect")}
# Routes whose success needs a run in a state only the engine produces (a paused approval, a failed run):
# for the owner they answer this conflict here; tests/engine drive them through real runs.
NEEDS_ENGINE_STATE = {
    ("POST", "/executions/{execution_id}/approve"): 409,
    ("POST", "/executions/{execution_id}/retry"): 409,
    ("POST", "/agents/{agent_id}/webhook/rotate"): 409,  # the resolver's agent has no webhook trigger
    # Billing is off in these tests (no Stripe key): tests/api/test_billing_stripe.py turns it on.
    ("POST", "/billing/subscribe"): 409,
    ("POST", "/billing/portal"): 409,
    # SSO is off in these tests (no WorkOS key): tests/api/test_sso.py turns it on.
    ("PUT", "/org/sso"): 503,
}
# Streams answer until their execution ends: for the owner, the resolver's execution is ended first, so the
# stream replays its events and ends. Live streams (and the WebSocket, which this walk cannot open) are
# covered by tests/engine/test_stream_access.py and test_triggers.py.
STREAMS = {("GET", "/executions/{execution_id}/stream")}
# Multipart uploads: sent with a small Markdown file in the part the route reads.
UPLOADS = {("POST", "/knowledge-bases/{kb_id}/documents")}
UPLOAD_FILES = [("files", ("notes.md", b"# Notes\n\nThe route table uploads this.", "text/markdown"))]
# Bodies naming a URL to fetch: pointed at a loopback page (the test settings allow loopback egress).
FETCHES = {("POST", "/knowledge-bases/{kb_id}/documents/url"), ("POST", "/org/webhooks")}
_outside: dict[str, str] = {}


@pytest.fixture(scope="module", autouse=True)
def outside_page() -> Iterator[None]:
    with outside_server() as server:
        _outside["url"] = server.url
        yield


def body_kwargs(method: str, route: APIRoute, body: dict[str, Any] | None) -> dict[str, Any]:
    """How the request carries its body: JSON, or the upload's multipart file."""
    if (method, route.path) in UPLOADS:
        return {"files": UPLOAD_FILES}
    return {"json": body}


# Routes that need a caller but no particular permission (they act on the caller's own identity).
IDENTITY_ONLY = {("GET", "/auth/me"), ("POST", "/auth/switch-org")}


def routes() -> Iterator[tuple[str, APIRoute]]:
    for router in ROUTERS:
        for route in router.routes:
            if isinstance(route, APIWebSocketRoute):
                continue  # the WebSocket stream: the same AuthorizeStream as its SSE twin, tested apart
            assert isinstance(route, APIRoute)
            for method in sorted(route.methods):
                yield method, route


def route_id(item: tuple[str, APIRoute]) -> str:
    return f"{item[0]} {item[1].path}"


ALL = list(routes())
PROTECTED = [r for r in ALL if (r[0], r[1].path) not in PUBLIC]


def required_permission(route: APIRoute) -> Permission | None:
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        if isinstance(dep.call, Authorize | AuthorizeStream):
            return dep.call.permission
        stack.extend(dep.dependencies)
    return None


def body_model(route: APIRoute) -> type[BaseModel] | None:
    """The body's model: a plain body parameter, or a `DocumentBody` dependency (JSON, YAML or a file)."""
    if route.dependant.body_params:
        model = route.dependant.body_params[0].field_info.annotation
        assert isinstance(model, type) and issubclass(model, BaseModel)
        return model
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        if isinstance(dep.call, DocumentBody):
            return dep.call.model
        stack.extend(dep.dependencies)
    return None


def example_body(route: APIRoute) -> dict[str, Any] | None:
    model = body_model(route)
    if model is None:
        return None
    extra = model.model_config.get("json_schema_extra")
    assert isinstance(extra, dict) and extra.get("examples"), f"{model.__name__} needs an example body"
    return copy.deepcopy(dict(extra["examples"][0]))


def example_query(route: APIRoute) -> dict[str, Any]:
    """Required query parameters, from their declared `examples`."""
    query: dict[str, Any] = {}
    for param in route.dependant.query_params:
        if param.field_info.is_required():
            examples = param.field_info.examples
            assert examples, f"{route.path}: required query parameter {param.alias!r} needs examples=[...]"
            query[param.alias] = examples[0]
    return query


class OrgResources:
    """Creates, on demand, a fresh resource of each kind in one org and returns its id."""

    def __init__(self, session: AsyncSession, settings: Settings, owner: Member) -> None:
        self.session, self.settings, self.owner = session, settings, owner
        self.resolved: dict[str, str] = {}
        # Set for the streams: executions are cancelled through it once created (a stream of an ended
        # execution replays its events and ends by itself).
        self.ending_gateway: PrefectGateway | None = None

    async def resolve(self, name: str) -> str:
        self.resolved[name] = await self._create(name)
        return self.resolved[name]

    async def _create(self, name: str) -> str:
        subject = self.owner.subject
        match name:
            case "team_id":
                team = await team_service.create(
                    self.session, subject=subject, body=TeamCreate(name=f"team-{uuid.uuid4().hex[:8]}")
                )
                return str(team.id)
            case "user_id":
                member = await add_member(self.session, self.settings, self.owner.org_id, Role.editor)
                if "team_id" in self.resolved:  # /teams/{team_id}/members/{user_id}: make them related
                    await team_service.add_member(
                        self.session,
                        subject=subject,
                        team_id=uuid.UUID(self.resolved["team_id"]),
                        user_id=member.user_id,
                    )
                return str(member.user_id)
            case "key_id":
                created = await api_key_service.create(
                    self.session, subject=subject, body=APIKeyCreate(name="k")
                )
                return str(created.api_key.id)
            case "invitation_id":
                invited = await member_service.invite(
                    self.session,
                    self.settings,
                    ConsoleSender(),
                    limits=NO_LIMITS,
                    subject=subject,
                    body=InviteRequest.model_validate({"email": f"{uuid.uuid4().hex[:8]}@example.com"}),
                )
                return str(invited.invitation.id)
            case "org_id":
                return str(self.owner.org_id)
            case "role_id":  # a custom role of this org
                role = await role_service.create(
                    self.session,
                    subject=subject,
                    body=RoleCreate(
                        name=f"role-{uuid.uuid4().hex[:8]}", permissions=[Permission.agents_read]
                    ),
                )
                return str(role.id)
            case "agent_id":
                return str(await self._agent_with_history())
            case "provider":  # /org/providers/{provider}: settings stored for this org
                await provider_settings_service.put(
                    self.session,
                    SecretStore.from_settings(self.settings),
                    subject=subject,
                    body=ProviderSettingsIn(provider="ollama", base_url="http://127.0.0.1:9/"),
                )
                return "ollama"
            case "execution_id":  # a queued run of a published agent
                agent_id = await self._agent_with_history()
                agent = await agent_service.get(self.session, subject=subject, agent_id=agent_id)
                execution = await trigger_service.start(
                    self.session,
                    limits=NO_LIMITS,
                    agent=agent,
                    triggered_by=TriggeredBy.manual,
                    input={"text": "hi"},
                    user_id=self.owner.user_id,
                )
                if self.ending_gateway is not None:
                    await self.session.flush()
                    await execution_service.cancel(
                        self.session, self.ending_gateway, subject=subject, execution_id=execution.id
                    )
                    await self.session.flush()
                return str(execution.id)
            case "kb_id":  # a knowledge base of this org
                kb = await knowledge_base_service.create(
                    self.session, subject=subject, body=KnowledgeBaseCreate(name=f"kb-{uuid.uuid4().hex[:6]}")
                )
                return str(kb.id)
            case "doc_id":  # a document in the knowledge base resolved for the same path
                kb_id = uuid.UUID(self.resolved["kb_id"])
                (document,) = await document_service.add_files(
                    self.session,
                    file_store(self.settings),
                    self.settings,
                    limits=NO_LIMITS,
                    subject=subject,
                    kb_id=kb_id,
                    incoming=[IncomingFile("faq.md", b"# FAQ\n\nQuestions and answers.")],
                )
                return str(document.id)
            case "integration":  # /integrations/{integration}/connect: a provider of the catalog
                return "github"
            case "connection_id":  # a GitHub connection (token auth) of this org
                async with guarded_client(EgressPolicy.from_settings(self.settings)) as http:
                    services = Services(
                        store=SecretStore.from_settings(self.settings),
                        settings=self.settings,
                        policy=EgressPolicy.from_settings(self.settings),
                        http=http,
                    )
                    connection = await integration_service.connect(
                        self.session,
                        services,
                        subject=subject,
                        provider="github",
                        body=ConnectBody(
                            name=f"gh-{uuid.uuid4().hex[:6]}", credentials={"token": "ghp_route"}
                        ),
                    )
                assert not isinstance(connection, str)
                return str(connection.id)
            case "notification_id":  # one of this org owner's own notifications
                made = await notification_service.notify(
                    self.session,
                    org_id=self.owner.org_id,
                    recipients=Recipients.users([self.owner.user_id]),
                    notice=Notice(
                        kind=NotificationKind.payment_failed,
                        title="A payment failed",
                        body="",
                        link="/settings/billing",
                        dedupe_key=f"route-table:{uuid.uuid4()}",
                        email=False,
                    ),
                )
                return str(made[0])
            case "endpoint_id":  # an outbound webhook endpoint of this org (its secret in Vault)
                endpoint, _ = await webhook_endpoint_service.create(
                    self.session,
                    SecretStore.from_settings(self.settings),
                    EgressPolicy.from_settings(self.settings),
                    subject=subject,
                    body=WebhookEndpointCreate.model_validate(
                        {"url": f"{_outside['url']}/hook", "events": ["execution.completed"]}
                    ),
                    max_endpoints=self.settings.webhook_max_endpoints,
                )
                return str(endpoint.id)
            case "delivery_id":  # a delivery of the endpoint resolved for the same path
                delivery = await webhook_endpoint_service.send_test(
                    self.session, subject=subject, endpoint_id=uuid.UUID(self.resolved["endpoint_id"])
                )
                return str(delivery.id)
            case "export_id":  # a finished export of this org, its file in the store
                export = Export(
                    org_id=self.owner.org_id,
                    requested_by=self.owner.user_id,
                    kind="executions",
                    format="csv",
                    range_start=datetime(2026, 1, 1, tzinfo=UTC),
                    range_end=datetime(2026, 2, 1, tzinfo=UTC),
                    status="succeeded",
                    row_count=0,
                    size_bytes=3,
                    expires_at=datetime.now(UTC) + timedelta(hours=1),
                )
                self.session.add(export)
                await self.session.flush()
                export.file_key = export_key(self.owner.org_id, export.id, "csv")
                await export_store(self.settings).put(export.file_key, b"id\n")
                await self.session.flush()
                return str(export.id)
            case "workos_organization_id":  # the WorkOS organization this org's SSO is connected to
                workos_org = f"org_01ROUTE{uuid.uuid4().hex[:16].upper()}"
                self.session.add(SSOConnection(org_id=self.owner.org_id, workos_organization_id=workos_org))
                await self.session.flush()
                return workos_org
            case "number" | "a":
                return "1"
            case "b":
                return "2"
            case "audit_log_id" | "resource_id":  # an audit entry of this org (its id, or what it names)
                entry = AuditLog(
                    org_id=self.owner.org_id,
                    actor_type="system",
                    action="team.created",
                    resource_type="team",
                    resource_id=str(uuid.uuid4()),
                    details={},
                )
                self.session.add(entry)
                await self.session.flush()
                return str(entry.id) if name == "audit_log_id" else str(entry.resource_id)
            case "name":  # /org/secrets/{name}: a real secret (value in Vault) of this org
                secret = await secret_service.create(
                    self.session,
                    SecretStore.from_settings(self.settings),
                    subject=subject,
                    body=SecretCreate.model_validate(
                        {"name": f"ROUTE_TABLE_{uuid.uuid4().hex[:8].upper()}", "value": "route-table"}
                    ),
                )
                return secret.name
        raise AssertionError(f"Teach OrgResources to create a {name!r} for the route-table tests")

    async def _agent_with_history(self) -> uuid.UUID:
        """An agent with versions 1 and 2 and a draft that differs from both, at draft revision 3.

        So every agent route's example works as is: publish has something new, rollback to 1 changes what
        runs, diff 1 → 2 exists, and AgentUpdate's example (`"revision": 3`) is current.
        """
        subject = self.owner.subject
        created = await agent_service.create(
            self.session,
            limits=NO_LIMITS,
            subject=subject,
            body=AgentCreate(name="Triage", definition=EXAMPLE_DEFINITION),
        )
        for prompt in ("Label this ticket: {{start.output.body.text}}", "Sort: {{start.output.body.text}}"):
            await agent_service.publish(self.session, subject=subject, agent_id=created.id, message="")
            definition = copy.deepcopy(EXAMPLE_DEFINITION)
            definition["nodes"][1]["config"]["prompt"] = prompt
            await agent_service.update(
                self.session,
                subject=subject,
                agent_id=created.id,
                body=AgentUpdate(definition=definition),
                if_match=created.draft_revision,
            )
        assert created.draft_revision == 3
        return created.id


async def build_request(
    method: str, route: APIRoute, path_ids: OrgResources, body_ids: OrgResources
) -> tuple[str, dict[str, Any] | None]:
    """The path with ids filled in (required query parameters appended) and the example body."""
    path = route.path
    for name in re.findall(r"{(\w+)}", route.path):
        path = path.replace(f"{{{name}}}", await path_ids.resolve(name))
    body = example_body(route)
    if body is not None and (method, route.path) in FETCHES:
        body["url"] = f"{_outside['url']}/handbook.html"
    if body is not None:
        for key, value in list(body.items()):
            if key.endswith("_id") and isinstance(value, str):
                body[key] = await body_ids.resolve(key)
    query = example_query(route)
    if query:
        path = f"{path}?{urlencode(query)}"
    return path, body


def has_ids(route: APIRoute) -> bool:
    body = example_body(route) or {}
    return "{" in route.path or any(k.endswith("_id") for k in body)


def test_every_served_route_is_in_the_table() -> None:
    app = create_app(configure_logs=False)
    served = {
        (method.upper(), path.removeprefix(API_PREFIX))
        for path, ops in app.openapi()["paths"].items()
        for method in ops
    }
    assert served == {(m, r.path) for m, r in ALL}


def test_every_protected_route_declares_a_permission_or_is_identity_only() -> None:
    for method, route in PROTECTED:
        if (method, route.path) not in IDENTITY_ONLY:
            assert required_permission(route) is not None, f"{method} {route.path} has no Authorize(...)"


@pytest.mark.parametrize("item", PROTECTED, ids=route_id)
async def test_unauthenticated_is_401(
    item: tuple[str, APIRoute],
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    owner: Member,
) -> None:
    method, route = item
    own = OrgResources(session, settings, owner)
    path, body = await build_request(method, route, own, own)
    response = await client.request(method, path, **body_kwargs(method, route, body))
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "not_authenticated"


ROLE_CASES = [
    (method, route, role)
    for method, route in PROTECTED
    if (permission := required_permission(route)) is not None
    for role in Role
    if permission not in ROLE_PERMISSIONS[role]
]


@pytest.mark.parametrize(
    ("method", "route", "role"), ROLE_CASES, ids=[f"{m} {r.path} as {role}" for m, r, role in ROLE_CASES]
)
async def test_wrong_role_is_403(
    method: str,
    route: APIRoute,
    role: Role,
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    owner: Member,
) -> None:
    caller = await add_member(session, settings, owner.org_id, role)
    own = OrgResources(session, settings, owner)
    path, body = await build_request(method, route, own, own)
    response = await client.request(method, path, headers=caller.headers, **body_kwargs(method, route, body))
    assert response.status_code == 403, response.text


CUSTOM_ROLE_CASES = [
    (method, route, permission)
    for method, route in PROTECTED
    if (permission := required_permission(route)) is not None
]


@pytest.mark.parametrize(
    ("method", "route", "permission"),
    CUSTOM_ROLE_CASES,
    ids=[f"{m} {r.path} without {p}" for m, r, p in CUSTOM_ROLE_CASES],
)
async def test_a_custom_role_lacking_the_permission_is_403(
    method: str,
    route: APIRoute,
    permission: Permission,
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    owner: Member,
) -> None:
    """A custom role holding every permission but the route's own is refused, as a built-in role is."""
    caller = await add_custom_role_member(session, settings, owner.org_id, set(Permission) - {permission})
    own = OrgResources(session, settings, owner)
    path, body = await build_request(method, route, own, own)
    response = await client.request(method, path, headers=caller.headers, **body_kwargs(method, route, body))
    assert response.status_code == 403, response.text


@pytest.mark.parametrize("item", PROTECTED, ids=route_id)
async def test_owner_succeeds_on_own_resources(
    item: tuple[str, APIRoute],
    app: FastAPI,
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    owner: Member,
) -> None:
    """The positive control: the same requests that must fail for others succeed for the owner."""
    method, route = item
    own = OrgResources(session, settings, owner)
    stream = (method, route.path) in STREAMS
    if stream:
        own.ending_gateway = app.state.gateway
    path, body = await build_request(method, route, own, own)
    response = await client.request(method, path, headers=owner.headers, **body_kwargs(method, route, body))
    if stream:
        assert response.status_code == 200, response.text
        assert "event: execution.cancelled" in response.text
        return
    expected_conflict = NEEDS_ENGINE_STATE.get((method, route.path))
    if expected_conflict is not None:
        assert response.status_code == expected_conflict, f"{method} {path}: {response.text}"
        return
    assert response.status_code < 400, f"{method} {path}: {response.status_code} {response.text}"


CROSS_TENANT = [
    item for item in PROTECTED if has_ids(item[1]) and (item[0], item[1].path) not in SHARED_PATH_NAMES
]


@pytest.mark.parametrize("item", CROSS_TENANT, ids=route_id)
async def test_another_orgs_id_is_404(
    item: tuple[str, APIRoute],
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    owner: Member,
) -> None:
    method, route = item
    other_owner = await create_org_with_owner(session, settings, name="Org B Secret Name")
    theirs = OrgResources(session, settings, other_owner)
    own = OrgResources(session, settings, owner)
    path_ids, body_ids = (theirs, own) if "{" in route.path else (theirs, theirs)
    path, body = await build_request(method, route, path_ids, body_ids)
    response = await client.request(method, path, headers=owner.headers, **body_kwargs(method, route, body))
    assert response.status_code == 404, f"{method} {path}: {response.status_code} {response.text}"
    assert other_owner.org_name not in response.text and other_owner.email not in response.text


# Per-agent access: every route reaching one agent or its execution, called by an editor (whose role allows
# the route) on a restricted agent they have no grant for, answers 404, as for another org's agent.
RESTRICTED_AGENT_ROUTES = [
    item
    for item in PROTECTED
    if {"agent_id", "execution_id"} & set(re.findall(r"{(\w+)}", item[1].path))
    and (permission := required_permission(item[1])) is not None
    and permission in ROLE_PERMISSIONS[Role.editor]
]


@pytest.mark.parametrize("item", RESTRICTED_AGENT_ROUTES, ids=route_id)
async def test_a_restricted_agent_is_404_without_a_grant(
    item: tuple[str, APIRoute],
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    owner: Member,
) -> None:
    method, route = item
    editor = await add_member(session, settings, owner.org_id, Role.editor)
    own = OrgResources(session, settings, owner)
    path, body = await build_request(method, route, own, own)
    await session.execute(update(Agent).where(Agent.org_id == owner.org_id).values(restricted=True))
    response = await client.request(method, path, headers=editor.headers, **body_kwargs(method, route, body))
    assert response.status_code == 404, f"{method} {path}: {response.status_code} {response.text}"
    assert response.json()["error"]["code"] == "not_found"


def query_ids(route: APIRoute) -> list[str]:
    """Optional query parameters naming a resource (`agent_id`, `team_id`), sub-dependencies included."""
    found, stack = [], [route.dependant]
    while stack:
        dependant = stack.pop()
        found += [p.alias for p in dependant.query_params if p.alias.endswith("_id")]
        stack.extend(dependant.dependencies)
    return sorted(set(found))


BODY_IDS_WITH_PATH_IDS = [
    item
    for item in PROTECTED
    if "{" in item[1].path and any(k.endswith("_id") for k in example_body(item[1]) or {})
]


@pytest.mark.parametrize("item", BODY_IDS_WITH_PATH_IDS, ids=route_id)
async def test_another_orgs_id_in_the_body_is_404_beside_own_path_ids(
    item: tuple[str, APIRoute],
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    owner: Member,
) -> None:
    """Own resource in the path, another org's in the body (e.g. their user into our team): not found."""
    method, route = item
    other_owner = await create_org_with_owner(session, settings, name="Org B Secret Name")
    own, theirs = OrgResources(session, settings, owner), OrgResources(session, settings, other_owner)
    path, body = await build_request(method, route, own, theirs)
    response = await client.request(method, path, json=body, headers=owner.headers)
    assert response.status_code == 404, f"{method} {path}: {response.status_code} {response.text}"
    assert other_owner.org_name not in response.text and other_owner.email not in response.text


# Lists named otherwise than `/<kind>s`; exports answer CSV (tests/api/test_audit_log.py checks theirs).
LISTED_KINDS = {"/org/audit-logs": "audit_log_id"}
NOT_JSON_LISTS = {"/org/audit-logs/export"}
LISTS_WITH_ID_FILTERS = [
    (m, r)
    for m, r in PROTECTED
    if m == "GET" and "{" not in r.path and query_ids(r) and r.path not in NOT_JSON_LISTS
]


@pytest.mark.parametrize("item", LISTS_WITH_ID_FILTERS, ids=route_id)
async def test_lists_never_return_another_orgs_rows(
    item: tuple[str, APIRoute],
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    owner: Member,
) -> None:
    """Filtering a list by another org's id finds nothing of theirs; the unfiltered list holds none either."""
    _, route = item
    other_owner = await create_org_with_owner(session, settings, name="Org B Secret Name")
    own, theirs = OrgResources(session, settings, owner), OrgResources(session, settings, other_owner)
    # /agents lists agents: agent_id
    listed_kind = LISTED_KINDS.get(route.path, route.path.strip("/").removesuffix("s") + "_id")
    their_row = await theirs.resolve(listed_kind)
    for name in query_ids(route):
        their_id, own_id = await theirs.resolve(name), await own.resolve(name)
        filtered = await client.get(route.path, params={name: their_id}, headers=owner.headers)
        assert filtered.status_code in (200, 404), filtered.text
        if filtered.status_code == 200:
            assert filtered.json()["items"] == [], f"{route.path}?{name}=<theirs> returned rows"
        everything = (await client.get(route.path, headers=owner.headers)).json()["items"]
        ids = {str(row.get("id")) for row in everything} | {str(row.get(name)) for row in everything}
        assert their_id not in ids and their_row not in ids
        mine = await client.get(route.path, params={name: own_id}, headers=owner.headers)
        assert mine.status_code == 200, mine.text  # the positive control: the filter itself works
    assert other_owner.org_name not in filtered.text
