"""Recording through short outages: the worker's writes to Postgres (and Vault checkpoints) are retried for
`record_retry_seconds` when the service is briefly unreachable (a restart, a failover, a sealed Vault).

Why the writes and not the step: a handler that already ran (a payment, an email) must not run again because
its end could not be written; so the write is retried, and if it still cannot be done the step fails with
`RecordingFailed`, which is never retried by Prefect (`retryable = False`). Only connection-level errors are
retried; an SQL error is a bug and surfaces at once. A statement retried after a connection broke between the
server's commit and its answer may run twice: every engine write is an upsert or a guarded update, except
event and log inserts, where that rare case shows a duplicate line.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import asyncpg

from agentflow.kit.fastread import CompiledQuery, FastReader
from agentflow.secrets.vault import VaultUnavailable

logger = logging.getLogger("agentflow.engine.recording")

T = TypeVar("T")

# Unreachable, restarting or shutting down: worth another attempt. (asyncpg raises OSError subclasses and
# TimeoutError for a refused or hung connect, PostgresConnectionError for a connection that broke.)
DATABASE_OUTAGE: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
)
_FIRST_DELAY = 0.2
_MAX_DELAY = 3.0


class RecordingFailed(Exception):
    """The step's outcome could not be written within the retry window; the step fails, and is not retried
    (its handler may have acted already)."""

    retryable = False


async def retried(
    work: Callable[[], Awaitable[T]],
    *,
    window: float,
    outage: tuple[type[BaseException], ...],
    what: str,
) -> T:
    """Run `work`, again after each `outage` error with a growing delay, until `window` seconds passed."""
    deadline = time.monotonic() + window
    delay = _FIRST_DELAY
    attempt = 1
    while True:
        try:
            return await work()
        except outage as exc:
            if time.monotonic() + delay > deadline:
                raise
            # The first failure is a warning (tests and operators look for it), later ones are noise.
            log = logger.warning if attempt == 1 else logger.debug
            log("%s failed (%s: %s); retrying for up to %.0fs", what, type(exc).__name__, exc, window)
        await asyncio.sleep(delay)
        delay = min(delay * 2, _MAX_DELAY)
        attempt += 1


async def retried_vault(work: Callable[[], Awaitable[T]], *, window: float, what: str) -> T:
    return await retried(work, window=window, outage=(VaultUnavailable,), what=what)


class RetryingReader:
    """A FastReader whose statements outlast a database outage of up to `window` seconds."""

    def __init__(self, inner: FastReader, *, window: float) -> None:
        self.inner = inner
        self.window = window

    async def fetchrow(self, query: CompiledQuery, **values: Any) -> asyncpg.Record | None:
        return await retried(
            lambda: self.inner.fetchrow(query, **values),
            window=self.window,
            outage=DATABASE_OUTAGE,
            what="a database statement",
        )

    async def fetch(self, query: CompiledQuery, **values: Any) -> Sequence[asyncpg.Record]:
        return await retried(
            lambda: self.inner.fetch(query, **values),
            window=self.window,
            outage=DATABASE_OUTAGE,
            what="a database statement",
        )

    async def execute(self, query: CompiledQuery, **values: Any) -> None:
        await retried(
            lambda: self.inner.execute(query, **values),
            window=self.window,
            outage=DATABASE_OUTAGE,
            what="a database statement",
        )
