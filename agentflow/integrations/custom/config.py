"""The custom API connector's settings: what a connect request may say, with its bounds, and the normalised
actions kept on the connection (`config["actions"]`), each `{name, description, method, path, params_schema,
side_effect, query, body}`.

A normalised action is itself a valid hand-made action (its `params_schema` is taken as given), so preparing
a stored config again yields the same config.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import orjson
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from agentflow.errors import ValidationFailed
from agentflow.secrets.paths import ENV_NAME

MAX_DOCUMENT_BYTES = 1024 * 1024
MAX_ACTIONS = 200
MAX_HEADERS = 50
ACTION_NAME = re.compile(r"^[A-Za-z0-9_]{1,64}$")
HEADER_NAME = r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$"  # an HTTP token (RFC 9110)
PATH_PARAM = re.compile(r"\{([^{}]*)\}")
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
READ_METHODS = frozenset({"GET", "HEAD"})

SecretName = Annotated[str, StringConstraints(pattern=ENV_NAME.pattern)]
# Headers the HTTP client itself owns: a connection setting them could only break or smuggle requests.
RESERVED_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection", "upgrade", "te"})


def _not_reserved(name: str) -> str:
    if name.lower() in RESERVED_HEADERS:
        raise ValueError(f"the {name} header is set by the HTTP client and cannot be configured")
    return name


HeaderName = Annotated[str, StringConstraints(pattern=HEADER_NAME), AfterValidator(_not_reserved)]
HeaderValue = Annotated[str, StringConstraints(max_length=4096)]
Text = Annotated[str, StringConstraints(max_length=1024)]
HttpUrl = Annotated[str, StringConstraints(max_length=2048, pattern=r"^https?://[^\s/?#]+[^\s]*$")]
ParamName = Annotated[str, StringConstraints(min_length=1, max_length=128)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class AuthConfig(_Strict):
    """How requests authenticate. `secret` names the org secret holding the token, password, API key or
    OAuth client secret; its value is read from Vault for each call, never kept on the connection."""

    type: Literal["none", "bearer", "basic", "api_key", "oauth2"] = "none"
    secret: SecretName | None = None
    header: HeaderName | None = None  # api_key in a header: its name (default X-API-Key)
    username: Annotated[str, StringConstraints(max_length=256)] | None = None  # basic
    in_: Literal["header", "query"] = Field("header", alias="in")  # api_key
    name: ParamName | None = None  # api_key in the query: the parameter (default api_key)
    token_url: HttpUrl | None = None  # oauth2
    authorize_url: HttpUrl | None = None  # oauth2 authorization_code
    client_id: Annotated[str, StringConstraints(min_length=1, max_length=512)] | None = None
    scopes: list[Annotated[str, StringConstraints(min_length=1, max_length=256)]] = Field(
        default_factory=list, max_length=50
    )
    grant: Literal["client_credentials", "authorization_code"] = "client_credentials"
    client_auth: Literal["client_secret_post", "client_secret_basic"] = "client_secret_post"
    pkce: bool = True  # authorization_code: PKCE S256 (turn off only for servers that refuse it)

    @model_validator(mode="after")
    def _complete(self) -> AuthConfig:
        needs: list[str] = []
        if self.type != "none" and not self.secret:
            needs.append("secret (the name of the org secret that holds the credential)")
        if self.type == "basic" and not self.username:
            needs.append("username")
        if self.type == "oauth2":
            needs += [f for f in ("token_url", "client_id") if not getattr(self, f)]
            if self.grant == "authorization_code" and not self.authorize_url:
                needs.append("authorize_url")
        if needs:
            raise ValueError(f"{self.type} auth needs " + ", ".join(needs))
        return self


class ActionSpec(_Strict):
    """A hand-made action: a method and a path template under the base URL (`/items/{item_id}`)."""

    name: str
    method: Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] = "GET"
    path: Annotated[str, StringConstraints(min_length=1, max_length=2048)]
    description: Text = ""
    query: list[ParamName] = Field(default_factory=list, max_length=100)
    body: bool | dict[str, Any] = False  # True: any JSON object; a dict: the body's JSON Schema
    params_schema: dict[str, Any] | None = None  # given whole (an imported or stored action)
    side_effect: bool | None = None  # derived from the method; accepted so stored actions re-validate

    @field_validator("method", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not ACTION_NAME.match(value):
            raise ValueError(f"action name {value!r} must be 1-64 letters, digits or _")
        return value

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/") or value.startswith("//") or any(c in value for c in ("://", "?", "#")):
            raise ValueError(f"path {value!r} must start with / and hold no scheme, host, query or fragment")
        if any(segment in (".", "..") for segment in value.split("/")):
            raise ValueError(f"path {value!r} must not contain . or .. segments")
        for name in PATH_PARAM.findall(value):
            if not name or len(name) > 128:
                raise ValueError(f"path {value!r} has an empty or overlong {{parameter}}")
        if PATH_PARAM.sub("", value).count("{") or PATH_PARAM.sub("", value).count("}"):
            raise ValueError(f"path {value!r} has an unbalanced {{ or }}")
        return value


class CustomApiConfig(_Strict):
    base_url: HttpUrl | None = None  # may come from the OpenAPI document's first absolute server
    auth: AuthConfig = Field(default_factory=AuthConfig)
    headers: dict[HeaderName, HeaderValue] = Field(default_factory=dict, max_length=MAX_HEADERS)
    actions: list[ActionSpec] = Field(default_factory=list, max_length=MAX_ACTIONS)
    openapi: dict[str, Any] | None = None
    # Kept from an earlier import (re-validation of a stored config).
    api: dict[str, Any] | None = None
    skipped: list[dict[str, Any]] = Field(default_factory=list, max_length=MAX_ACTIONS * 8)


def path_params(path: str) -> list[str]:
    return PATH_PARAM.findall(path)


def hand_made_schema(spec: ActionSpec) -> dict[str, Any]:
    """Params schema of a hand-made action: path parameters (required strings), query names, `body`."""
    properties: dict[str, Any] = {}
    for name in path_params(spec.path):
        properties[name] = {"type": "string", "description": "path parameter"}
    scalar = {"type": ["string", "number", "integer", "boolean"], "description": "query parameter"}
    for name in spec.query:
        properties.setdefault(name, dict(scalar))
    if spec.body is not False:
        properties["body"] = spec.body if isinstance(spec.body, dict) else {"type": "object"}
        properties["body"] = {"description": "JSON request body", **properties["body"]}
    return {
        "type": "object",
        "properties": properties,
        "required": path_params(spec.path),
        "additionalProperties": False,
    }


def normalise(spec: ActionSpec) -> dict[str, Any]:
    """The action as kept on the connection (and re-read by `actions_for`)."""
    schema = spec.params_schema if spec.params_schema is not None else hand_made_schema(spec)
    properties = schema.get("properties")
    if schema.get("type") != "object" or not isinstance(properties, dict):
        raise ValidationFailed(f"action {spec.name}: params_schema must be an object schema with properties")
    missing = [name for name in path_params(spec.path) if name not in properties]
    if missing:
        raise ValidationFailed(f"action {spec.name}: params_schema lacks the path parameters {missing}")
    names = [*path_params(spec.path), *spec.query]
    clashes = sorted({name for name in names if names.count(name) > 1 or name == "body"})
    if clashes:
        raise ValidationFailed(
            f"action {spec.name}: parameter names must be unique and not `body` (the JSON body): {clashes}"
        )
    return {
        "name": spec.name,
        "description": spec.description or f"{spec.method} {spec.path}",
        "method": spec.method,
        "path": spec.path,
        "params_schema": schema,
        "side_effect": spec.method not in READ_METHODS,
        "query": list(spec.query),
        "body": spec.body is not False or "body" in properties,
    }


def document_size(document: Any) -> int:
    try:
        return len(orjson.dumps(document))
    except TypeError as exc:
        raise ValidationFailed(f"the OpenAPI document is not plain JSON: {exc}") from None
