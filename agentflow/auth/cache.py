"""An in-process cache of resolved credentials, invalidated at once by Postgres NOTIFY.

Authentication runs on every request; its lookup (API key + creator's membership, or a token's membership)
was the largest piece of an authenticated request's database work. Rows change rarely: a key is revoked, a
role changes, a member is removed, a user is deactivated. Triggers on those columns (migration 0004)
NOTIFY `agentflow_auth`; every API process LISTENs and drops its whole cache on any notification.

Safety rules, since a stale entry would let a revoked key in:
- the cache answers only while its listening connection is up; a dropped connection disables it (every
  request reads Postgres again) until the listener is back, and reconnecting clears it;
- a row read before an invalidation is never stored after it (a generation counter);
- entries also expire after `ttl` seconds, a backstop for a notification lost in between;
- only successful lookups are cached; expiry dates are re-checked on every hit by the caller.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

logger = logging.getLogger("agentflow.auth.cache")

AUTH_CHANNEL = "agentflow_auth"
_MAX_ENTRIES = 10_000


class AuthCache:
    def __init__(self, *, ttl: float = 30.0) -> None:
        self.ttl = ttl
        self.enabled = False
        self.generation = 0
        self._entries: dict[tuple[str, Any], tuple[float, Any]] = {}

    def get(self, kind: str, key: Any) -> Any | None:
        if not self.enabled:
            return None
        entry = self._entries.get((kind, key))
        if entry is None:
            return None
        stored_at, value = entry
        if time.monotonic() - stored_at >= self.ttl:
            del self._entries[(kind, key)]
            return None
        return value

    def put(self, kind: str, key: Any, value: Any, *, generation: int) -> None:
        """Store a row read while `generation` was current; dropped if anything was invalidated since."""
        if not self.enabled or generation != self.generation:
            return
        if len(self._entries) >= _MAX_ENTRIES:
            self._entries.clear()
        self._entries[(kind, key)] = (time.monotonic(), value)

    def invalidate(self) -> None:
        self.generation += 1
        self._entries.clear()

    def disable(self) -> None:
        self.enabled = False
        self.invalidate()

    def enable(self) -> None:
        self.invalidate()
        self.enabled = True


class AuthInvalidationListener:
    """Keeps one LISTEN connection for an `AuthCache`: enabled only while that connection is up."""

    def __init__(self, database_url: str, cache: AuthCache, *, check_every: float = 1.0) -> None:
        self.dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.cache = cache
        self.check_every = check_every
        self._connection: asyncpg.Connection | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        with contextlib.suppress(OSError, asyncpg.PostgresError):
            await self._connect()
        self._task = asyncio.create_task(self._keep_alive())

    async def _connect(self) -> None:
        connection = await asyncpg.connect(self.dsn)
        await connection.add_listener(AUTH_CHANNEL, self._notified)
        connection.add_termination_listener(self._terminated)
        self._connection = connection
        self.cache.enable()

    def _notified(self, connection: Any, pid: int, channel: str, payload: str) -> None:
        self.cache.invalidate()

    def _terminated(self, connection: Any) -> None:
        logger.warning("auth cache disabled: its LISTEN connection closed")
        self.cache.disable()

    async def _keep_alive(self) -> None:
        while True:
            await asyncio.sleep(self.check_every)
            if self._connection is not None and not self._connection.is_closed():
                continue
            self.cache.disable()
            try:
                await self._connect()
            except (OSError, asyncpg.PostgresError) as exc:
                logger.warning("auth cache listener reconnect failed: %s", exc)

    async def stop(self) -> None:
        self.cache.disable()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._connection is not None:
            connection, self._connection = self._connection, None
            connection.remove_termination_listener(self._terminated)
            await connection.close()
