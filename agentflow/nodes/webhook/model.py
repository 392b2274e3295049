"""action.webhook: the contract model, its rules and output shape."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from agentflow.nodes.base import NodeBase, StrictModel


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
