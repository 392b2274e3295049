"""AgentFlow's MCP endpoint driven by the `mcp` client SDK over streamable HTTP, against the real engine:
opted-in agents are tools, a call runs the agent, long runs answer with their execution id."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult
from sqlalchemy.engine import make_url
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.engine.conftest import EngineStack, Tenant, edge, node
from tests.factories import PASSWORD
from tests.support.outside import Outside

pytestmark = pytest.mark.xdist_group("engine")

SHOUT_SCHEMA = {
    "type": "object",
    "properties": {"text": {"type": "string", "maxLength": 100}},
    "required": ["text"],
}


async def shout(request: Request, body: Any) -> Response:
    return JSONResponse({"shouted": str((body or {}).get("text", "")).upper()})


async def refuse(request: Request, body: Any) -> Response:
    return JSONResponse({"message": "quota exhausted for this account"}, status_code=400)


def shouter(outside: Outside, **settings: Any) -> dict[str, Any]:
    outside.routes["/shout"] = shout
    return {
        "nodes": [
            node("start", "trigger", kind="api", input_schema=SHOUT_SCHEMA),
            node(
                "call",
                "action.http",
                method="POST",
                url=outside.url + "/shout",
                json={"text": "{{trigger.output.text}}"},
            ),
        ],
        "edges": [edge("start", "call")],
        "settings": {"expose_as_tool": True, **settings},
    }


async def api_key(tenant: Tenant, *scopes: str) -> str:
    body: dict[str, Any] = {"name": f"mcp-{uuid.uuid4().hex[:6]}"}
    if scopes:
        body["scopes"] = list(scopes)
    created = await tenant.client.post("/org/api-keys", json=body)
    assert created.status_code == 201, created.text
    return str(created.json()["key"])


@asynccontextmanager
async def mcp_client(
    api: EngineStack, key: str, *, query: str = "", mode: str = "auto"
) -> AsyncIterator[Client]:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=60)
    async with (
        http,
        Client(streamable_http_client(f"{api.api_url}/mcp{query}", http_client=http), mode=mode) as client,
    ):
        yield client


def structured(result: CallToolResult) -> dict[str, Any]:
    assert result.structured_content is not None, result
    return dict(result.structured_content)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_lists_only_the_orgs_opted_in_active_agents(
    engine_api: EngineStack, tenant: Tenant, other: Tenant, outside: Outside, mode: str
) -> None:
    exposed = await tenant.agent(shouter(outside, tool_description="Shouts the text back."), name="Shout It!")
    await tenant.agent(shouter(outside, expose_as_tool=False), name="Hidden")
    await tenant.agent(shouter(outside), name="Draft only", publish=False)
    scheduled = {
        "nodes": [
            node("start", "trigger", kind="schedule", cron="0 9 * * 1"),
            node("nap", "logic.delay", seconds=1),
        ],
        "edges": [edge("start", "nap")],
        "settings": {"expose_as_tool": True},
    }
    await tenant.agent(scheduled, name="Scheduled")
    paused = await tenant.agent(shouter(outside), name="Paused")
    assert (
        await tenant.client.put(f"/agents/{paused['id']}/status", json={"status": "paused"})
    ).status_code == 200
    same_name = await tenant.agent(shouter(outside), name="shout it")  # newer: told apart by its id
    await other.agent(shouter(outside), name="Other org")

    async with mcp_client(engine_api, await api_key(tenant, "agents:read"), mode=mode) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}

    assert set(tools) == {"shout_it", f"shout_it_{uuid.UUID(same_name['id']).hex[:8]}"}
    assert tools["shout_it"].description == "Shouts the text back."
    assert tools["shout_it"].input_schema == SHOUT_SCHEMA
    assert exposed["status"] == "active"


async def test_a_call_runs_the_agent_and_returns_its_output(
    engine_api: EngineStack, tenant: Tenant, outside: Outside
) -> None:
    agent = await tenant.agent(shouter(outside), name="Shouter")
    async with mcp_client(engine_api, await api_key(tenant, "agents:read", "agents:execute")) as client:
        result = await client.call_tool("shouter", {"text": "hello"})

    assert result.is_error is False, result
    body = structured(result)
    assert body["status"] == "completed"
    assert body["output"]["call"]["body"] == {"shouted": "HELLO"}
    assert '"shouted": "HELLO"' in result.content[0].text  # type: ignore[union-attr]
    execution = (await tenant.client.get(f"/executions/{body['execution_id']}")).json()
    assert execution["agent_id"] == agent["id"] and execution["triggered_by"] == "api"
    assert execution["input"] == {"text": "hello"}
    assert [r.path for r in outside.requests] == ["/shout"]


async def test_a_tool_call_is_audited_as_the_agent_executed_by_the_key(
    engine_api: EngineStack, tenant: Tenant, outside: Outside
) -> None:
    """The real API process (its own session dependency, committed rows): one entry per call."""
    agent = await tenant.agent(shouter(outside), name="Audited")
    key = await api_key(tenant, "agents:read", "agents:execute")
    async with mcp_client(engine_api, key) as client:
        await client.list_tools()  # not a mutation: no entry
        result = await client.call_tool("audited", {"text": "hi"})
    assert result.is_error is False, result
    page = await tenant.client.get("/org/audit-logs", params={"action": "agent.executed"})
    (entry,) = page.json()["items"]
    assert entry["actor"]["type"] == "api_key" and entry["actor"]["email"] == tenant.email
    assert (entry["resource_type"], entry["resource_id"]) == ("agent", agent["id"])
    assert entry["details"]["execution_id"] == structured(result)["execution_id"]
    actions = [e["action"] for e in (await tenant.client.get("/org/audit-logs")).json()["items"]]
    assert actions == ["agent.executed", "api_key.created", "agent.published", "agent.created", "org.created"]


async def test_a_long_run_answers_with_its_execution_id(
    engine_api: EngineStack, tenant: Tenant, outside: Outside
) -> None:
    definition = {
        "nodes": [node("start", "trigger", kind="api"), node("nap", "logic.delay", seconds=3)],
        "edges": [edge("start", "nap")],
        "settings": {"expose_as_tool": True},
    }
    await tenant.agent(definition, name="Sleeper")
    async with mcp_client(engine_api, await api_key(tenant), query="?wait_seconds=0.5") as client:
        result = await client.call_tool("sleeper", {})

    assert result.is_error is False, result
    body = structured(result)
    assert body["status"] in ("queued", "running") and "output" not in body
    assert body["execution_id"] in result.content[0].text  # type: ignore[union-attr]
    assert (await tenant.wait(body["execution_id"]))["status"] == "completed"


async def test_a_failed_run_is_a_tool_error(
    engine_api: EngineStack, tenant: Tenant, outside: Outside
) -> None:
    outside.routes["/refuse"] = refuse
    definition = {
        "nodes": [
            node("start", "trigger", kind="api"),
            node("call", "action.http", method="POST", url=outside.url + "/refuse", json={}),
        ],
        "edges": [edge("start", "call")],
        "settings": {"expose_as_tool": True},
    }
    await tenant.agent(definition, name="Refused")
    async with mcp_client(engine_api, await api_key(tenant)) as client:
        result = await client.call_tool("refused", {})

    assert result.is_error is True
    assert structured(result)["status"] == "failed"
    assert "400" in result.content[0].text  # type: ignore[union-attr]


async def test_bad_input_is_refused_and_nothing_runs(
    engine_api: EngineStack, tenant: Tenant, outside: Outside
) -> None:
    agent = await tenant.agent(shouter(outside), name="Strict")
    async with mcp_client(engine_api, await api_key(tenant)) as client:
        wrong = await client.call_tool("strict", {"text": 42})
        too_long = await client.call_tool("strict", {"text": "x" * 300_000})
        unknown = await client.call_tool("no_such_tool", {"text": "hi"})

    assert wrong.is_error and "invalid_input" in wrong.content[0].text  # type: ignore[union-attr]
    assert too_long.is_error and "input_too_large" in too_long.content[0].text  # type: ignore[union-attr]
    assert unknown.is_error and "unknown_tool" in unknown.content[0].text  # type: ignore[union-attr]
    runs = (await tenant.client.get("/executions", params={"agent_id": agent["id"]})).json()
    assert runs["items"] == [] and outside.requests == []


async def test_another_orgs_agent_cannot_be_called(
    engine_api: EngineStack, tenant: Tenant, other: Tenant, outside: Outside
) -> None:
    await other.agent(shouter(outside), name="Theirs")
    async with mcp_client(engine_api, await api_key(tenant)) as client:
        result = await client.call_tool("theirs", {"text": "hi"})
    assert result.is_error and "unknown_tool" in result.content[0].text  # type: ignore[union-attr]
    assert outside.requests == []


async def test_credentials_and_permissions_are_checked_before_mcp(
    engine_api: EngineStack, tenant: Tenant, outside: Outside
) -> None:
    await tenant.agent(shouter(outside), name="Guarded")
    list_call = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    tool_call = {
        "jsonrpc": "2.0",
        "id": 2,
        "method": "tools/call",
        "params": {"name": "guarded", "arguments": {"text": "hi"}},
    }
    headers = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-06-18"}
    reader = await api_key(tenant, "agents:read")
    revoked_id, revoked = await _revoked_key(tenant)
    expired = await _expired_key(engine_api, tenant)
    async with httpx.AsyncClient(base_url=engine_api.api_url, headers=headers, timeout=30) as http:
        for credentials, code in (
            ({}, "not_authenticated"),
            ({"Authorization": "Bearer af_not_a_key"}, "invalid_api_key"),
            ({"Authorization": f"Bearer {revoked}"}, "invalid_api_key"),
            ({"Authorization": f"Bearer {expired}"}, "api_key_expired"),
        ):
            answer = await http.post("/mcp", json=list_call, headers=credentials)
            assert answer.status_code == 401, answer.text
            assert answer.json()["error"]["code"] == code
            assert answer.headers["www-authenticate"].startswith("Bearer")
        no_read = await api_key(tenant, "org:read")
        assert (await http.post("/mcp", json=list_call, headers={"X-API-Key": no_read})).status_code == 403
        listed = await http.post("/mcp", json=list_call, headers={"Authorization": f"Bearer {reader}"})
        assert listed.status_code == 200 and listed.json()["result"]["tools"][0]["name"] == "guarded"
        refused = await http.post("/mcp", json=tool_call, headers={"Authorization": f"Bearer {reader}"})
        assert refused.status_code == 403, refused.text
        assert "agents:execute" in refused.json()["error"]["message"]
        bad_wait = await http.post("/mcp?wait_seconds=soon", json=list_call, headers={"X-API-Key": reader})
        assert bad_wait.status_code == 422
    assert outside.requests == [] and revoked_id


async def test_a_body_over_the_api_limit_is_413(engine_api: EngineStack, tenant: Tenant) -> None:
    key = await api_key(tenant)
    huge = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "x", "arguments": {"t": "x" * 2_000_000}},
    }
    async with httpx.AsyncClient(base_url=engine_api.api_url, timeout=30) as http:
        answer = await http.post(
            "/mcp", json=huge, headers={"X-API-Key": key, "Accept": "application/json, text/event-stream"}
        )
    assert answer.status_code == 413


async def _expired_key(api: EngineStack, tenant: Tenant) -> str:
    """A key whose expiry has passed (the API only issues keys that expire days ahead)."""
    created = await tenant.client.post("/org/api-keys", json={"name": "expiring", "expires_in_days": 1})
    assert created.status_code == 201, created.text
    dsn = make_url(api.database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(
            "UPDATE api_keys SET expires_at = now() - interval '1 minute' WHERE id = $1",
            uuid.UUID(created.json()["id"]),
        )
    finally:
        await connection.close()
    return str(created.json()["key"])


async def _revoked_key(tenant: Tenant) -> tuple[str, str]:
    created = await tenant.client.post("/org/api-keys", json={"name": "revoked"})
    assert created.status_code == 201, created.text
    key_id, key = created.json()["id"], created.json()["key"]
    assert (await tenant.client.delete(f"/org/api-keys/{key_id}")).status_code == 204
    return key_id, key


@pytest.fixture
async def other(engine_api: EngineStack) -> AsyncIterator[Tenant]:
    """A second org on the same stack."""
    async with httpx.AsyncClient(base_url=engine_api.api_url, timeout=30) as client:
        signup = await client.post(
            "/auth/signup",
            json={"email": f"{uuid.uuid4().hex[:12]}@example.com", "password": PASSWORD, "org_name": "Other"},
        )
        assert signup.status_code == 201, signup.text
        client.headers["Authorization"] = f"Bearer {signup.json()['access_token']}"
        yield Tenant(client=client, org_id=signup.json()["org"]["id"])
