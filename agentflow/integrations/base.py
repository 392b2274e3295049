"""The integration contract: an `IntegrationTool` per provider, its `Action`s, and the `ActionCall` an
action's code runs with (one connection's credentials, the egress-guarded client, the provider's API base).

Adding an integration (docs/integrations.md): a module in `agentflow/integrations/providers/` that defines a
subclass of `IntegrationTool` with its actions and exposes it as `TOOL`, plus one line in the registry. An
action is a pydantic params model (its JSON Schema is what the builder renders and what an AI model sees as
the tool's arguments), a result model (documented shape), and an async function `run(call, params) -> result`.

Actions never handle secrets, refresh or previews themselves: `ActionCall.request` adds the auth headers,
refreshes an expired OAuth token once on a 401, turns 429/5xx into transient errors (retried by the step's
retry policy) and other 4xx into permanent ones carrying the provider's message; in a test run every request
that is not a read (GET/HEAD) is captured instead of sent, and the action's result is that preview.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import httpx
from pydantic import BaseModel, ConfigDict

from agentflow.nodes import outbound
from agentflow.nodes.errors import PermanentStepError, TransientStepError

AuthKind = Literal["oauth2", "api_key", "token", "basic", "none"]
Category = Literal["communication", "engineering", "productivity", "crm", "data", "developer"]
READ_METHODS = frozenset({"GET", "HEAD"})
DEFAULT_TIMEOUT_SECONDS = 30.0


class Params(BaseModel):
    """Base of every action's params model: unknown fields are refused (a typo is an error, not a no-op)."""

    model_config = ConfigDict(extra="forbid")


class Result(BaseModel):
    """Base of result models (documentation of the shape an action returns; extra fields are kept)."""

    model_config = ConfigDict(extra="allow")


@dataclass(frozen=True)
class Action:
    """One thing an integration can do. `side_effect` actions (they send, create or change something) are
    previewed in test runs and can require approval when an AI model calls them."""

    name: str
    description: str
    params: type[BaseModel]
    run: Callable[[ActionCall, Any], Awaitable[Any]]
    result: type[BaseModel] | None = None
    side_effect: bool = True
    # Actions of connections whose catalog is their own (custom APIs, MCP servers) carry a ready schema.
    schema: Mapping[str, Any] | None = None

    def params_schema(self) -> dict[str, Any]:
        """JSON Schema of the params (for the builder's form and an AI tool's arguments)."""
        if self.schema is not None:
            return dict(self.schema)
        return self.params.model_json_schema()

    def result_schema(self) -> dict[str, Any] | None:
        return self.result.model_json_schema() if self.result is not None else None


@dataclass(frozen=True)
class OAuthApp:
    """How a provider does OAuth 2 (authorization code). URLs are defaults; the operator overrides them per
    provider (self-hosted instances, loopback servers in tests), and gives the client id and secret."""

    authorize_url: str
    token_url: str
    revoke_url: str | None = None
    scopes: tuple[str, ...] = ()
    pkce: bool = True  # PKCE S256 where the provider supports it
    scope_separator: str = " "
    authorize_params: Mapping[str, str] = field(default_factory=dict)  # e.g. Google's access_type=offline
    token_endpoint_auth: Literal["client_secret_post", "client_secret_basic"] = "client_secret_post"  # noqa: S105


@dataclass(frozen=True)
class ConnectionOAuth:
    """A connection's own OAuth app (a custom API's authorize and token URLs, client id and the client
    secret read from an org secret), used instead of the operator's app for that connection."""

    oauth: OAuthApp
    client_id: str
    client_secret: str | None  # None: the org secret holding it is not set


@dataclass(frozen=True)
class Field_:
    """A field of the connect form: a credential (kept in Vault) or a setting (kept on the connection)."""

    name: str
    label: str
    secret: bool = True
    required: bool = True
    description: str = ""


@dataclass(frozen=True)
class Connection:
    """What an action may know of its connection (never its credentials: those are on the ActionCall)."""

    id: str
    provider: str
    name: str
    config: Mapping[str, Any]


@dataclass(frozen=True)
class ConnectContext:
    """What `IntegrationTool.prepare` may use while a connection is made or re-checked (API side)."""

    org_id: str
    http: httpx.AsyncClient  # egress guarded
    org_secret: Callable[[str], Awaitable[str | None]]  # an org secret's value by name (`{{env.NAME}}`)


class IntegrationTool:
    """A provider. Subclasses set the class attributes and may override the hooks below."""

    name: ClassVar[str]  # provider id: `slack`, `github`, …
    label: ClassVar[str]
    description: ClassVar[str]
    category: ClassVar[Category] = "productivity"
    auth_kinds: ClassVar[tuple[AuthKind, ...]]
    scopes: ClassVar[tuple[str, ...]] = ()
    oauth: ClassVar[OAuthApp | None] = None
    api_base: ClassVar[str]  # default API base URL (overridable per deployment)
    credential_fields: ClassVar[tuple[Field_, ...]] = ()  # token / API key auth: what the connect form asks
    config_fields: ClassVar[tuple[Field_, ...]] = ()  # non-secret settings (a Jira site URL, …)
    actions: ClassVar[tuple[Action, ...]] = ()

    def actions_for(self, connection: Connection | None) -> Sequence[Action]:
        """The actions of one connection (custom APIs and MCP servers override: theirs come from config)."""
        return self.actions

    def action(self, name: str, connection: Connection | None = None) -> Action | None:
        return next((a for a in self.actions_for(connection) if a.name == name), None)

    async def prepare(
        self, ctx: ConnectContext, config: dict[str, Any], credentials: Mapping[str, str]
    ) -> dict[str, Any]:
        """Check a new connection's settings and return the config to keep on it (custom APIs import their
        OpenAPI document here, MCP connections list the server's tools into `config["actions"]`). Raise
        `agentflow.errors.ValidationFailed` for settings that cannot work (422)."""
        return config

    def org_secrets(self, connection: Connection) -> frozenset[str]:
        """Org secrets (by name) the connection's requests use; the runner reads them from Vault for the call
        and hands them over in `ActionCall.credentials` as `env.NAME` (custom API auth, MCP headers)."""
        return frozenset()

    def auth_headers(self, credentials: Mapping[str, str]) -> dict[str, str]:
        """Headers that authenticate a request; by default a bearer access token or API token."""
        token = credentials.get("access_token") or credentials.get("token") or credentials.get("api_key")
        return {"Authorization": f"Bearer {token}"} if token else {}

    def connection_config(self, token_response: Mapping[str, Any]) -> dict[str, Any]:
        """Non-secret settings taken from an OAuth token response (Salesforce's `instance_url`, Slack's
        team); kept on the connection."""
        return {}

    def api_base_for(self, api_base: str, connection: Connection) -> str:
        """The base URL requests go to (an instance URL from the connection config, by default the base)."""
        return api_base

    def error_message(self, response: httpx.Response, body: Any) -> str | None:
        """The provider's own message in an error answer, when its body has one."""
        if isinstance(body, Mapping):
            for key in ("message", "error_description", "error", "detail"):
                value = body.get(key)
                if isinstance(value, str) and value:
                    return value
                if isinstance(value, Mapping) and isinstance(value.get("message"), str):
                    return str(value["message"])
        return None

    def is_transient(self, response: httpx.Response, body: Any) -> bool:
        """A 4xx answer that is worth retrying all the same (Gmail's 403 `rateLimitExceeded`, Notion's 409
        `conflict_error`); 429 and 5xx always are."""
        return False

    def check_answer(self, response: httpx.Response, body: Any) -> None:
        """Providers that answer 200 with an error inside (Slack's `ok: false`) raise here."""

    async def connection_app(
        self, config: Mapping[str, Any], org_secret: Callable[[str], Awaitable[str | None]]
    ) -> ConnectionOAuth | None:
        """The connection's own OAuth app when its config brings one (authorization, code exchange and
        refresh then use it); None, the default: the operator's app for the provider (settings)."""
        return None

    async def test(self, call: ActionCall) -> dict[str, Any]:
        """Check the connection works (a cheap authenticated read); returns what it learned (account…)."""
        raise NotImplementedError

    async def revoke(self, call: ActionCall) -> bool:
        """Revoke the credentials at the provider; False when the provider has no such endpoint."""
        return False


class Previewed(Exception):
    """Raised by a test run's ActionCall instead of sending a request that is not a read."""

    def __init__(self, request: dict[str, Any]) -> None:
        super().__init__("previewed")
        self.request = request


class AuthExpired(PermanentStepError):
    """The provider refused the credentials even after a refresh: the connection needs to be reconnected."""


@dataclass
class ActionCall:
    """One action run against one connection. Built by the integrations runner (worker side) or the API
    (connection tests); `refresh` gives new credentials after a 401 (OAuth), once."""

    tool: IntegrationTool
    connection: Connection
    http: httpx.AsyncClient  # egress guarded
    api_base: str
    credentials: Mapping[str, str]
    preview: bool = False
    refresh: Callable[[], Awaitable[Mapping[str, str]]] | None = None
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    # The provider's OAuth endpoints as this deployment reaches them (the operator's overrides applied), for
    # hooks that call them (`revoke`, a token check); None: use the tool's defaults.
    oauth: OAuthApp | None = None

    @property
    def oauth_app(self) -> OAuthApp | None:
        return self.oauth or self.tool.oauth

    def url(self, path: str) -> str:
        if path.startswith(("https://", "http://")):
            return path
        return self.tool.api_base_for(self.api_base, self.connection).rstrip("/") + "/" + path.lstrip("/")

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: str | bytes | None = None,
        headers: Mapping[str, str] | None = None,
        auth: bool = True,
    ) -> Any:
        """Send one request through the egress guard and return its parsed body (JSON, or text)."""
        method = method.upper()
        url = self.url(path)
        if self.preview and method not in READ_METHODS:
            raise Previewed(
                {"method": method, "url": url, "query": dict(params or {}), "json": json}
                | ({"body": content if isinstance(content, str) else "<bytes>"} if content else {})
            )
        refreshed = False
        while True:
            sent_headers = {**(headers or {}), **(self.tool.auth_headers(self.credentials) if auth else {})}
            response = await outbound.send(
                self.http,
                method,
                url,
                headers=sent_headers,
                params=dict(params) if params else None,
                json=json,
                content=content,
                timeout_seconds=self.timeout_seconds,
                credential_headers=tuple(sent_headers),
            )
            if response.status == 401 and auth and self.refresh is not None and not refreshed:
                self.credentials = await self.refresh()
                refreshed = True
                continue
            break
        raw = httpx.Response(response.status, headers=response.headers)
        if response.status >= 400:
            raise self._failure(method, url, raw, response.body, refreshed=refreshed)
        self.tool.check_answer(raw, response.body)
        return response.body

    def _failure(
        self, method: str, url: str, raw: httpx.Response, body: Any, *, refreshed: bool
    ) -> Exception:
        status = raw.status_code
        detail = self.tool.error_message(raw, body) or f"HTTP {status}"
        message = f"{self.tool.label} {method} {url.split('?')[0]}: {detail}"
        output = {"error": message, "status": status, "body": body}
        if status == 429 or status >= 500 or (status != 401 and self.tool.is_transient(raw, body)):
            retry_after = raw.headers.get("retry-after")
            if retry_after:
                output["retry_after"] = retry_after
            code = "rate_limit" if status == 429 else f"http_{status}"
            return TransientStepError(message, output=output, code=code)
        if status == 401:
            return AuthExpired(message, output=output, code="auth")
        return PermanentStepError(message, output=output, code=f"http_{status}")
