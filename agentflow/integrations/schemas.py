"""Bodies and answers of /api/v1/integrations. Every input is bounded; credentials are accepted here and go
straight to Vault: no answer schema has a field that could carry one."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, JsonValue, field_validator

from agentflow.integrations.base import AuthKind
from agentflow.kit.schemas import InputSchema, RecordPublic, Schema, examples

MAX_NAME_CHARS = 120
MAX_CREDENTIAL_FIELDS = 20
MAX_CREDENTIAL_CHARS = 8000
MAX_CONFIG_KEYS = 50
MAX_REDIRECT_CHARS = 300


class FieldPublic(Schema):
    name: str
    label: str
    secret: bool = Field(description="Kept in Vault (a credential) rather than on the connection.")
    required: bool
    description: str


class ActionPublic(Schema):
    name: str
    description: str
    params_schema: dict[str, Any] = Field(description="JSON Schema of the action's params.")
    result_schema: dict[str, Any] | None = Field(default=None, description="The result's shape, when known.")
    side_effect: bool = Field(description="It sends, creates or changes something (previewed in test runs).")


class CatalogEntry(Schema):
    name: str = Field(description="Provider id: `github`, `slack`, … (the node's `integration`).")
    label: str
    description: str
    category: str
    kind: Literal["integration", "builtin"] = Field(
        description="`builtin`: the webhook connectors every agent has (action.webhook, webhook triggers); "
        "they need no connection."
    )
    auth_kinds: list[str]
    scopes: list[str]
    oauth_configured: bool = Field(description="The operator configured this provider's OAuth app.")
    credential_fields: list[FieldPublic]
    config_fields: list[FieldPublic]
    actions: list[ActionPublic]


class ConnectBody(InputSchema):
    model_config = examples(
        {"name": "Engineering GitHub", "auth": "token", "credentials": {"token": "ghp_example"}},
        strip_whitespace=False,
    )

    name: str | None = Field(
        default=None, min_length=1, max_length=MAX_NAME_CHARS, description="Defaults to the provider's name."
    )
    auth: AuthKind | None = Field(
        default=None,
        description="How to connect when the provider offers several; by default OAuth when no credentials "
        "are given, else the provider's token or API-key auth.",
    )
    credentials: dict[str, str] | None = Field(
        default=None,
        max_length=MAX_CREDENTIAL_FIELDS,
        description="Token or API-key auth: the provider's credential fields by name (stored in Vault).",
    )
    config: dict[str, JsonValue] | None = Field(
        default=None,
        max_length=MAX_CONFIG_KEYS,
        description="Non-secret settings (the provider's config fields).",
    )
    redirect_to: str | None = Field(
        default=None,
        max_length=MAX_REDIRECT_CHARS,
        description="OAuth: the UI path to return to (default `/integrations`).",
    )
    connection_id: uuid.UUID | None = Field(
        default=None,
        description="OAuth: reconnect this connection (one that needs it) instead of adding one.",
    )

    @field_validator("credentials")
    @classmethod
    def _bounded_values(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        for key, item in (value or {}).items():
            if len(key) > 64 or len(item) > MAX_CREDENTIAL_CHARS:
                raise ValueError(f"credential {key[:64]!r} is too long")
        return value

    @field_validator("redirect_to")
    @classmethod
    def _ui_path(cls, value: str | None) -> str | None:
        # Only a path inside the UI: never another site (an open redirect), nor `//host` or `/\host`.
        if value is not None and (
            not value.startswith("/") or value.startswith(("//", "/\\")) or "\\" in value
        ):
            raise ValueError("redirect_to must be a path inside the app, such as /integrations")
        return value


class ConnectionUpdate(InputSchema):
    model_config = examples({"name": "GitHub (platform team)"})

    name: str = Field(min_length=1, max_length=MAX_NAME_CHARS)


class AuthorizeAnswer(Schema):
    authorize_url: str = Field(description="Send the browser here to grant access.")


class ConnectionPublic(RecordPublic):
    provider: str
    name: str
    auth_kind: str
    status: str = Field(description="`active`, `needs_reauth` (reconnect) or `error` (the last test failed).")
    scopes: list[str]
    account: str | None = Field(description="The account or workspace the connection acts as.")
    config: dict[str, Any]
    last_error: str | None
    token_expires_at: datetime | None
    connected_at: datetime
    connected_by: uuid.UUID | None
    updated_at: datetime
    actions: list[ActionPublic] = Field(default_factory=list)


class ConnectionTestResult(Schema):
    ok: bool
    error: str | None = None
    connection: ConnectionPublic
