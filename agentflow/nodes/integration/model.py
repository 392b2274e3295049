"""action.integration: the contract model."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from agentflow.nodes.base import NodeBase, StrictModel

IntegrationName = Literal[
    "slack",
    "gmail",
    "jira",
    "github",
    "notion",
    "salesforce",
    "hubspot",
    "google_sheets",
    "custom_api",
    "mcp",
]


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
