"""Where the rate-limit counters live: Postgres by default (every API process shares the database, so no
other service is needed), Redis when `AGENTFLOW_REDIS_URL` names one (limits' own storage).

The Postgres storage implements the `limits` async storage interface with one UPSERT per hit that returns
the window's count and end; the window stats read right after a hit are answered from what that statement
returned, so a request costs one round trip, not three.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import asyncpg
from limits.aio.storage import Storage
from limits.storage import storage_from_string
from sqlalchemy import bindparam, delete, select, text

from agentflow.kit.fastread import FastReader, compile_query
from agentflow.models import RateLimitCounter

# A window that has ended starts again at this hit; otherwise the hit is added to it.
_HIT = compile_query(
    text(
        """
        INSERT INTO rate_limit_counters AS c (key, hits, expires_at)
        VALUES (:key, :amount, extract(epoch FROM clock_timestamp()) + :expiry)
        ON CONFLICT (key) DO UPDATE SET
            hits = CASE WHEN c.expires_at <= extract(epoch FROM clock_timestamp())
                        THEN EXCLUDED.hits ELSE c.hits + EXCLUDED.hits END,
            expires_at = CASE WHEN c.expires_at <= extract(epoch FROM clock_timestamp())
                              THEN EXCLUDED.expires_at ELSE c.expires_at END
        RETURNING hits, expires_at
        """
    ).bindparams(bindparam("key"), bindparam("amount"), bindparam("expiry"))
)
_GET = compile_query(
    select(RateLimitCounter.hits, RateLimitCounter.expires_at).where(RateLimitCounter.key == bindparam("key"))
)
_CLEAR = compile_query(delete(RateLimitCounter).where(RateLimitCounter.key == bindparam("key")))
_RESET = compile_query(delete(RateLimitCounter))
_MAX_REMEMBERED = 10_000


class PostgresStorage(Storage):
    """Fixed-window counters in `rate_limit_counters`, through the API process's fast reader."""

    STORAGE_SCHEME = None  # built with a reader, never from a URL

    def __init__(self, reader: Callable[[], FastReader]) -> None:
        super().__init__()
        self._reader = reader  # the API process's reader, opened in its lifespan (after this is built)
        # key → (hits, window end) as the last hit of this process saw them.
        self._last: dict[str, tuple[int, float]] = {}

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return (asyncpg.PostgresError, OSError)

    async def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        row = await self._reader().fetchrow(_HIT, key=key, amount=amount, expiry=float(expiry))
        assert row is not None  # an UPSERT … RETURNING always returns its row
        if len(self._last) >= _MAX_REMEMBERED:
            self._last.clear()
        self._last[key] = (row["hits"], row["expires_at"])
        return int(row["hits"])

    async def _current(self, key: str) -> tuple[int, float]:
        remembered = self._last.get(key)
        if remembered is not None and remembered[1] > time.time():
            return remembered
        row = await self._reader().fetchrow(_GET, key=key)
        if row is None or row["expires_at"] <= time.time():
            return 0, time.time()
        return int(row["hits"]), float(row["expires_at"])

    async def get(self, key: str) -> int:
        return (await self._current(key))[0]

    async def get_expiry(self, key: str) -> float:
        return (await self._current(key))[1]

    async def check(self) -> bool:
        return True

    async def reset(self) -> int | None:
        self._last.clear()
        await self._reader().execute(_RESET)
        return None

    async def clear(self, key: str) -> None:
        self._last.pop(key, None)
        await self._reader().execute(_CLEAR, key=key)


def redis_storage(url: str, **options: Any) -> Storage:
    """limits' Redis storage on redis-py's asyncio client (`redis://` → `async+redis://`)."""
    scheme, _, rest = url.partition("://")
    storage = storage_from_string(f"async+{scheme}://{rest}", implementation="redispy", **options)
    assert isinstance(storage, Storage)  # an async+ scheme builds an async storage
    return storage
