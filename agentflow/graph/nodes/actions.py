"""Action nodes: an HTTP request, an outgoing webhook, a call to a connected integration."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from agentflow.graph.nodes.base import NodeBase, StrictModel

HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
HttpAuthType = Literal["none", "bearer", "basic", "api_key"]
IntegrationName = Literal[
    "slack", "gmail", "jira", "github", "notion", "salesforce", "hubspot", "google_sheets", "custom_api"
]


class HttpAuth(StrictModel):
    """Credentials for the request, taken from an org secret so they never sit in the definition."""

    type: HttpAuthType = Field(
        default="none",
        description=(
            "`bearer` sends `Authorization: Bearer <secret>`, `basic` sends `username` and the secret as "
            "password, `api_key` sends the secret in the `header` header."
        ),
    )
    secret: str | None = Field(
        default=None,
        description="Name of the org secret (as in `{{env.NAME}}`) holding the token, password or API key.",
    )
    username: str | None = Field(default=None, description="User name for `basic` auth.")
    header: str = Field(default="X-API-Key", description="Header that carries the key for `api_key` auth.")


class HttpConfig(StrictModel):
    """An HTTP request; every string may use `{{…}}` references."""

    method: HttpMethod = Field(default="GET", description="HTTP method.")
    url: str = Field(min_length=1, description="Absolute http(s) URL, e.g. `{{env.TRACKER_URL}}/issues`.")
    headers: dict[str, str] = Field(default_factory=dict, description="Request headers.")
    query: dict[str, Any] = Field(default_factory=dict, description="Query-string parameters.")
    json_body: Any = Field(
        default=None,
        alias="json",
        description="Body sent as JSON (any JSON value); exclusive with `body`.",
    )
    body: str | None = Field(default=None, description="Raw text body; exclusive with `json`.")
    auth: HttpAuth = Field(default_factory=HttpAuth, description="Authentication from org secrets.")
    timeout_seconds: float = Field(default=30, gt=0, le=600, description="Request timeout in seconds.")


class HttpNode(NodeBase):
    """Sends an HTTP request; output `{status, headers, body}`; the `error` handle takes failed requests."""

    type: Literal["action.http"] = Field(description="Node type.")
    config: HttpConfig = Field(description="Request settings.")


class WebhookConfig(StrictModel):
    """An outgoing POST of a JSON payload, optionally signed."""

    url: str = Field(min_length=1, description="Absolute http(s) URL the payload is POSTed to.")
    payload: Any = Field(default=None, description="JSON payload; may use `{{…}}` references.")
    headers: dict[str, str] = Field(default_factory=dict, description="Extra request headers.")
    signing_secret: str | None = Field(
        default=None,
        description=(
            "Name of the org secret used to sign the body (HMAC-SHA256, `X-AgentFlow-Signature` header); "
            "unsigned if unset."
        ),
    )


class WebhookNode(NodeBase):
    """POSTs a payload to a URL; output `{status}`."""

    type: Literal["action.webhook"] = Field(description="Node type.")
    config: WebhookConfig = Field(description="Webhook settings.")


class IntegrationConfig(StrictModel):
    """One action of a connected integration."""

    integration: IntegrationName = Field(description="Which integration to use.")
    action: str = Field(min_length=1, description="The integration's action, e.g. `send_message` for Slack.")
    connection_id: str | None = Field(
        default=None, description="Which connection of the organization; its default connection if unset."
    )
    params: dict[str, Any] = Field(
        default_factory=dict, description="The action's parameters; may use `{{…}}` references."
    )


class IntegrationNode(NodeBase):
    """Runs an integration action; output is the action's result; the `error` handle takes failures."""

    type: Literal["action.integration"] = Field(description="Node type.")
    config: IntegrationConfig = Field(description="Integration action settings.")
