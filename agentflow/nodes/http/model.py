"""action.http: the contract model, its rules and output shape."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from agentflow.nodes.base import NodeBase, StrictModel

HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
HttpAuthType = Literal["none", "bearer", "basic", "api_key"]


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
