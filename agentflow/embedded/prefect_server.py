"""`python -m agentflow.embedded.prefect_server server start …`: Prefect's own CLI with one SQLite fix.

Prefect opens ORM transactions with SQLite's default `BEGIN DEFERRED`. When a read transaction upgrades to a
write while another writer (the event persister, the task-run recorder) holds the lock, SQLite fails at once
with "database is locked" — `busy_timeout` does not apply to upgrades — the server answers 503, and clients
back off for 2 s, then 4 s. `BEGIN IMMEDIATE` takes the write lock up front and waits on busy_timeout
instead. Measured on this machine: 20 concurrent flow runs went from 2.3 to 8.8 runs/s, p99 from 32 s to
4.3 s (docs/performance.md). This reaches into Prefect's server internals: re-check it on Prefect upgrades
(tests/embedded exercise it through every stack test).
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any


def patch_sqlite_begin_mode() -> None:
    from prefect.server.database import configurations

    @asynccontextmanager
    async def begin_immediate(self: Any, session: Any, with_for_update: bool = False) -> AsyncIterator[Any]:
        token = configurations.SQLITE_BEGIN_MODE.set("IMMEDIATE")
        try:
            async with session.begin() as transaction:
                yield transaction
        finally:
            configurations.SQLITE_BEGIN_MODE.reset(token)

    configurations.AioSqliteConfiguration.begin_transaction = begin_immediate  # type: ignore[method-assign]


def main() -> None:
    patch_sqlite_begin_mode()
    from prefect.cli import app

    sys.argv[0] = "prefect"
    app()


if __name__ == "__main__":
    main()
