"""Fan-out of execution events to live streams in one API process, without Redis.

The engine NOTIFYs `agentflow_events` with the execution id after every event insert; the hub LISTENs on one
connection and wakes the streams watching that execution, which then read the new rows. A notification
lost (the listener reconnecting) only delays a stream until its periodic re-read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from agentflow.engine.events import EVENTS_CHANNEL

logger = logging.getLogger("agentflow.hub")


class EventHub:
    def __init__(self, database_url: str) -> None:
        self.dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
        self._watchers: dict[str, set[asyncio.Queue[None]]] = defaultdict(set)
        self._connection: asyncpg.Connection | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    async def start(self) -> None:
        await self._connect()
        self._task = asyncio.create_task(self._keep_alive())

    async def _connect(self) -> None:
        connection = await asyncpg.connect(self.dsn)
        await connection.add_listener(EVENTS_CHANNEL, self._notified)
        self._connection = connection

    def _notified(self, connection: Any, pid: int, channel: str, payload: str) -> None:
        for queue in self._watchers.get(payload, ()):
            queue.put_nowait(None)

    async def _keep_alive(self) -> None:
        """Reconnect when the listening connection drops, then wake every stream to re-read."""
        while not self._stopping:
            await asyncio.sleep(2)
            if self._connection is not None and not self._connection.is_closed():
                continue
            try:
                await self._connect()
            except (OSError, asyncpg.PostgresError) as exc:
                logger.warning("event hub reconnect failed: %s", exc)
                continue
            for queues in self._watchers.values():
                for queue in queues:
                    queue.put_nowait(None)

    def watch(self, execution_id: str) -> asyncio.Queue[None]:
        queue: asyncio.Queue[None] = asyncio.Queue()
        self._watchers[execution_id].add(queue)
        return queue

    def unwatch(self, execution_id: str, queue: asyncio.Queue[None]) -> None:
        watchers = self._watchers.get(execution_id)
        if watchers is not None:
            watchers.discard(queue)
            if not watchers:
                del self._watchers[execution_id]

    async def stop(self) -> None:
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._connection is not None:
            await self._connection.close()
