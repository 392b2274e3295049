"""Ending executions whose flow run ended outside the engine: a dead worker, a cancellation, a flow run
that crashed or vanished in Prefect (the sweeper, reconcile.py and heartbeat.py, finds those)."""

from __future__ import annotations

import uuid

from agentflow.config import get_settings
from agentflow.engine.worker.store import EngineStore, engine_store
from agentflow.knowledge import ingestion


async def end_execution(store: EngineStore, execution_id: uuid.UUID, status: str, message: str) -> bool:
    """End it as `status` (failed or cancelled) with the steps still under way; True if this call did."""
    execution = await store.load(execution_id)
    if execution is None or not await store.finish(execution_id, status, error=message):
        return False
    event = "execution.cancelled" if status == "cancelled" else "execution.failed"
    await store.event(execution.org_id, execution_id, event, data={"status": status, "error": message})
    return True


async def _finish_all(store: EngineStore, flow_run_ids: list[uuid.UUID], status: str, message: str) -> None:
    for execution_id in await store.executions_of_flow_runs(flow_run_ids):
        await end_execution(store, execution_id, status, message)


async def mark_crashed(flow_run_ids: list[uuid.UUID], message: str) -> None:
    """Their worker died: the executions fail (and can be retried from the failed node); documents being
    ingested by those runs fail too (and can be re-indexed)."""
    if flow_run_ids:
        await _finish_all(await engine_store(), flow_run_ids, "failed", message)
        await ingestion.fail_flow_runs(
            ingestion.sessions(get_settings()), flow_run_ids, f"{message}; re-index the document"
        )


async def mark_cancelled(flow_run_id: uuid.UUID, message: str = "Cancelled") -> None:
    await _finish_all(await engine_store(), [flow_run_id], "cancelled", message)
