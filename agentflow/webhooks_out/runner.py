"""One run of the delivery flow: send what is due, then keep listening for new deliveries for a while.

Every outbox insert NOTIFYs `agentflow_webhooks` (delivered at its commit), so a run wakes within
milliseconds of an execution's end; it also wakes when the next retry falls due, and every few seconds
whatever happens (a lost notification only delays). One run at a time listens (a Postgres advisory lock):
a run that finds the lock taken (a late or overlapping scheduled run) sends what is due once and ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from agentflow.webhooks_out.delivery import Deliverer
from agentflow.webhooks_out.events import CHANNEL

logger = logging.getLogger("agentflow.webhooks")

# pg_try_advisory_lock key: the listening delivery run ("whdl" as an integer).
LISTENER_LOCK = 0x7768646C
POLL_SECONDS = 5.0


@dataclass(frozen=True)
class RunReport:
    attempted: int
    listened: bool


async def run_deliveries(deliverer: Deliverer, database_url: str, *, seconds: float) -> RunReport:
    """Send due deliveries for up to `seconds` (listening), or once if another run is listening."""
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        if not await connection.fetchval("SELECT pg_try_advisory_lock($1)", LISTENER_LOCK):
            return RunReport(attempted=await deliverer.drain(), listened=False)
        wake = asyncio.Event()

        def notified(*_: Any) -> None:
            wake.set()

        await connection.add_listener(CHANNEL, notified)
        deadline = time.monotonic() + seconds
        attempted = 0
        while True:
            wake.clear()
            attempted += await deliverer.drain()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return RunReport(attempted=attempted, listened=True)
            due = await deliverer.seconds_to_next_due()
            wait = min(remaining, POLL_SECONDS, due if due is not None else POLL_SECONDS)
            if wait > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), wait)
    finally:
        # Closing the session releases the advisory lock.
        with contextlib.suppress(Exception):
            await connection.close()
