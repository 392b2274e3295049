"""The body of the `run_agent` flow and its state hooks (flows/run_agent.py stays a thin wrapper)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import httpx
from prefect.context import FlowRunContext

from agentflow.ai.wiring import process_router
from agentflow.egress import EgressPolicy, guarded_client
from agentflow.engine.worker import crash_recovery
from agentflow.engine.worker.env import resolve_org_env
from agentflow.engine.worker.runtime import build_runtime
from agentflow.engine.worker.store import engine_store
from agentflow.executions.triggers import trigger_service

logger = logging.getLogger("agentflow.engine")
_http: httpx.AsyncClient | None = None


def _client() -> httpx.AsyncClient:
    """One connection pool per worker process for every action node (their own timeouts apply), behind the
    egress guard built from the operator's settings."""
    global _http
    if _http is None:
        from agentflow.config import get_settings

        _http = guarded_client(EgressPolicy.from_settings(get_settings()), max_connections=200)
    return _http


class UntrustedRun(Exception):
    """A flow run whose parameters do not match the execution it names: it is refused, and touches nothing."""


def _current_flow_run() -> Any:
    context = FlowRunContext.get()
    return context.flow_run if context is not None else None


async def run_execution(
    execution_id: uuid.UUID, *, agent_id: uuid.UUID | None = None, version_id: uuid.UUID | None = None
) -> dict[str, Any]:
    """Run the execution the flow run was created for. Nothing in the parameters is trusted: the execution
    (loaded with its org, agent and version joined consistently) must name this flow run or none yet, and
    the agent and version the parameters carry must be the execution's own."""
    store = await engine_store()
    execution = await store.load(execution_id)
    flow_run = _current_flow_run()
    flow_run_id = flow_run.id if flow_run is not None else None
    if execution is None:
        raise UntrustedRun(f"Execution {execution_id} does not exist")
    if execution.prefect_flow_run_id not in (None, flow_run_id) or (
        (agent_id is not None and agent_id != execution.agent_id)
        or (version_id is not None and version_id != execution.version_id)
    ):
        raise UntrustedRun(f"This flow run is not the run of execution {execution_id}")
    runtime = await build_runtime(
        store,
        execution,
        resolve_env=resolve_org_env,
        http=_client(),
        router=process_router(store.db),
        flow_run_id=flow_run_id,
    )
    return await runtime.run()


async def run_scheduled(agent_id: uuid.UUID, version_id: uuid.UUID) -> dict[str, Any]:
    """A run the deployment's cron schedule created: record it as an execution (executions/triggers.py
    decides whether it may run), then run it."""
    flow_run = _current_flow_run()
    assert flow_run is not None, "scheduled runs are flow runs of a deployment"
    scheduled_at = flow_run.expected_start_time or flow_run.created
    execution_id = await trigger_service.schedule(
        (await engine_store()).db,
        agent_id=agent_id,
        version_id=version_id,
        flow_run_id=flow_run.id,
        deployment_id=flow_run.deployment_id,
        scheduled_at=scheduled_at.isoformat() if scheduled_at else None,
    )
    if execution_id is None:
        logger.info("scheduled run %s skipped: agent %s is inactive or does not match", flow_run.id, agent_id)
        return {"status": "skipped", "note": "the agent is paused, archived or does not match this run"}
    return await run_execution(execution_id)


async def on_crashed(flow: Any, flow_run: Any, state: Any) -> None:
    await crash_recovery.mark_crashed(
        [flow_run.id], f"The execution crashed: {state.message or 'no message'}"
    )


async def on_failure(flow: Any, flow_run: Any, state: Any) -> None:
    """Failures the runtime already recorded are left alone; anything earlier (say, a load error) is not."""
    await crash_recovery.mark_crashed([flow_run.id], f"The execution failed: {state.message or 'no message'}")


async def on_cancellation(flow: Any, flow_run: Any, state: Any) -> None:
    await crash_recovery.mark_cancelled(flow_run.id, state.message or "Cancelled")
