"""The custom API connector: any HTTP API, with actions defined by hand (method, path template, query,
body) or imported from an OpenAPI 3 document, and its auth (none, bearer, basic, API key, OAuth2) from an
org secret.

An action's `params` hold its path and query parameters by name and `body` for the JSON body; path
parameters are URL-quoted whole, so a value can never leave its path segment.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import pydantic
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from pydantic import BaseModel, ConfigDict

from agentflow.errors import ValidationFailed
from agentflow.integrations.base import (
    READ_METHODS,
    Action,
    ActionCall,
    AuthExpired,
    ConnectContext,
    Connection,
    ConnectionOAuth,
    Field_,
    IntegrationTool,
    OAuthApp,
    Previewed,
)
from agentflow.integrations.custom import auth as request_auth
from agentflow.integrations.custom import secret_refs
from agentflow.integrations.custom.config import (
    MAX_ACTIONS,
    PATH_PARAM,
    ActionSpec,
    AuthConfig,
    CustomApiConfig,
    normalise,
)
from agentflow.integrations.custom.openapi import import_operations, server_url
from agentflow.integrations.custom.schema_check import schema_problems
from agentflow.nodes.errors import PermanentStepError


class ConfiguredParams(BaseModel):
    """Params of an action defined by its connection: checked against the action's own JSON Schema."""

    model_config = ConfigDict(extra="allow")


def _describe(error: pydantic.ValidationError) -> str:
    parts = []
    for item in error.errors()[:5]:
        where = ".".join(str(part) for part in item["loc"]) or "config"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def _check_params(spec: Mapping[str, Any], values: dict[str, Any]) -> None:
    problems = schema_problems(spec["params_schema"], values)
    if problems:
        where = ".".join(str(part) for part in problems[0][0]) or "params"
        message = f"action {spec['name']}: {where}: {problems[0][1]}"
        raise PermanentStepError(message, code="invalid_params")


def _segment(value: Any) -> str:
    """One path parameter as a single, fully quoted segment (`../x` → `..%2Fx`, `..` → `%2E%2E`)."""
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    if not text:
        raise PermanentStepError("a path parameter is empty", code="invalid_params")
    quoted = quote(text, safe="")
    return quoted.replace(".", "%2E") if quoted in (".", "..") else quoted


def _query_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return [_query_value(item) for item in value]
    return value


def render_request(spec: Mapping[str, Any], values: Mapping[str, Any]) -> tuple[str, dict[str, Any], Any]:
    """(path, query, JSON body) of one call of `spec` with `values`."""

    def segment(match: re.Match[str]) -> str:
        value = values.get(match.group(1))
        if value is None:
            raise PermanentStepError(f"the path parameter {match.group(1)} is missing", code="invalid_params")
        return _segment(value)

    path = PATH_PARAM.sub(segment, str(spec["path"]))
    query = {
        name: _query_value(values[name]) for name in spec.get("query", ()) if values.get(name) is not None
    }
    return path, query, values.get("body") if spec.get("body") else None


async def _send(call: ActionCall, method: str, path: str, query: dict[str, Any], body: Any) -> Any:
    """One request with the connection's default headers and auth; a refused client-credentials token is
    replaced once."""
    config = call.connection.config
    auth = AuthConfig.model_validate(config.get("auth") or {})
    defaults: Mapping[str, str] = config.get("headers") or {}
    headers = {name: secret_refs.render(value, call.credentials) for name, value in defaults.items()}
    if call.preview and method not in READ_METHODS:
        # Captured before auth is added: a preview never shows the key of an API-key-in-query auth.
        raise Previewed({"method": method, "url": call.url(path), "query": query, "json": body})
    platform_oauth = auth.type == "oauth2" and auth.grant == "authorization_code"
    for attempt in (1, 2):
        extra = await request_auth.request_auth(
            call.http, call.connection.id, auth, call.credentials, timeout_seconds=call.timeout_seconds
        )
        try:
            return await call.request(
                method,
                path,
                params={**query, **extra.query} or None,
                json=body,
                headers={**headers, **extra.headers},
                auth=platform_oauth,  # the platform's OAuth tokens: ActionCall refreshes them on a 401
            )
        except AuthExpired:
            if attempt == 2 or not request_auth.forget_token(call.connection.id, auth, call.credentials):
                raise
    raise AssertionError("unreachable")  # pragma: no cover


async def run_configured_action(spec: Mapping[str, Any], call: ActionCall, params: BaseModel) -> Any:
    values = params.model_dump(mode="json")
    _check_params(spec, values)
    path, query, body = render_request(spec, values)
    return await _send(call, str(spec["method"]), path, query, body)


class CustomApiTool(IntegrationTool):
    name = "custom_api"
    label = "Custom API"
    description = "Any HTTP API: actions defined by hand or imported from an OpenAPI 3 document."
    category = "developer"
    # How requests authenticate is the connection's own `auth` setting. Its OAuth2 authorization-code grant
    # goes through the platform's OAuth flow with the connection's own app (`connection_app`), not an
    # operator-configured one, so `oauth2` is not offered as a connect choice of its own.
    auth_kinds = ("none", "token", "basic", "api_key")
    api_base = ""  # every connection has its own base_url
    config_fields = (
        Field_(
            "base_url",
            "Base URL",
            secret=False,
            required=False,  # an OpenAPI document's absolute server URL may stand in
            description="https://api.example.com/v1",
        ),
    )

    def actions_for(self, connection: Connection | None) -> Sequence[Action]:
        if connection is None:
            return ()
        return [
            Action(
                name=spec["name"],
                description=spec["description"],
                params=ConfiguredParams,
                run=functools.partial(run_configured_action, spec),
                side_effect=bool(spec["side_effect"]),
                schema=spec["params_schema"],
            )
            for spec in connection.config.get("actions") or ()
        ]

    def api_base_for(self, api_base: str, connection: Connection) -> str:
        return str(connection.config.get("base_url") or api_base)

    def auth_headers(self, credentials: Mapping[str, str]) -> dict[str, str]:
        # Only the platform's OAuth tokens (authorization code); every other kind is built per request.
        token = credentials.get("access_token")
        return {"Authorization": f"Bearer {token}"} if token else {}

    def org_secrets(self, connection: Connection) -> frozenset[str]:
        config = connection.config
        names = {str(config["auth"]["secret"])} if (config.get("auth") or {}).get("secret") else set()
        for name, value in (config.get("headers") or {}).items():
            names |= secret_refs.referenced(value, where=f"header {name}")
        return frozenset(names)

    def oauth_app_for(self, config: Mapping[str, Any]) -> tuple[OAuthApp, str, str]:
        """(OAuth app, client id, org secret holding the client secret) of an authorization-code connection:
        the connect flow uses these instead of operator settings."""
        auth = AuthConfig.model_validate(config.get("auth") or {})
        if auth.type != "oauth2" or auth.grant != "authorization_code":
            raise ValidationFailed("this custom API does not use the OAuth2 authorization code grant")
        app = OAuthApp(
            str(auth.authorize_url),
            str(auth.token_url),
            scopes=tuple(auth.scopes),
            pkce=auth.pkce,
            token_endpoint_auth=auth.client_auth,
        )
        return app, str(auth.client_id), str(auth.secret)

    async def connection_app(
        self, config: Mapping[str, Any], org_secret: Callable[[str], Awaitable[str | None]]
    ) -> ConnectionOAuth | None:
        """The authorization-code grant's app, its client secret read from the org secret; None for every
        other auth (and for a config that does not validate: `prepare` reports what is wrong with it)."""
        try:
            auth = AuthConfig.model_validate(config.get("auth") or {})
        except pydantic.ValidationError:
            return None
        if auth.type != "oauth2" or auth.grant != "authorization_code":
            return None
        app, client_id, secret_name = self.oauth_app_for(config)
        return ConnectionOAuth(app, client_id, await org_secret(secret_name))

    async def prepare(
        self, ctx: ConnectContext, config: dict[str, Any], credentials: Mapping[str, str]
    ) -> dict[str, Any]:
        stored = self.normalise_config(config)
        await self._check_secrets(ctx, stored, AuthConfig.model_validate(stored["auth"]))
        return stored

    def normalise_config(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """The config to keep, with its actions, from what a connect request says — without network or
        secrets, so an import preview can show the actions before anything is connected."""
        try:
            parsed = CustomApiConfig.model_validate(config)
        except pydantic.ValidationError as exc:
            raise ValidationFailed(f"invalid custom API config: {_describe(exc)}") from None
        specs = list(parsed.actions)
        skipped = list(parsed.skipped)
        api = parsed.api
        base_url = parsed.base_url
        if parsed.openapi is not None:
            imported, skipped = import_operations(parsed.openapi)
            for raw in imported:
                try:
                    specs.append(ActionSpec.model_validate(raw))
                except pydantic.ValidationError as exc:
                    raise ValidationFailed(f"OpenAPI operation {raw['name']}: {_describe(exc)}") from None
            info = parsed.openapi.get("info")
            info = info if isinstance(info, Mapping) else {}
            api = {"title": str(info.get("title", ""))[:256], "version": str(info.get("version", ""))[:64]}
            base_url = base_url or server_url(parsed.openapi)
        if not base_url:
            raise ValidationFailed("base_url is required: the http(s) URL the action paths are relative to")
        actions = [normalise(spec) for spec in specs]
        if not actions:
            raise ValidationFailed("the custom API has no actions: define some or import an OpenAPI document")
        if len(actions) > MAX_ACTIONS:
            raise ValidationFailed(f"the custom API has {len(actions)} actions: at most {MAX_ACTIONS} work")
        seen: set[str] = set()
        for action in actions:
            if action["name"] in seen:
                raise ValidationFailed(f"two actions are named {action['name']}: action names must be unique")
            seen.add(action["name"])
            try:
                Draft202012Validator.check_schema(action["params_schema"])
            except SchemaError as exc:
                message = f"action {action['name']}: invalid params schema: {exc.message}"
                raise ValidationFailed(message) from None
        stored: dict[str, Any] = {
            "base_url": base_url,
            "auth": parsed.auth.model_dump(by_alias=True, exclude_none=True, exclude_defaults=True)
            | {"type": parsed.auth.type},
            "headers": dict(parsed.headers),
            "actions": actions,
        }
        if api is not None:
            stored |= {"api": api, "skipped": skipped}
        return stored

    async def _check_secrets(self, ctx: ConnectContext, stored: dict[str, Any], auth: AuthConfig) -> None:
        names = self.org_secrets(Connection(id="", provider=self.name, name="", config=stored))
        values: dict[str, str] = {}
        for name in sorted(names):
            value = await ctx.org_secret(name)
            if value is None:
                raise ValidationFailed(f"the org secret {name} does not exist: create it under Secrets first")
            values[secret_refs.CREDENTIAL_PREFIX + name] = value
        if auth.type == "oauth2" and auth.grant == "client_credentials":
            secret = request_auth.secret_value(auth, values)
            try:
                await request_auth.fetch_client_credentials_token(ctx.http, auth, secret, timeout_seconds=30)
            except PermanentStepError as exc:
                raise ValidationFailed(str(exc)) from None

    async def test(self, call: ActionCall) -> dict[str, Any]:
        """A read without params (the first GET action that needs none, else the base URL): any answer
        below 500 shows the API is reachable, except a refusal of the credentials (401, 403)."""
        path, learned = "", {}
        for spec in call.connection.config.get("actions") or ():
            if spec["method"] == "GET" and not spec["params_schema"].get("required"):
                path, learned = str(spec["path"]), {"action": spec["name"]}
                break
        try:
            await _send(call, "GET", path, {}, None)
        except AuthExpired:
            raise
        except PermanentStepError as exc:
            status = exc.output.get("status") if isinstance(exc.output, Mapping) else None
            if not isinstance(status, int) or status == 403:
                raise
            return {"reachable": True, "status": status, **learned}
        return {"reachable": True, "status": 200, **learned}


TOOL = CustomApiTool()
