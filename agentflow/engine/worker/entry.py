"""The body of the `run_agent` flow and its state hooks (flows/run_agent.py stays a thin wrapper)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import httpx
from prefect.client.orchestration import get_client
from prefect.context import FlowRunContext

from agentflow.ai.wiring import process_router
from agentflow.billing.limits import PlanLimits
from agentflow.egress import EgressPolicy, guarded_client
from agentflow.engine.labels import run_name
from agentflow.engine.worker import crash_recovery
from agentflow.engine.worker.env import resolve_org_env, secret_store
from agentflow.engine.worker.mail import worker_mailer
from agentflow.engine.worker.runtime import build_runtime
from agentflow.engine.worker.store import EngineStore, engine_store
from agentflow.engine.worker.subagents import SubAgents
from agentflow.executions.triggers import trigger_service
from agentflow.integrations.runner import ConnectionRunner
from agentflow.knowledge import ingestion
from agentflow.knowledge.retriever import OrgKnowledge

logger = logging.getLogger("agentflow.engine")
_http: httpx.AsyncClient | None = None
_limits: PlanLimits | None = None


def _plan_limits() -> PlanLimits:
    """This worker's plan-limit checks (their executions counts are kept per process)."""
    global _limits
    if _limits is None:
        from agentflow.config import get_settings

        _limits = PlanLimits.from_settings(get_settings())
    return _limits


def _knowledge(store: EngineStore) -> OrgKnowledge:
    """The knowledge.retrieve node's search, on this process's ingestion sessions and AI router."""
    from agentflow.config import get_settings

    return OrgKnowledge(ingestion.sessions(get_settings()), process_router(store.db))


def _integrations(store: EngineStore) -> ConnectionRunner:
    """action.integration and AI tools: the org's connections, credentials read from Vault per call."""
    from agentflow.config import get_settings

    settings = get_settings()
    return ConnectionRunner(
        ingestion.sessions(settings),
        secret_store,
        http=_client(),
        settings=settings,
        mailer=worker_mailer(store.db),
    )


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
        knowledge=_knowledge(store),
        agents=SubAgents(store.db, agent_id=execution.agent_id, execution_id=execution.id),
        integrations=_integrations(store),
        # Run by a worker's fast lane, or (scheduled) in the flow run its schedule made: nodes inline either
        # way, so a fast execution behaves the same whatever started it.
        fast=execution.lane == "fast",
    )
    return await runtime.run()


async def run_scheduled(agent_id: uuid.UUID, version_id: uuid.UUID) -> dict[str, Any]:
    """A run the deployment's cron schedule created: record it as an execution (executions/triggers.py
    decides whether it may run), then run it."""
    flow_run = _current_flow_run()
    assert flow_run is not None, "scheduled runs are flow runs of a deployment"
    scheduled_at = flow_run.expected_start_time or flow_run.created
    store = await engine_store()
    execution_id = await trigger_service.schedule(
        store.db,
        limits=_plan_limits(),
        agent_id=agent_id,
        version_id=version_id,
        flow_run_id=flow_run.id,
        deployment_id=flow_run.deployment_id,
        scheduled_at=scheduled_at.isoformat() if scheduled_at else None,
    )
    if execution_id is None:
        logger.info(
            "scheduled run %s skipped: agent %s is inactive, does not match or is over its plan's limit",
            flow_run.id,
            agent_id,
        )
        return {
            "status": "skipped",
            "note": "the agent is paused, archived or does not match this run, or its plan's executions "
            "are used up",
        }
    await _label_scheduled_run(store, flow_run, agent_id, execution_id)
    execution = await store.load(execution_id)
    if execution is not None and execution.lane == "fast":
        await store.wake_fast_lanes()
        return {"status": "queued", "execution_id": str(execution_id), "note": "runs in the fast lane"}
    return await run_execution(execution_id)


async def _label_scheduled_run(
    store: EngineStore, flow_run: Any, agent_id: uuid.UUID, execution_id: uuid.UUID
) -> None:
    """Prefect's scheduler names a run at random (`jolly-beetle`): give it the name and tags a dispatched
    run gets. The deployment's tags are on it already; a failure leaves the name, never the run."""
    label = await store.agent_label(agent_id)
    if label is None:
        return
    agent_name, org_slug = label
    name = run_name(agent_name, "schedule", execution_id)
    tags = list(dict.fromkeys([*flow_run.tags, f"org:{org_slug}", "trigger:schedule"]))
    if flow_run.name == name and tags == list(flow_run.tags):  # a retry of a run named already
        return
    try:
        async with get_client() as client:
            await client.update_flow_run(flow_run.id, name=name, tags=tags)
    except Exception as exc:
        logger.warning("scheduled run %s keeps its name: %s", flow_run.id, exc)


async def on_crashed(flow: Any, flow_run: Any, state: Any) -> None:
    await crash_recovery.mark_crashed(
        [flow_run.id], f"The execution crashed: {state.message or 'no message'}"
    )


async def on_failure(flow: Any, flow_run: Any, state: Any) -> None:
    """Failures the runtime already recorded are left alone; anything earlier (say, a load error) is not."""
    await crash_recovery.mark_crashed([flow_run.id], f"The execution failed: {state.message or 'no message'}")


async def on_cancellation(flow: Any, flow_run: Any, state: Any) -> None:
    await crash_recovery.mark_cancelled(flow_run.id, state.message or "Cancelled")
