"""MCP servers as integrations: a remote server's tools (streamable HTTP transport) become the connection's
actions, usable in `action.integration` nodes and as AI tools.

Headers may carry org secrets (`Authorization: Bearer {{env.MCP_TOKEN}}`); the names are kept, the values
are read for each call. A tool call cannot be split into read and write requests, so in a test run a tool
that is not declared read-only (`annotations.readOnlyHint`) is previewed instead of called.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

import orjson
import pydantic
from pydantic import BaseModel, ConfigDict, Field

from agentflow.errors import ValidationFailed
from agentflow.integrations.base import (
    Action,
    ActionCall,
    ConnectContext,
    Connection,
    Field_,
    IntegrationTool,
    Previewed,
)
from agentflow.integrations.custom import mcp_client, secret_refs
from agentflow.integrations.custom.config import MAX_HEADERS, HeaderName, HeaderValue, HttpUrl
from agentflow.nodes.errors import PermanentStepError, StepError

MAX_TOOLS = 200
MAX_TOOL_SCHEMA_BYTES = 64 * 1024
MAX_LISTING_PAGES = 20
CONNECT_TIMEOUT_SECONDS = 30.0


class McpConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: HttpUrl
    headers: dict[HeaderName, HeaderValue] = Field(default_factory=dict, max_length=MAX_HEADERS)
    # Kept from an earlier listing (re-validation of a stored config).
    actions: list[dict[str, Any]] = Field(default_factory=list, max_length=MAX_TOOLS)
    server: dict[str, str] | None = None


class ToolArguments(BaseModel):
    """Arguments of an MCP tool: checked by the server against the tool's input schema."""

    model_config = ConfigDict(extra="allow")


def _headers(config: Mapping[str, Any], credentials: Mapping[str, str]) -> dict[str, str]:
    headers: Mapping[str, str] = config.get("headers") or {}
    return {name: secret_refs.render(value, credentials) for name, value in headers.items()}


def _tool_action(tool: Any) -> dict[str, Any]:
    schema = tool.input_schema if isinstance(tool.input_schema, dict) else {"type": "object"}
    if len(orjson.dumps(schema)) > MAX_TOOL_SCHEMA_BYTES:
        raise PermanentStepError(f"the MCP tool {tool.name}'s input schema is larger than 64 KiB")
    annotations = tool.annotations
    read_only = bool(annotations is not None and annotations.read_only_hint)
    return {
        "name": str(tool.name)[:128],
        "description": (tool.description or tool.title or tool.name)[:4096],
        "params_schema": schema,
        "side_effect": not read_only,
    }


def _session(call: ActionCall) -> AbstractAsyncContextManager[Any]:
    config = call.connection.config
    return mcp_client.session(
        call.http,
        str(config["url"]),
        _headers(config, call.credentials),
        timeout_seconds=call.timeout_seconds,
    )


async def list_tools(client: Any) -> list[dict[str, Any]]:
    """Every tool of the server (following pagination, bounded)."""
    actions: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(MAX_LISTING_PAGES):
        listing = await client.list_tools(cursor=cursor)
        actions += [_tool_action(tool) for tool in listing.tools]
        if len(actions) > MAX_TOOLS:
            raise PermanentStepError(f"the MCP server lists more than {MAX_TOOLS} tools")
        cursor = listing.next_cursor
        if not cursor:
            break
    return actions


async def call_tool(tool: Mapping[str, Any], call: ActionCall, params: BaseModel) -> dict[str, Any]:
    arguments = params.model_dump(mode="json")
    if call.preview and tool["side_effect"]:
        raise Previewed({"tool": tool["name"], "arguments": arguments})
    async with _session(call) as client:
        result = await client.call_tool(str(tool["name"]), arguments)
    content = mcp_client.content_parts(result)
    if result.is_error:
        text = " ".join(part.get("text", "") for part in content if part.get("type") == "text").strip()
        message = f"the MCP tool {tool['name']} failed: {text or 'no message'}"
        raise PermanentStepError(message, output={"error": message, "content": content}, code="tool_error")
    answer: dict[str, Any] = {"content": content, "is_error": False}
    if result.structured_content is not None:
        answer["structured"] = result.structured_content
    return answer


class McpTool(IntegrationTool):
    name = "mcp"
    label = "MCP server"
    description = "A remote Model Context Protocol server (streamable HTTP): its tools become actions."
    category = "developer"
    auth_kinds = ("none", "token")
    api_base = ""  # each connection has its own server URL
    config_fields = (
        Field_("url", "Server URL", secret=False, description="The server's streamable HTTP endpoint"),
    )

    def actions_for(self, connection: Connection | None) -> Sequence[Action]:
        if connection is None:
            return ()
        return [
            Action(
                name=tool["name"],
                description=tool["description"],
                params=ToolArguments,
                run=functools.partial(call_tool, tool),
                side_effect=bool(tool["side_effect"]),
                schema=tool["params_schema"],
            )
            for tool in connection.config.get("actions") or ()
        ]

    def api_base_for(self, api_base: str, connection: Connection) -> str:
        return str(connection.config.get("url") or api_base)

    def auth_headers(self, credentials: Mapping[str, str]) -> dict[str, str]:
        return {}  # the connection's own headers authenticate (see `_headers`)

    def org_secrets(self, connection: Connection) -> frozenset[str]:
        names: set[str] = set()
        for name, value in (connection.config.get("headers") or {}).items():
            names |= secret_refs.referenced(value, where=f"header {name}")
        return frozenset(names)

    async def prepare(
        self, ctx: ConnectContext, config: dict[str, Any], credentials: Mapping[str, str]
    ) -> dict[str, Any]:
        try:
            parsed = McpConfig.model_validate(config)
        except pydantic.ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "config"
            raise ValidationFailed(f"invalid MCP server config: {where}: {first['msg']}") from None
        stored: dict[str, Any] = {"url": parsed.url, "headers": dict(parsed.headers)}
        values: dict[str, str] = {}
        for name in sorted(self.org_secrets(Connection(id="", provider=self.name, name="", config=stored))):
            value = await ctx.org_secret(name)
            if value is None:
                raise ValidationFailed(f"the org secret {name} does not exist: create it under Secrets first")
            values[secret_refs.CREDENTIAL_PREFIX + name] = value
        try:
            async with mcp_client.session(
                ctx.http, parsed.url, _headers(stored, values), timeout_seconds=CONNECT_TIMEOUT_SECONDS
            ) as client:
                stored["actions"] = await list_tools(client)
                info = client.server_info
        except StepError as exc:
            raise ValidationFailed(exc.message) from None
        names = [tool["name"] for tool in stored["actions"]]
        if len(set(names)) != len(names):
            raise ValidationFailed("the MCP server lists two tools with the same name")
        if info is not None:
            stored["server"] = {"name": str(info.name)[:256], "version": str(info.version or "")[:64]}
        return stored

    async def test(self, call: ActionCall) -> dict[str, Any]:
        async with _session(call) as client:
            actions = await list_tools(client)
        return {"tools": len(actions), "actions": actions}


TOOL = McpTool()
