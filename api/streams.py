"""WS /api/v1/executions/{id}/stream: the execution's events, replayed from the start, then live."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from sqlalchemy import text

from agentflow.auth.subject import authenticate
from agentflow.errors import AgentFlowError
from agentflow.kit.fastread import FastReader, compile_query
from agentflow.rbac import Permission

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


@router.websocket("/executions/{execution_id}/stream")
async def stream_execution(websocket: WebSocket, execution_id: uuid.UUID) -> None:
    """Auth: `?token=<access token or af_ key>`, or the usual `Authorization` / `X-API-Key` headers."""
    await websocket.accept()
    app = websocket.app
    reader: FastReader = app.state.reader
    token = websocket.query_params.get("token")
    bearer = websocket.headers.get("authorization", "").removeprefix("Bearer ").strip() or token
    try:
        subject = await authenticate(
            reader,
            app.state.settings,
            bearer=bearer,
            api_key=websocket.headers.get("x-api-key"),
            cache=getattr(app.state, "auth_cache", None),
        )
        subject.require(Permission.executions_read)
    except AgentFlowError as exc:
        await _refuse(websocket, 4403 if exc.status_code == 403 else 4401, exc.message)
        return
    if await reader.fetchrow(_OWNED, execution_id=execution_id, org_id=subject.org_id) is None:
        await _refuse(websocket, 4404, f"Execution {execution_id} not found")
        return
    hub = app.state.events
    wake = hub.watch(str(execution_id))
    last = 0
    try:
        while True:
            rows = await reader.fetch(_EVENTS, execution_id=execution_id, after=last)
            for row in rows:
                await websocket.send_json(_event(row))
                last = row["id"]
                if row["type"] in FINAL_EVENTS:
                    # A retried execution goes on after its first failure: end only when it really ended.
                    current = await reader.fetchrow(_STATUS, execution_id=execution_id)
                    if current is None or current["status"] in _FINAL_STATUSES:
                        await websocket.close(code=1000)
                        return
            if len(rows) == 500:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.get(), timeout=_RESYNC_SECONDS)
            while not wake.empty():
                wake.get_nowait()
    except WebSocketDisconnect:
        return
    finally:
        hub.unwatch(str(execution_id), wake)
