"""Ending executions whose flow run ended outside the engine: a dead worker, a cancellation."""

from __future__ import annotations

import uuid

from agentflow.engine.worker.store import EngineStore, engine_store


async def _finish_all(store: EngineStore, flow_run_ids: list[uuid.UUID], status: str, message: str) -> None:
    for execution_id in await store.executions_of_flow_runs(flow_run_ids):
        execution = await store.load(execution_id)
        if execution is None:
            continue
        await store.interrupt_steps(execution_id, "cancelled" if status == "cancelled" else "failed", message)
        if await store.finish(execution_id, status, error=message):
            event = "execution.cancelled" if status == "cancelled" else "execution.failed"
            await store.event(
                execution.org_id, execution_id, event, data={"status": status, "error": message}
            )


async def mark_crashed(flow_run_ids: list[uuid.UUID], message: str) -> None:
    """Their worker died: the executions fail (and can be retried from the failed node)."""
    if flow_run_ids:
        await _finish_all(await engine_store(), flow_run_ids, "failed", message)


async def mark_cancelled(flow_run_id: uuid.UUID, message: str = "Cancelled") -> None:
    await _finish_all(await engine_store(), [flow_run_id], "cancelled", message)
