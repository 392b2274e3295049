"""An execution's events, replayed from the start, then live, at `/api/v1/executions/{id}/stream`: as a
WebSocket, or as Server-Sent Events for a plain `GET` (clients without WebSockets)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, FastAPI, Header, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import StreamingResponse
from sqlalchemy import text

from agentflow.auth.subject import AuthSubject, authenticate
from agentflow.errors import AgentFlowError, NotFound
from agentflow.kit.fastread import FastReader, compile_query
from agentflow.rbac import Permission
from api.deps import INT64_MAX

router = APIRouter()

FINAL_EVENTS = frozenset({"execution.completed", "execution.failed", "execution.cancelled"})
# Close codes: 4401 unauthenticated, 4403 forbidden, 4404 not found (or another org's).
_RESYNC_SECONDS = 10.0

_OWNED = compile_query(text("SELECT status FROM executions WHERE id = :execution_id AND org_id = :org_id"))
_STATUS = compile_query(text("SELECT status FROM executions WHERE id = :execution_id"))
_FINAL_STATUSES = frozenset({"completed", "failed", "cancelled", "timed_out"})
_EVENTS = compile_query(
    text(
        """
        SELECT id, type, node_id, step_key, data, created_at FROM execution_events
        WHERE execution_id = :execution_id AND id > :after ORDER BY id LIMIT 500
        """
    )
)


def _event(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "type": row["type"],
        "node_id": row["node_id"],
        "step_key": row["step_key"],
        "data": row["data"],
        "at": row["created_at"].isoformat(),
    }


async def _refuse(websocket: WebSocket, code: int, message: str) -> None:
    await websocket.send_json({"type": "error", "code": code, "message": message})
    await websocket.close(code=code)


async def _subject(app: FastAPI, bearer: str | None, api_key: str | None) -> AuthSubject:
    subject = await authenticate(
        app.state.reader,
        app.state.settings,
        bearer=bearer,
        api_key=api_key,
        cache=getattr(app.state, "auth_cache", None),
    )
    subject.require(Permission.executions_read)
    return subject


async def _owned(app: FastAPI, execution_id: uuid.UUID, subject: AuthSubject) -> bool:
    reader: FastReader = app.state.reader
    return await reader.fetchrow(_OWNED, execution_id=execution_id, org_id=subject.org_id) is not None


@router.websocket("/executions/{execution_id}/stream")
async def stream_execution(websocket: WebSocket, execution_id: uuid.UUID) -> None:
    """Auth: `?token=<access token or af_ key>`, or the usual `Authorization` / `X-API-Key` headers."""
    await websocket.accept()
    app = websocket.app
    token = websocket.query_params.get("token")
    bearer = websocket.headers.get("authorization", "").removeprefix("Bearer ").strip() or token
    try:
        subject = await _subject(app, bearer, websocket.headers.get("x-api-key"))
    except AgentFlowError as exc:
        await _refuse(websocket, 4403 if exc.status_code == 403 else 4401, exc.message)
        return
    if not await _owned(app, execution_id, subject):
        await _refuse(websocket, 4404, f"Execution {execution_id} not found")
        return
    try:
        async for event in follow_events(app, execution_id):
            if event is not None:
                await websocket.send_json(event)
        await websocket.close(code=1000)
    except WebSocketDisconnect:
        return


@router.get(
    "/executions/{execution_id}/stream",
    tags=["executions"],
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events"}},
)
async def stream_execution_sse(
    request: Request,
    execution_id: uuid.UUID,
    token: Annotated[str | None, Query(description="Access token or API key, for `EventSource`.")] = None,
    last_event_id: Annotated[
        int | None, Header(ge=0, le=INT64_MAX, description="Resume after this event id.")
    ] = None,
) -> StreamingResponse:
    """The live stream as Server-Sent Events, for clients without WebSockets (`EventSource`, curl).

    Same events as the WebSocket, each as `id:` (its event id), `event:` (its type) and `data:` (the JSON
    object); a `: keep-alive` comment after a quiet while; the response ends after the execution ends. A
    reconnecting `EventSource` sends `Last-Event-ID` and gets only what it missed.
    """
    app = request.app
    bearer = request.headers.get("authorization", "").removeprefix("Bearer ").strip() or token
    subject = await _subject(app, bearer, request.headers.get("x-api-key"))
    if not await _owned(app, execution_id, subject):
        raise NotFound.resource("Execution", execution_id)

    async def frames() -> AsyncIterator[bytes]:
        async for event in follow_events(app, execution_id, after=last_event_id or 0):
            if event is None:
                yield b": keep-alive\n\n"
                continue
            data = orjson.dumps(event)
            yield b"id: %d\nevent: %s\ndata: %s\n\n" % (event["id"], event["type"].encode(), data)

    # no-transform and X-Accel-Buffering: proxies must pass each event on at once, not buffer the stream.
    headers = {"Cache-Control": "no-cache, no-transform", "X-Accel-Buffering": "no"}
    return StreamingResponse(frames(), media_type="text/event-stream", headers=headers)


async def follow_events(
    app: FastAPI, execution_id: uuid.UUID, *, after: int = 0
) -> AsyncIterator[dict[str, Any] | None]:
    """Every event with an id above `after`, in order, then each new one as it is stored; `None` after a
    quiet `_RESYNC_SECONDS` (a heartbeat for the transport). Ends after the final event of an execution that
    has really ended. The caller has already checked that the execution belongs to the caller's org."""
    reader: FastReader = app.state.reader
    hub = app.state.events
    wake = hub.watch(str(execution_id))
    last = after
    try:
        while True:
            rows = await reader.fetch(_EVENTS, execution_id=execution_id, after=last)
            for row in rows:
                yield _event(row)
                last = row["id"]
                if row["type"] in FINAL_EVENTS:
                    # A retried execution goes on after its first failure: end only when it really ended.
                    current = await reader.fetchrow(_STATUS, execution_id=execution_id)
                    if current is None or current["status"] in _FINAL_STATUSES:
                        return
            if len(rows) == 500:
                continue
            try:
                await asyncio.wait_for(wake.get(), timeout=_RESYNC_SECONDS)
            except TimeoutError:
                yield None
            while not wake.empty():
                wake.get_nowait()
    finally:
        hub.unwatch(str(execution_id), wake)
