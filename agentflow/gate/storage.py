"""Where the rate-limit counters live: Postgres by default (every API process shares the database, so no
other service is needed), Redis when `AGENTFLOW_REDIS_URL` names one (limits' own storage).

The Postgres storage implements the `limits` async storage interface with one UPSERT per hit that returns
the window's count and end, on an UNLOGGED table (a counter write waits for no WAL flush; a crash only
forgets the current minute's counts). In both stores the window stats read right after a hit are answered
from what this process's hit returned (`WindowMemory`), and a request's quotas are hit together: one round
trip's wait per request.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any

import asyncpg
from limits.aio.storage import Storage
from limits.storage import storage_from_string
from sqlalchemy import bindparam, delete, select, text

from agentflow.kit.fastread import FastReader, compile_query
from agentflow.models import RateLimitCounter

# A window that has ended starts again at this hit; otherwise the hit is added to it. Several counters
# (an org's quota and its key's) are hit in one statement.
_HIT = compile_query(
    text(
        """
        INSERT INTO rate_limit_counters AS c (key, hits, expires_at)
        SELECT k, a, extract(epoch FROM clock_timestamp()) + e
        FROM unnest(CAST(:keys AS text[]), CAST(:amounts AS integer[]), CAST(:expiries AS float8[]))
            AS hit(k, a, e)
        ON CONFLICT (key) DO UPDATE SET
            hits = CASE WHEN c.expires_at <= extract(epoch FROM clock_timestamp())
                        THEN EXCLUDED.hits ELSE c.hits + EXCLUDED.hits END,
            expires_at = CASE WHEN c.expires_at <= extract(epoch FROM clock_timestamp())
                              THEN EXCLUDED.expires_at ELSE c.expires_at END
        RETURNING key, hits, expires_at
        """
    ).bindparams(bindparam("keys"), bindparam("amounts"), bindparam("expiries"))
)
_GET = compile_query(
    select(RateLimitCounter.hits, RateLimitCounter.expires_at).where(RateLimitCounter.key == bindparam("key"))
)
_CLEAR = compile_query(delete(RateLimitCounter).where(RateLimitCounter.key == bindparam("key")))
_RESET = compile_query(delete(RateLimitCounter))
_MAX_REMEMBERED = 10_000


class WindowMemory:
    """key → (hits, window end) as this process's last hit saw them; forgotten when the window ends."""

    def __init__(self) -> None:
        self._last: dict[str, tuple[int, float]] = {}

    def remember(self, key: str, hits: int, end: float) -> None:
        if len(self._last) >= _MAX_REMEMBERED:
            self._last.clear()
        self._last[key] = (hits, end)

    def recall(self, key: str) -> tuple[int, float] | None:
        remembered = self._last.get(key)
        return remembered if remembered is not None and remembered[1] > time.time() else None

    def forget(self, key: str | None = None) -> None:
        if key is None:
            self._last.clear()
        else:
            self._last.pop(key, None)


class PostgresStorage(Storage):
    """Fixed-window counters in `rate_limit_counters`, through the API process's fast reader."""

    STORAGE_SCHEME = None  # built with a reader, never from a URL

    def __init__(self, reader: Callable[[], FastReader]) -> None:
        super().__init__()
        self._reader = reader  # the API process's reader, opened in its lifespan (after this is built)
        self._memory = WindowMemory()

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return (asyncpg.PostgresError, OSError)

    async def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        (hits,) = await self.incr_many([(key, expiry)], amount)
        return hits

    async def incr_many(self, hits: Sequence[tuple[str, int]], amount: int = 1) -> list[int]:
        """Each (key, expiry) counted once, in one statement (keys distinct); their counts, in order."""
        rows = await self._reader().fetch(
            _HIT,
            keys=[key for key, _ in hits],
            amounts=[amount] * len(hits),
            expiries=[float(expiry) for _, expiry in hits],
        )
        counts = {}
        for row in rows:
            counts[row["key"]] = int(row["hits"])
            self._memory.remember(row["key"], int(row["hits"]), float(row["expires_at"]))
        return [counts[key] for key, _ in hits]

    async def _current(self, key: str) -> tuple[int, float]:
        remembered = self._memory.recall(key)
        if remembered is not None:
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
        self._memory.forget()
        await self._reader().execute(_RESET)
        return None

    async def clear(self, key: str) -> None:
        self._memory.forget(key)
        await self._reader().execute(_CLEAR, key=key)


class RememberingRedisStorage(Storage):
    """limits' Redis storage, with the window stats after a hit answered from memory: its INCR returns the
    count, and the window's end is known when the hit opened the window (count == amount) or read once
    per window (TTL) otherwise."""

    STORAGE_SCHEME = None

    def __init__(self, inner: Storage) -> None:
        super().__init__()
        self._inner = inner
        self._memory = WindowMemory()

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return self._inner.base_exceptions

    async def incr_many(self, hits: Sequence[tuple[str, int]], amount: int = 1) -> list[int]:
        """Each (key, expiry) counted once, concurrently (redis-py's pool): one round trip's wait."""
        return list(await asyncio.gather(*(self.incr(key, expiry, amount) for key, expiry in hits)))

    async def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        started = time.time()
        hits = await self._inner.incr(key, expiry, amount)
        remembered = self._memory.recall(key)
        if hits == amount:  # this hit opened the window
            self._memory.remember(key, hits, started + expiry)
        elif remembered is not None:
            self._memory.remember(key, hits, remembered[1])
        else:
            self._memory.remember(key, hits, await self._inner.get_expiry(key))
        return hits

    async def get(self, key: str) -> int:
        remembered = self._memory.recall(key)
        return remembered[0] if remembered is not None else await self._inner.get(key)

    async def get_expiry(self, key: str) -> float:
        remembered = self._memory.recall(key)
        return remembered[1] if remembered is not None else await self._inner.get_expiry(key)

    async def check(self) -> bool:
        return await self._inner.check()

    async def reset(self) -> int | None:
        self._memory.forget()
        return await self._inner.reset()

    async def clear(self, key: str) -> None:
        self._memory.forget(key)
        await self._inner.clear(key)


CounterStorage = PostgresStorage | RememberingRedisStorage


def redis_storage(url: str, **options: Any) -> RememberingRedisStorage:
    """limits' Redis storage on redis-py's asyncio client (`redis://` → `async+redis://`)."""
    scheme, _, rest = url.partition("://")
    storage = storage_from_string(f"async+{scheme}://{rest}", implementation="redispy", **options)
    assert isinstance(storage, Storage)  # an async+ scheme builds an async storage
    return RememberingRedisStorage(storage)
