"""`fast_lane`: one worker's fast lane, the executions of agents in the fast execution mode as task runs
(agentflow/engine/worker/fast_lane.py). Each worker creates its own runs of the `fast-lane/workers`
deployment and runs them itself; the flow run ends every few minutes and the next one starts."""

from __future__ import annotations

from typing import Any

from prefect import flow

import blocks.vault  # noqa: F401 - registers the Vault block type a worker without VAULT_ADDR loads
from agentflow.config import get_settings
from agentflow.engine.worker import crash_recovery
from agentflow.engine.worker.fast_lane import run_lane


async def on_stopped(flow: Any, flow_run: Any, state: Any) -> None:
    """The lane ended abnormally: the executions it still held fail (and can be retried)."""
    await crash_recovery.mark_crashed(
        [flow_run.id], f"The fast lane running it stopped: {state.message or state.name}"
    )


async def on_cancellation(flow: Any, flow_run: Any, state: Any) -> None:
    await crash_recovery.mark_cancelled(flow_run.id, state.message or "Cancelled")


@flow(
    name="fast-lane",
    persist_result=False,
    validate_parameters=False,
    log_prints=False,
    on_crashed=[on_stopped],
    on_failure=[on_stopped],
    on_cancellation=[on_cancellation],
)
async def fast_lane(worker: str | None = None) -> dict[str, Any]:
    """Claim and run fast executions until it is time to rotate (`worker`: whose lane, for the UI)."""
    return await run_lane(get_settings().fast_lane_capacity)
