"""MCP servers as integrations, against an MCP server started here with the SDK's own server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from agentflow.egress import EgressPolicy, guarded_client
from agentflow.embedded.ports import free_port
from agentflow.errors import ValidationFailed
from agentflow.integrations.base import AuthExpired, Connection, Previewed
from agentflow.integrations.providers.mcp import TOOL
from agentflow.integrations.registry import get
from agentflow.nodes.errors import PermanentStepError, TransientStepError
from tests.agentflow.integrations.custom_helpers import action_call, connect, run
from tests.fakes.mcp_server import TOKEN, LifespanServer, NotesServer

SECRETS = {"MCP_TOKEN": TOKEN, "OLD_TOKEN": "revoked"}
HEADERS = {"Authorization": "Bearer {{env.MCP_TOKEN}}", "X-Client": "agentflow"}


@pytest.fixture(scope="module")
def notes_server() -> Iterator[tuple[NotesServer, str]]:
    notes = NotesServer()
    server = LifespanServer(notes.app()).start()
    yield notes, server.url
    server.stop()


@pytest.fixture
def notes(notes_server: tuple[NotesServer, str]) -> NotesServer:
    notes_server[0].reset()
    return notes_server[0]


@pytest.fixture
def url(notes_server: tuple[NotesServer, str]) -> str:
    return notes_server[1]


async def connected(url: str, http: httpx.AsyncClient, headers: dict[str, str] = HEADERS) -> Connection:
    return await connect(TOOL, http, {"url": url, "headers": headers}, SECRETS)


async def test_connecting_lists_the_servers_tools_as_actions(
    notes: NotesServer, url: str, http: httpx.AsyncClient
) -> None:
    assert get("mcp") is TOOL
    connection = await connected(url, http)
    config = connection.config
    assert [tool["name"] for tool in config["actions"]] == ["add", "create_note", "weather"]
    add = config["actions"][0]
    assert add["description"] == "Add two integers."
    assert add["params_schema"]["properties"]["a"]["type"] == "integer"
    assert add["params_schema"]["required"] == ["a", "b"]
    assert [tool["side_effect"] for tool in config["actions"]] == [False, True, False]
    assert config["server"] == {"name": "notes", "version": "1.2.0"}
    # The header names its secret; the token itself is kept nowhere on the connection.
    assert config["headers"]["Authorization"] == "Bearer {{env.MCP_TOKEN}}"
    assert TOKEN not in json.dumps(config)
    assert TOOL.org_secrets(connection) == {"MCP_TOKEN"}
    assert notes.seen_headers[0]["authorization"] == f"Bearer {TOKEN}"
    assert notes.seen_headers[0]["x-client"] == "agentflow"
    actions = TOOL.actions_for(connection)
    assert actions[0].params_schema() == add["params_schema"]


async def test_tools_are_called_with_their_arguments(
    notes: NotesServer, url: str, http: httpx.AsyncClient
) -> None:
    connection = await connected(url, http)
    call = action_call(TOOL, connection, http, SECRETS)
    assert await run(call, "add", {"a": 2, "b": 3}) == {
        "content": [{"type": "text", "text": "5"}],
        "structured": {"result": 5},
        "is_error": False,
    }
    created = await run(call, "create_note", {"title": "Standup", "text": "at 10"})
    assert created["structured"] == {"id": 1, "title": "Standup"}
    assert notes.notes == [{"title": "Standup", "text": "at 10"}]
    assert all(h["authorization"] == f"Bearer {TOKEN}" for h in notes.seen_headers)


async def test_a_tool_error_is_a_permanent_failure_with_its_text(url: str, http: httpx.AsyncClient) -> None:
    connection = await connected(url, http)
    with pytest.raises(
        PermanentStepError, match=r"the MCP tool weather failed: .*unknown city: Atlantis"
    ) as failed:
        await run(action_call(TOOL, connection, http, SECRETS), "weather", {"city": "Atlantis"})
    assert failed.value.code == "tool_error"
    output: Any = failed.value.output
    assert output["content"][0]["text"].endswith("unknown city: Atlantis")


async def test_previews_hold_back_tools_with_side_effects_only(
    notes: NotesServer, url: str, http: httpx.AsyncClient
) -> None:
    connection = await connected(url, http)
    call = action_call(TOOL, connection, http, SECRETS, preview=True)
    with pytest.raises(Previewed) as previewed:
        await run(call, "create_note", {"title": "Draft"})
    assert previewed.value.request == {"tool": "create_note", "arguments": {"title": "Draft"}}
    assert notes.notes == []
    assert (await run(call, "weather", {"city": "Paris"}))["content"][0]["text"] == "sunny"


async def test_a_refused_header_secret(url: str, http: httpx.AsyncClient) -> None:
    with pytest.raises(ValidationFailed, match=r"refused the request \(HTTP 401\)"):
        await connected(url, http, {"Authorization": "Bearer {{env.OLD_TOKEN}}"})
    connection = await connected(url, http)
    with pytest.raises(AuthExpired) as refused:
        await run(action_call(TOOL, connection, http, {"MCP_TOKEN": "rotated-away"}), "add", {"a": 1, "b": 1})
    assert refused.value.code == "auth"


async def test_a_server_that_is_down(url: str, http: httpx.AsyncClient) -> None:
    down = f"http://127.0.0.1:{free_port()}/mcp"
    with pytest.raises(ValidationFailed, match="cannot reach the MCP server"):
        await connect(TOOL, http, {"url": down}, {})
    connection = await connected(url, http)
    moved = Connection(connection.id, "mcp", "notes", {**connection.config, "url": down})
    with pytest.raises(TransientStepError, match="cannot reach the MCP server"):
        await run(action_call(TOOL, moved, http, SECRETS), "add", {"a": 1, "b": 1})


async def test_the_egress_guard_applies_to_mcp_servers(url: str) -> None:
    closed = guarded_client(EgressPolicy.build(""))
    try:
        with pytest.raises(ValidationFailed, match="AGENTFLOW_EGRESS_ALLOWLIST"):
            await connect(TOOL, closed, {"url": url, "headers": HEADERS}, SECRETS)
    finally:
        await closed.aclose()


async def test_connection_test_relists_the_tools(url: str, http: httpx.AsyncClient) -> None:
    connection = await connected(url, http)
    tested = await TOOL.test(action_call(TOOL, connection, http, SECRETS))
    assert tested["tools"] == 3
    assert tested["actions"] == connection.config["actions"]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"url": "file:///etc/passwd"}, "url"),
        (
            {"url": "http://127.0.0.1/mcp", "headers": {"X-Key": "{{env.NOT_THERE}}"}},
            "NOT_THERE does not exist",
        ),
        ({"url": "http://127.0.0.1/mcp", "headers": {"X-Key": "{{ nodes.a.output }}"}}, "only"),
        ({"url": "http://127.0.0.1/mcp", "headers": {"Bad Header": "x"}}, "headers"),
        ({"url": "http://127.0.0.1/mcp", "command": "rm -rf /"}, "command"),
        ({"url": "http://127.0.0.1/mcp", "headers": {"Content-Length": "0"}}, "set by the HTTP client"),
    ],
)
async def test_configs_that_cannot_work_are_refused(
    http: httpx.AsyncClient, config: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationFailed, match=message):
        await connect(TOOL, http, config, SECRETS)
