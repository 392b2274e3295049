"""The fast lane: executions of agents in the `fast` execution mode, run as task runs inside one long-lived
flow run per worker instead of a flow run each.

Why: a flow run costs the Prefect server ~100 ms of CPU (its states, events and the worker's claim), which
capped a 2-core machine at ~6 executions/s; a task run inside a running flow costs a fraction of that. What
stays the same for users: every execution and step is recorded in AgentFlow and streamed, nodes retry by
their policy (inline.py), a cancel is checked before each node, and a failed execution is retried from its
failed node (the API queues it again and a lane claims it). What an operator sees in Prefect's UI: a flow run
`fast lane · <worker>` of the `fast-lane/workers` deployment, with one task run per execution
(`<agent> · <trigger> · <execution>`). The lane's flow run ends every `ROTATE_SECONDS` after the executions it
holds finish, and the worker starts the next one, so no flow run grows without bound.

Claiming: the API NOTIFYs `FAST_LANE_CHANNEL` when a fast execution is queued; every lane LISTENs, and also
polls, then takes up to its free capacity of the oldest queued fast executions in one statement (FOR UPDATE
SKIP LOCKED: two lanes never take the same one) by writing its flow run's id on them. A worker that dies
leaves its lane's flow run to the orphan reaper, which fails the executions it held (retryable).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from typing import Any

import asyncpg
from prefect import task
from prefect.context import FlowRunContext
from sqlalchemy import make_url, text

from agentflow.engine.events import FAST_LANE_CHANNEL
from agentflow.engine.labels import run_name
from agentflow.engine.worker.store import engine_store
from agentflow.kit.fastread import compile_query

logger = logging.getLogger("agentflow.fast_lane")

ROTATE_SECONDS = 600.0
POLL_SECONDS = 1.0
# Executions claimed per statement: a burst is taken in a few statements, not one per execution.
CLAIM_BATCH = 100

_CLAIM = compile_query(
    text(
        """
        WITH next AS (
            SELECT id FROM executions
            WHERE status = 'queued' AND lane = 'fast' AND prefect_flow_run_id IS NULL
            ORDER BY created_at LIMIT :limit
            FOR UPDATE SKIP LOCKED
        )
        UPDATE executions e SET prefect_flow_run_id = :flow_run_id, updated_at = now()
        FROM next, agents a
        WHERE e.id = next.id AND a.id = e.agent_id
        RETURNING e.id, e.triggered_by, a.name AS agent_name
        """
    )
)


@task(name="execution", task_run_name="{label}", persist_result=False, log_prints=False)
async def fast_execution(execution_id: str, label: str) -> str:
    """One execution of the fast lane (its nodes run inline: runtime.py, inline.py)."""
    from agentflow.engine.worker.entry import run_execution

    result = await run_execution(uuid.UUID(execution_id))
    return str(result.get("status"))


class FastLane:
    def __init__(self, *, flow_run_id: uuid.UUID, capacity: int, rotate_seconds: float) -> None:
        self.flow_run_id = flow_run_id
        self.capacity = capacity
        self.rotate_seconds = rotate_seconds
        self.in_flight: set[asyncio.Task[None]] = set()
        self.woken = asyncio.Event()
        self.claimed = 0

    def _notified(self, *args: Any) -> None:
        self.woken.set()

    async def run(self) -> dict[str, Any]:
        """Claim and run until it is time to rotate, then let what is under way finish."""
        from agentflow.config import get_settings

        store = await engine_store()
        dsn = make_url(get_settings().database_url).set(drivername="postgresql")
        listener = await asyncpg.connect(dsn.render_as_string(hide_password=False))
        await listener.add_listener(FAST_LANE_CHANNEL, self._notified)
        deadline = time.monotonic() + self.rotate_seconds
        try:
            while time.monotonic() < deadline:
                free = self.capacity - len(self.in_flight)
                rows = (
                    await store.db.fetch(_CLAIM, limit=min(free, CLAIM_BATCH), flow_run_id=self.flow_run_id)
                    if free > 0
                    else []
                )
                for row in rows:
                    self._start(row["id"], run_name(row["agent_name"], row["triggered_by"], row["id"]))
                if len(rows) == CLAIM_BATCH:
                    continue  # more may be waiting: claim again before sleeping
                self.woken.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.woken.wait(), POLL_SECONDS)
        finally:
            with contextlib.suppress(Exception):
                await listener.close()
            if self.in_flight:
                await asyncio.gather(*self.in_flight, return_exceptions=True)
        return {"executions": self.claimed}

    def _start(self, execution_id: uuid.UUID, label: str) -> None:
        self.claimed += 1
        job = asyncio.ensure_future(self._one(execution_id, label))
        self.in_flight.add(job)
        job.add_done_callback(self.in_flight.discard)

    async def _one(self, execution_id: uuid.UUID, label: str) -> None:
        try:
            await fast_execution(str(execution_id), label)
        except Exception:  # the execution's record says how it ended; the task run shows it Failed
            logger.debug("fast execution %s did not complete", execution_id, exc_info=True)


async def run_lane(capacity: int, rotate_seconds: float = ROTATE_SECONDS) -> dict[str, Any]:
    """The body of the `fast-lane` flow (flows/fast_lane.py)."""
    context = FlowRunContext.get()
    assert context is not None and context.flow_run is not None, "the lane runs as a flow run"
    lane = FastLane(flow_run_id=context.flow_run.id, capacity=capacity, rotate_seconds=rotate_seconds)
    return await lane.run()


async def keep_lane_running(worker: Any, gateway: Any, capacity: int) -> None:
    """The worker's fast lane, one flow run after another (`worker`: the AgentFlowWorker, `gateway`: its
    PrefectGateway). Labelled with the worker's name before it runs, like a claimed run, so the orphan
    reaper knows whose it is."""
    if capacity <= 0:
        return
    while True:
        try:
            flow_run = await gateway.create_lane_run(worker.name)
            await worker._give_worker_labels_to_flow_run(flow_run.id)  # Prefect internal (inproc.py)
            await worker.run(flow_run)
        except Exception:
            logger.exception("the fast lane stopped; starting it again in 5 s")
            await asyncio.sleep(5)
