"""Executions left unfinished although their Prefect flow run ended or vanished: ended to match.

The engine ends an execution itself in the normal cases, and Prefect's state hooks cover a flow run that
crashed or was cancelled while its process lived. What is left: a hook that could not write (the database
was down), a flow run crashed or cancelled from Prefect's side while no process held it (Prefect's zombie
automation, an operator in the UI, the orphan reaper of heartbeat.py), a flow run deleted. Every worker's
sweeper walks the queued, running and paused executions that have a flow run (a keyset cursor, so a large
backlog is covered over a few passes) and asks Prefect for their flow runs, a batch per request.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from prefect.client.orchestration import PrefectClient
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.objects import FlowRun, StateType
from sqlalchemy import text

from agentflow.engine.worker.crash_recovery import end_execution
from agentflow.engine.worker.store import EngineStore
from agentflow.kit.fastread import compile_query

logger = logging.getLogger("agentflow.sweeper")

# Newer changes are left alone: the run may be between two states the engine writes a moment apart.
SETTLE_SECONDS = 10.0
_BATCH = 200
_UNFINISHED = compile_query(
    text(
        """
        SELECT id, prefect_flow_run_id, updated_at FROM executions
        WHERE status IN ('queued', 'running', 'paused') AND prefect_flow_run_id IS NOT NULL
          AND updated_at < now() - make_interval(secs => :settle)
          AND (updated_at, id) > (:after_at, :after_id)
        ORDER BY updated_at, id
        LIMIT :limit
        """
    )
)
# How an execution ends when its flow run ended without it. A Completed flow run with an unfinished
# execution ended outside AgentFlow (forced in Prefect's UI): what the execution did is unknown, so failed.
_ENDS = {
    StateType.CANCELLED: "cancelled",
    StateType.CRASHED: "failed",
    StateType.FAILED: "failed",
    StateType.COMPLETED: "failed",
}
_START = (datetime.min.replace(tzinfo=UTC), uuid.UUID(int=0))


def _ending(flow_run: FlowRun | None) -> tuple[str, str] | None:
    """(status, message) for an execution whose flow run is this one, or None while the run goes on."""
    if flow_run is None:
        return "failed", "Its Prefect flow run no longer exists; run the agent again"
    state = flow_run.state
    if state is None or state.type not in _ENDS:
        return None
    detail = f": {state.message}" if state.message else ""
    return _ENDS[state.type], f"Its Prefect flow run ended as {state.name}{detail}"


class Reconciler:
    def __init__(self, client: PrefectClient, store: EngineStore) -> None:
        self.client = client
        self.store = store
        self._after = _START

    async def run_once(self) -> int:
        """Check one batch of unfinished executions (the next one on the next call); return how many ended."""
        rows = await self.store.db.fetch(
            _UNFINISHED,
            settle=SETTLE_SECONDS,
            after_at=self._after[0],
            after_id=self._after[1],
            limit=_BATCH,
        )
        self._after = (rows[-1]["updated_at"], rows[-1]["id"]) if len(rows) == _BATCH else _START
        if not rows:
            return 0
        runs = await self.client.read_flow_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[r["prefect_flow_run_id"] for r in rows])),
            limit=len(rows),
        )
        by_id = {run.id: run for run in runs}
        ended = 0
        for row in rows:
            ending = _ending(by_id.get(row["prefect_flow_run_id"]))
            if ending is not None and await end_execution(self.store, row["id"], *ending):
                logger.warning("execution %s ended as %s: %s", row["id"], *ending)
                ended += 1
        return ended
