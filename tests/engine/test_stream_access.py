"""Attacks on an open execution stream: access taken away mid-stream ends it (WebSocket and SSE).

The engine API re-checks open streams every 0.1 s (`stream_recheck_seconds` in tests/engine/conftest.py);
each test waits for the stream to close, bounded only by a generous overall timeout — no timing is asserted.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx
import pytest
import websockets
from pydantic import ValidationError
from sqlalchemy.engine import make_url

from agentflow.config import Settings
from tests.engine.conftest import EngineStack, Tenant, edge, node
from tests.factories import PASSWORD

pytestmark = pytest.mark.xdist_group("engine")

OVERALL = 120  # seconds: only a bound on a hung test, never a measurement
WAITING = {
    "nodes": [node("start", "trigger", kind="api"), node("ask", "human.approval", message="Go?")],
    "edges": [edge("start", "ask")],
}
REVOKED = "Invalid or revoked API key"
REMOVED = "Your membership in this organization is no longer active"


async def paused_execution(tenant: Tenant) -> str:
    """An execution that stays open (waiting for an approval) until the test decides it."""
    agent = await tenant.agent(WAITING)
    execution_id = await tenant.run(agent["id"])
    await tenant.wait(execution_id, "paused")
    return execution_id


def ws_url(api: EngineStack, execution_id: str, credential: str) -> str:
    return api.api_url.replace("http://", "ws://") + f"/executions/{execution_id}/stream?token={credential}"


async def until_paused(socket: websockets.ClientConnection) -> None:
    """The replay reached the pause: the stream is open and was authorized."""
    while json.loads(await socket.recv())["type"] != "execution.paused":
        pass


async def until_closed(socket: websockets.ClientConnection) -> tuple[list[dict[str, Any]], int, str]:
    """Every message left, then the close frame's code and reason."""
    messages = [json.loads(message) async for message in _until_close(socket)]
    frame = socket.protocol.close_rcvd
    assert frame is not None, "the server closed without a close frame"
    return messages, frame.code, frame.reason


async def _until_close(socket: websockets.ClientConnection) -> AsyncIterator[str | bytes]:
    with contextlib.suppress(websockets.ConnectionClosed):
        while True:
            yield await socket.recv()


class SSE:
    """An open Server-Sent Events stream, read line by line."""

    def __init__(self, response: httpx.Response) -> None:
        assert response.status_code == 200
        self.lines = response.aiter_lines()

    async def until_paused(self) -> None:
        """Up to the end of the pause's frame (the blank line after its `data:`)."""
        paused = False
        async for line in self.lines:
            paused = paused or line == "event: execution.paused"
            if paused and not line:
                return
        raise AssertionError("the stream ended before the pause")

    async def rest(self) -> list[str]:
        """What comes until the server ends the response."""
        return [line async for line in self.lines if line]


@asynccontextmanager
async def sse(api: EngineStack, execution_id: str, credential: str) -> AsyncIterator[SSE]:
    async with (
        httpx.AsyncClient(base_url=api.api_url, timeout=OVERALL) as client,
        client.stream(
            "GET", f"/executions/{execution_id}/stream", headers={"Authorization": f"Bearer {credential}"}
        ) as response,
    ):
        yield SSE(response)


async def api_key(tenant: Tenant, *scopes: str) -> tuple[str, str]:
    body: dict[str, Any] = {"name": f"stream-{uuid.uuid4().hex[:6]}"}
    if scopes:
        body["scopes"] = list(scopes)
    created = await tenant.client.post("/org/api-keys", json=body)
    assert created.status_code == 201, created.text
    return created.json()["id"], created.json()["key"]


async def viewer(tenant: Tenant) -> tuple[str, str]:
    """A second member of the tenant's org (a viewer, who may read executions): their user id and token."""
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    invited = await tenant.client.post("/org/members/invite", json={"email": email, "role": "viewer"})
    assert invited.status_code == 201, invited.text
    async with httpx.AsyncClient(base_url=str(tenant.client.base_url)) as invitee:  # not signed in
        accepted = await invitee.post(
            f"/invitations/{invited.json()['token']}/accept", json={"password": PASSWORD, "full_name": "V"}
        )
    assert accepted.status_code == 200, accepted.text
    return accepted.json()["user"]["id"], accepted.json()["access_token"]


def owner_token(tenant: Tenant) -> str:
    return tenant.client.headers["Authorization"].removeprefix("Bearer ")


async def test_a_revoked_key_stops_its_streams_and_others_go_on(
    tenant: Tenant, engine_api: EngineStack
) -> None:
    execution_id = await paused_execution(tenant)
    key_id, key = await api_key(tenant, "executions:read")
    async with asyncio.timeout(OVERALL):
        async with (
            websockets.connect(ws_url(engine_api, execution_id, key)) as by_key,
            websockets.connect(ws_url(engine_api, execution_id, owner_token(tenant))) as by_owner,
            sse(engine_api, execution_id, key) as sse_by_key,
        ):
            await until_paused(by_key)
            await until_paused(by_owner)
            await sse_by_key.until_paused()

            revoked = await tenant.client.delete(f"/org/api-keys/{key_id}")
            assert revoked.status_code == 204, revoked.text

            assert await until_closed(by_key) == (
                [{"type": "error", "code": 4401, "message": REVOKED}],
                4401,
                REVOKED,
            )
            assert await sse_by_key.rest() == [f": closed: {REVOKED}"]
            # The owner's stream went through the same re-checks and still follows the run to its end.
            approved = await tenant.client.post(
                f"/executions/{execution_id}/approve", json={"approved": True}
            )
            assert approved.status_code == 200, approved.text
            events, code, _ = await until_closed(by_owner)
    assert code == 1000
    assert events[-1]["type"] == "execution.completed"
    # A reconnect with the revoked key is refused at once, like any request.
    async with websockets.connect(ws_url(engine_api, execution_id, key)) as again:
        assert (await until_closed(again))[1] == 4401


async def test_a_removed_member_stops_receiving(tenant: Tenant, engine_api: EngineStack) -> None:
    execution_id = await paused_execution(tenant)
    user_id, token = await viewer(tenant)
    async with asyncio.timeout(OVERALL):
        async with (
            websockets.connect(ws_url(engine_api, execution_id, token)) as socket,
            sse(engine_api, execution_id, token) as events,
        ):
            await until_paused(socket)
            await events.until_paused()

            removed = await tenant.client.delete(f"/org/members/{user_id}")
            assert removed.status_code == 204, removed.text

            assert await until_closed(socket) == (
                [{"type": "error", "code": 4401, "message": REMOVED}],
                4401,
                REMOVED,
            )
            assert await events.rest() == [f": closed: {REMOVED}"]
    cancelled = await tenant.client.post(f"/executions/{execution_id}/cancel")
    assert cancelled.status_code == 200, cancelled.text


async def test_a_deleted_org_stops_receiving(tenant: Tenant, engine_api: EngineStack) -> None:
    execution_id = await paused_execution(tenant)
    _, key = await api_key(tenant)
    dsn = make_url(engine_api.database_url).set(drivername="postgresql").render_as_string(False)
    async with asyncio.timeout(OVERALL):
        async with (
            websockets.connect(ws_url(engine_api, execution_id, owner_token(tenant))) as by_owner,
            websockets.connect(ws_url(engine_api, execution_id, key)) as by_key,
        ):
            await until_paused(by_owner)
            await until_paused(by_key)

            # An operator deletes the organization; its members, keys and executions go with it.
            connection = await asyncpg.connect(dsn)
            try:
                await connection.execute("DELETE FROM organizations WHERE id = $1", uuid.UUID(tenant.org_id))
            finally:
                await connection.close()

            assert (await until_closed(by_owner))[1:] == (4401, REMOVED)
            assert (await until_closed(by_key))[1:] == (4401, REVOKED)


async def test_streams_take_the_routes_credentials_and_nothing_else(
    tenant: Tenant, engine_api: EngineStack
) -> None:
    execution_id = await paused_execution(tenant)
    _, unscoped = await api_key(tenant, "agents:read")
    async with asyncio.timeout(OVERALL):
        # A key without executions:read: 403 like GET /executions/{id}, as a close code on the WebSocket.
        async with websockets.connect(ws_url(engine_api, execution_id, unscoped)) as socket:
            messages, code, reason = await until_closed(socket)
        assert code == 4403 and messages[0]["code"] == 4403
        assert "executions:read" in reason
        async with httpx.AsyncClient(base_url=engine_api.api_url, timeout=OVERALL) as anonymous:
            url = f"/executions/{execution_id}/stream"
            route = await anonymous.get(f"/executions/{execution_id}", headers={"X-API-Key": unscoped})
            refused = await anonymous.get(url, headers={"X-API-Key": unscoped})
            assert route.status_code == refused.status_code == 403
            assert route.json()["error"] == refused.json()["error"]
            # The refresh cookie opens nothing but /auth/refresh: a page on another site could send it.
            signup = await anonymous.post(
                "/auth/signup",
                json={"email": f"{uuid.uuid4().hex[:10]}@example.com", "password": PASSWORD, "org_name": "C"},
            )
            cookie = signup.cookies["agentflow_refresh"]
        headers = {"Cookie": f"agentflow_refresh={cookie}"}
        base = engine_api.api_url.replace("http://", "ws://") + f"/executions/{execution_id}/stream"
        async with websockets.connect(base, additional_headers=headers) as socket:
            assert (await until_closed(socket))[1] == 4401
    cancelled = await tenant.client.post(f"/executions/{execution_id}/cancel")
    assert cancelled.status_code == 200, cancelled.text


def test_no_setting_lets_a_stream_go_unchecked_for_more_than_a_minute() -> None:
    assert Settings().stream_recheck_seconds == 60
    assert Settings(stream_recheck_seconds=5).stream_recheck_seconds == 5
    for unchecked in (61, 3600, 0, -1):
        with pytest.raises(ValidationError):
            Settings(stream_recheck_seconds=unchecked)
