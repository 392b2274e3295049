"""What the custom API and MCP tests share: a connect context over in-memory org secrets, and calls built the
way the integrations runner builds them (org secrets handed over as `env.NAME`)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import httpx

from agentflow.integrations.base import ActionCall, ConnectContext, Connection, IntegrationTool


def connect_context(http: httpx.AsyncClient, secrets: Mapping[str, str]) -> ConnectContext:
    async def org_secret(name: str) -> str | None:
        return secrets.get(name)

    return ConnectContext(org_id=str(uuid.uuid4()), http=http, org_secret=org_secret)


async def connect(
    tool: IntegrationTool, http: httpx.AsyncClient, config: dict[str, Any], secrets: Mapping[str, str]
) -> Connection:
    stored = await tool.prepare(connect_context(http, secrets), config, {})
    return Connection(id=str(uuid.uuid4()), provider=tool.name, name="test", config=stored)


def action_call(
    tool: IntegrationTool,
    connection: Connection,
    http: httpx.AsyncClient,
    secrets: Mapping[str, str],
    *,
    preview: bool = False,
) -> ActionCall:
    credentials = {f"env.{name}": secrets[name] for name in tool.org_secrets(connection) if name in secrets}
    return ActionCall(
        tool=tool,
        connection=connection,
        http=http,
        api_base=tool.api_base_for(tool.api_base, connection),
        credentials=credentials,
        preview=preview,
        timeout_seconds=10,
    )


async def run(call: ActionCall, name: str, params: dict[str, Any]) -> Any:
    action = call.tool.action(name, call.connection)
    assert action is not None, f"no action {name}"
    return await action.run(call, action.params.model_validate(params))
