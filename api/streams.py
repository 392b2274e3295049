"""An execution's events, replayed from the start, then live, at `/api/v1/executions/{id}/stream`: as a
WebSocket, or as Server-Sent Events for a plain `GET` (clients without WebSockets).

Both authorize like every route (`AuthorizeStream` in deps.py: the same credentials, `executions:read`, 404
for another org's execution) and check again every `settings.stream_recheck_seconds` while open, so a revoked
key, a removed member or a deleted org stops receiving events within that bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Header, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import StreamingResponse
from starlette.requests import HTTPConnection

from agentflow.engine.control.hub import EventHub
from agentflow.errors import AgentFlowError, NotFound
from agentflow.executions.repository import ExecutionStreamRepository
from agentflow.executions.schemas import EventPublic
from agentflow.models.execution import FINAL_STATUSES
from agentflow.rbac import Permission
from api.deps import INT64_MAX, AuthorizeStream, StreamCaller

router = APIRouter()

FINAL_EVENTS = frozenset({"execution.completed", "execution.failed", "execution.cancelled"})
# Close codes: 4401 unauthenticated, 4403 forbidden, 4404 not found (or another org's); on connect or when a
# re-check finds the access gone. 1000 when the execution ended.
_CLOSE_CODES = {401: 4401, 403: 4403, 404: 4404}
_HEARTBEAT_SECONDS = 10.0
_BATCH = 500
_MAX_CLOSE_REASON_BYTES = 123  # the WebSocket protocol's limit for a close frame's reason

READ_STREAM = AuthorizeStream(Permission.executions_read)
StreamReader = Annotated[StreamCaller, Depends(READ_STREAM)]


class ExecutionWatch:
    """One caller watching one execution, and whether they still may: checked on connect, and again once
    `stream_recheck_seconds` have passed since the last check."""

    def __init__(self, connection: HTTPConnection, caller: StreamCaller, execution_id: uuid.UUID) -> None:
        self.connection = connection
        self.caller = caller
        self.execution_id = execution_id
        self.events = ExecutionStreamRepository(connection.app.state.reader)
        self.every: float = connection.app.state.settings.stream_recheck_seconds
        self._next_check = 0.0

    @classmethod
    async def open(
        cls, connection: HTTPConnection, caller: StreamCaller, execution_id: uuid.UUID
    ) -> ExecutionWatch:
        """404 unless the execution is the caller's org's."""
        watch = cls(connection, caller, execution_id)
        await watch._check_execution()
        return watch

    async def recheck_if_due(self) -> None:
        """Raises what a new request would get (401, 403, 404) once the caller lost access."""
        if time.monotonic() < self._next_check:
            return
        self.caller = await READ_STREAM.recheck(self.connection, self.caller)
        await self._check_execution()

    def due_in(self) -> float:
        return max(0.0, self._next_check - time.monotonic())

    async def status(self) -> str | None:
        return await self.events.status_reachable(self.caller.subject, self.execution_id)

    async def _check_execution(self) -> None:
        if await self.status() is None:
            raise NotFound.resource("Execution", self.execution_id)
        self._next_check = time.monotonic() + self.every


def _event(row: dict[str, Any]) -> dict[str, Any]:
    """The same object `GET /executions/{id}/events` lists (`EventPublic`), as JSON."""
    return EventPublic.model_validate(row).model_dump(mode="json")


async def follow_events(
    hub: EventHub, watch: ExecutionWatch, *, after: int = 0
) -> AsyncIterator[dict[str, Any] | None]:
    """Every event with an id above `after`, in order, then each new one as it is stored; `None` after a
    quiet `_HEARTBEAT_SECONDS` (a heartbeat for the transport). Ends after the final event of an execution
    that has really ended. Raises the AgentFlowError a new request would get once a re-check finds that the
    caller lost access."""
    execution_id = watch.execution_id
    wake = hub.watch(str(execution_id))
    last, quiet_since = after, time.monotonic()
    try:
        while True:
            await watch.recheck_if_due()
            rows = await watch.events.events_after(execution_id, after=last, limit=_BATCH)
            for row in rows:
                yield _event(row)
                last = row["id"]
                if row["type"] in FINAL_EVENTS:
                    # A retried execution goes on after its first failure: end only when it really ended.
                    status = await watch.status()
                    if status is None or status in FINAL_STATUSES:
                        return
            now = time.monotonic()
            if rows:
                quiet_since = now
                if len(rows) == _BATCH:
                    continue
            elif now - quiet_since >= _HEARTBEAT_SECONDS:
                yield None
                quiet_since = now
            # Woken by the hub for a new event; otherwise at the next heartbeat or re-check, first of the two.
            timeout = min(max(0.0, quiet_since + _HEARTBEAT_SECONDS - now), watch.due_in())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.get(), timeout=timeout)
            while not wake.empty():
                wake.get_nowait()
    finally:
        hub.unwatch(str(execution_id), wake)


async def _refuse(websocket: WebSocket, exc: AgentFlowError) -> None:
    """Say why in a last message and in the close frame, then close with 44xx."""
    code = _CLOSE_CODES.get(exc.status_code, 1011)
    reason = exc.message.encode()[:_MAX_CLOSE_REASON_BYTES].decode(errors="ignore")
    with contextlib.suppress(WebSocketDisconnect):  # the client may be gone already
        await websocket.send_json({"type": "error", "code": code, "message": exc.message})
        await websocket.close(code=code, reason=reason)


@router.websocket("/executions/{execution_id}/stream")
async def stream_execution(websocket: WebSocket, execution_id: uuid.UUID) -> None:
    """Auth: `?token=<access token or af_ key>`, or the usual `Authorization` / `X-API-Key` headers."""
    await websocket.accept()
    try:
        caller = await READ_STREAM.authorize(websocket, token=websocket.query_params.get("token"))
        watch = await ExecutionWatch.open(websocket, caller, execution_id)
        async for event in follow_events(websocket.app.state.events, watch):
            if event is not None:
                await websocket.send_json(event)
    except AgentFlowError as exc:
        await _refuse(websocket, exc)
        return
    except WebSocketDisconnect:
        return
    await websocket.close(code=1000)


@router.get(
    "/executions/{execution_id}/stream",
    tags=["executions"],
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events"}},
)
async def stream_execution_sse(
    request: Request,
    execution_id: uuid.UUID,
    caller: StreamReader,
    last_event_id: Annotated[
        int | None, Header(ge=0, le=INT64_MAX, description="Resume after this event id.")
    ] = None,
) -> StreamingResponse:
    """The live stream as Server-Sent Events, for clients without WebSockets (`EventSource`, curl).

    Same events as the WebSocket, each as `id:` (its event id), `event:` (its type) and `data:` (the JSON
    object); a `: keep-alive` comment after a quiet while; the response ends after the execution ends, or
    after a `: closed: <reason>` comment once the caller's access is gone. A reconnecting `EventSource` sends
    `Last-Event-ID` and gets only what it missed (or, without access, the refusal that stops it).
    """
    watch = await ExecutionWatch.open(request, caller, execution_id)

    async def frames() -> AsyncIterator[bytes]:
        try:
            async for event in follow_events(request.app.state.events, watch, after=last_event_id or 0):
                if event is None:
                    yield b": keep-alive\n\n"
                    continue
                data = orjson.dumps(event)
                yield b"id: %d\nevent: %s\ndata: %s\n\n" % (event["id"], event["type"].encode(), data)
        except AgentFlowError as exc:
            # Already answered 200: the stream can only end, saying why to a human reading it (curl -N).
            yield b": closed: %s\n\n" % " ".join(exc.message.split()).encode()

    # no-transform and X-Accel-Buffering: proxies must pass each event on at once, not buffer the stream.
    headers = {"Cache-Control": "no-cache, no-transform", "X-Accel-Buffering": "no"}
    return StreamingResponse(frames(), media_type="text/event-stream", headers=headers)
