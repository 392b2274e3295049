"""What the API shows of integrations: the catalog (every provider, its auth, fields and actions, plus the
built-in webhook connectors) and a connection with its actions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agentflow.config import Settings
from agentflow.integrations import registry
from agentflow.integrations.apps import provider_app
from agentflow.integrations.base import IntegrationTool
from agentflow.integrations.runner import connection_of
from agentflow.integrations.schemas import ActionPublic, CatalogEntry, ConnectionPublic, FieldPublic
from agentflow.models import IntegrationConnection

# The connectors every agent has without connecting anything (nodes action.webhook, webhook triggers).
BUILTIN = (
    CatalogEntry(
        name="webhook",
        label="Webhooks",
        description="Send an HTTP request to any URL from an agent (the Webhook node), or start an agent "
        "when a signed HTTP request arrives (a webhook trigger).",
        category="developer",
        kind="builtin",
        auth_kinds=["none"],
        scopes=[],
        oauth_configured=False,
        credential_fields=[],
        config_fields=[],
        actions=[],
    ),
)


def actions_public(tool: IntegrationTool, row: IntegrationConnection | None) -> list[ActionPublic]:
    return [
        ActionPublic(
            name=action.name,
            description=action.description,
            params_schema=action.params_schema(),
            result_schema=action.result_schema(),
            side_effect=action.side_effect,
        )
        for action in tool.actions_for(connection_of(row) if row is not None else None)
    ]


def public(row: IntegrationConnection) -> ConnectionPublic:
    answer = ConnectionPublic.model_validate(row)
    tool = registry.get(row.provider)
    answer.actions = actions_public(tool, row) if tool is not None else []
    return answer


def _fields(fields: Sequence[Any]) -> list[FieldPublic]:
    return [FieldPublic.model_validate(f, from_attributes=True) for f in fields]


def catalog(settings: Settings) -> list[CatalogEntry]:
    """Every registered integration as this deployment offers it, then the built-in connectors."""
    entries = []
    for tool in registry.integrations().values():
        app = provider_app(settings, tool)
        entries.append(
            CatalogEntry(
                name=tool.name,
                label=tool.label,
                description=tool.description,
                category=tool.category,
                kind="integration",
                auth_kinds=list(tool.auth_kinds),
                scopes=list(app.oauth.scopes if app.oauth is not None else tool.scopes),
                oauth_configured=app.oauth_configured,
                credential_fields=_fields(tool.credential_fields),
                config_fields=_fields(tool.config_fields),
                actions=actions_public(tool, None),
            )
        )
    return [*entries, *BUILTIN]
