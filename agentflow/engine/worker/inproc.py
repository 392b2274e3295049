"""`agentflow-inproc`: a Prefect worker that runs many flow runs concurrently inside its own process.

Why: a process work pool pays a fresh Python process and a 10 s poll per run (trigger→done 10 to 30 s measured
here); this worker runs each flow run with `run_flow_async` as an asyncio task and is woken by Prefect's own
event stream, so a triggered execution starts in ~0.1 s (docs/performance.md). Every execution is still a
normal Prefect flow run of its deployment, with its nodes as task runs, visible in the Prefect UI.

It leans on a few Prefect internals, each marked below; tests/engine exercise all of them against a real
Prefect server, so an upgrade that changes them fails loudly:
- `BaseWorker._propose_pending_state`, `_submit_scheduled_flow_runs`, `_give_worker_labels_to_flow_run`,
  `_release_limit_slot`, `_runs_task_group`, `_submitting_flow_run_ids`: the claim/limit machinery reused.
- `prefect.flow_engine.observe_flow_run_suspension`: replaced, see `_shared_suspension_observer`.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from typing import Any

import anyio
import anyio.abc
from prefect import flow_engine
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.client.schemas.responses import WorkerFlowRunResponse
from prefect.events.clients import get_events_subscriber
from prefect.events.filters import EventAnyResourceFilter, EventFilter, EventNameFilter
from prefect.exceptions import Abort, ObjectNotFound, Pause
from prefect.flows import Flow, load_flow_from_entrypoint
from prefect.states import Cancelled
from prefect.workers.base import BaseJobConfiguration, BaseVariables, BaseWorker, BaseWorkerResult

from agentflow.billing.meters import sweeper_duty as meter_reporting
from agentflow.config import get_settings
from agentflow.engine.gateway import PrefectGateway
from agentflow.engine.system_flows import ensure_system_deployments
from agentflow.engine.worker import crash_recovery, heartbeat
from agentflow.engine.worker.fast_lane import keep_lane_running
from agentflow.engine.worker.mail import worker_mailer
from agentflow.engine.worker.store import engine_store
from agentflow.engine.worker.sweeper import Sweeper
from agentflow.secrets.masking import mask_every_handler

WORKER_TYPE = "agentflow-inproc"
logger = logging.getLogger("agentflow.worker")

# Every state a run can enter that means "run me now" (a resumed suspended run is `Resuming`, a retried one
# `AwaitingRetry`), plus the states this worker must react to while it runs a flow.
_WAKE_EVENTS = ["Scheduled", "Resuming", "AwaitingRetry"]
_CONTROL_EVENTS = ["Cancelling", "Suspended"]


@contextmanager
def _no_suspension_thread(
    flow_run_id: uuid.UUID, suspension_request: Any, polling_interval: float = 10
) -> Iterator[None]:
    """Replaces Prefect's per-flow-run suspension observer (Prefect internal).

    For deployment runs, Prefect 3.9 starts a thread with its own event loop and websocket per flow run and
    blocks the caller's loop ~170 ms on it; with many runs per process that serialised everything (2.7x less
    throughput measured). This worker's single event subscription delivers `Suspended` events instead.
    """
    yield


class AgentFlowJobConfiguration(BaseJobConfiguration):
    pass


class AgentFlowVariables(BaseVariables):
    pass


class AgentFlowWorkerResult(BaseWorkerResult):
    pass


class AgentFlowWorker(BaseWorker[AgentFlowJobConfiguration, AgentFlowVariables, AgentFlowWorkerResult]):
    type = WORKER_TYPE
    job_configuration = AgentFlowJobConfiguration
    job_configuration_variables = AgentFlowVariables
    _description = "Runs AgentFlow executions as concurrent flow runs inside one long-lived worker process."

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._flows: dict[str, Flow[Any, Any]] = {}
        self._scopes: dict[uuid.UUID, anyio.CancelScope] = {}
        self._cancel_requested: set[uuid.UUID] = set()
        self._handling: set[asyncio.Future[None]] = set()

    async def _load_flow(self, flow_run: FlowRun) -> Flow[Any, Any]:
        assert flow_run.deployment_id is not None, "this worker runs deployment flow runs"
        key = str(flow_run.deployment_id)
        if key not in self._flows:
            deployment = await self.client.read_deployment(flow_run.deployment_id)
            assert deployment.entrypoint, f"deployment {deployment.name} has no entrypoint"
            # Module-path entrypoints ("flows.run_agent:run_agent") import once and are shared.
            self._flows[key] = load_flow_from_entrypoint(deployment.entrypoint)
        return self._flows[key]

    async def run(
        self,
        flow_run: FlowRun,
        configuration: AgentFlowJobConfiguration | None = None,
        task_status: anyio.abc.TaskStatus[Any] | None = None,
    ) -> AgentFlowWorkerResult:
        identifier = f"{self.name}:{flow_run.id}"
        flow = await self._load_flow(flow_run)
        if task_status is not None:
            task_status.started(identifier)
        with anyio.CancelScope() as scope:
            self._scopes[flow_run.id] = scope
            try:
                await flow_engine.run_flow_async(
                    flow,
                    flow_run=flow_run,
                    parameters=flow_engine._flow_parameters(flow, flow_run, None),  # Prefect internal
                    return_type="state",
                )
            except (Pause, Abort):  # suspended for an approval, or aborted by the server: state is reported
                pass
            except Exception:
                logger.exception("flow run %s ended with an unexpected error", flow_run.id)
            finally:
                self._scopes.pop(flow_run.id, None)
        if scope.cancelled_caught or flow_run.id in self._cancel_requested:
            self._cancel_requested.discard(flow_run.id)
            # In-process, the engine reports a cancelled run as Crashed: correct it to what happened.
            await self.client.set_flow_run_state(
                flow_run.id, Cancelled(message="Cancelled while running"), force=True
            )
        return AgentFlowWorkerResult(identifier=identifier, status_code=0)

    async def _submit_run(self, flow_run: FlowRun) -> None:
        """Claim (Pending) and start; the stock path's extra reads and PATCHes cost 1.5x throughput here."""
        try:
            if await self._propose_pending_state(flow_run):  # Prefect internal: the claim against doubles
                assert self._runs_task_group is not None
                self._runs_task_group.start_soon(self._run_and_release, flow_run)
                # Worker attribution in the UI (prefect.worker.name label), off the critical path.
                self._runs_task_group.start_soon(self._give_worker_labels_to_flow_run, flow_run.id)
            else:
                self._release_limit_slot(flow_run.id)
        finally:
            self._submitting_flow_run_ids.discard(flow_run.id)

    async def _run_and_release(self, flow_run: FlowRun) -> None:
        try:
            await self.run(flow_run)
        except Exception:
            logger.exception("flow run %s could not run", flow_run.id)
        finally:
            self._release_limit_slot(flow_run.id)

    async def submit_by_id(self, flow_run_id: uuid.UUID) -> None:
        """Run a flow run the event stream announced, if it is still waiting to run."""
        if flow_run_id in self._submitting_flow_run_ids or flow_run_id in self._scopes:
            return
        # The event can arrive before the new state is readable through the API (seen on SQLite).
        for _ in range(40):
            try:
                flow_run = await self.client.read_flow_run(flow_run_id)
            except ObjectNotFound:
                return
            if flow_run.work_pool_name not in (None, self._work_pool_name):
                return  # another pool's run: not ours to take, whatever the event stream delivered
            if flow_run.state_type == StateType.SCHEDULED:
                break
            if flow_run.state_type not in (StateType.PAUSED, StateType.FAILED, StateType.CRASHED):
                return
            await asyncio.sleep(0.05)
        else:
            return
        assert self.work_pool is not None
        await self._submit_scheduled_flow_runs(
            [
                WorkerFlowRunResponse(
                    work_pool_id=self.work_pool.id, work_queue_id=flow_run.work_queue_id, flow_run=flow_run
                )
            ]
        )

    async def cancel_in_process(self, flow_run_id: uuid.UUID) -> None:
        scope = self._scopes.get(flow_run_id)
        if scope is not None:
            self._cancel_requested.add(flow_run_id)
            # Record the cancellation first: stopping the run makes the engine report it Crashed.
            await crash_recovery.mark_cancelled(flow_run_id, "Cancelled while running")
            scope.cancel()

    async def reconcile_orphans(self) -> int:
        """Runs this worker still owns in Prefect were orphaned by a previous process of the same name (other
        workers' runs, and unlabelled ones, are the periodic reaper's: heartbeat.py)."""
        mine = [
            run
            for run in await heartbeat.held_runs(self.client, self._work_pool_name)
            if heartbeat.owner(run) == self.name
        ]
        await heartbeat.end_orphans(self.client, mine)
        return len(mine)

    async def listen(self) -> None:
        """One websocket for the pool's flow-run events: wake-ups, cancellations, suspensions."""
        assert self.work_pool is not None
        names = [f"prefect.flow-run.{name}" for name in _WAKE_EVENTS + _CONTROL_EVENTS]
        event_filter = EventFilter(
            event=EventNameFilter(name=names),
            any_resource=EventAnyResourceFilter(id=[f"prefect.work-pool.{self.work_pool.id}"]),
        )
        async with get_events_subscriber(filter=event_filter, reconnection_attempts=1_000_000) as events:
            async for event in events:
                flow_run_id = uuid.UUID(event.resource.id.rsplit(".", 1)[1])
                if event.event == "prefect.flow-run.Cancelling":
                    self._spawn(self.cancel_in_process(flow_run_id))
                elif event.event == "prefect.flow-run.Suspended":
                    if flow_run_id in self._scopes:
                        self._spawn(self._mark_suspended(flow_run_id))
                else:
                    self._spawn(self.submit_by_id(flow_run_id))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Handle an event without blocking the subscription (and keep the task referenced until done)."""
        task = asyncio.ensure_future(work)
        self._handling.add(task)
        task.add_done_callback(self._handling.discard)

    async def _mark_suspended(self, flow_run_id: uuid.UUID) -> None:
        from prefect._flow_run_suspension import mark_flow_run_suspension_requested  # Prefect internal

        flow_run = await self.client.read_flow_run(flow_run_id)
        if flow_run.state is not None:
            mark_flow_run_suspension_requested(flow_run_id, flow_run.state)


async def serve(pool: str, name: str, limit: int) -> None:
    from prefect.context import AsyncClientContext

    flow_engine.observe_flow_run_suspension = _no_suspension_thread  # type: ignore[attr-defined]
    # One API client shared by every flow run of the process (a client per run cost ~60 ms CPU in TLS setup).
    async with AsyncClientContext():
        worker = AgentFlowWorker(work_pool_name=pool, name=name, limit=limit)
        # Before the first claim: peers judge this worker's runs by it (heartbeat.py).
        beat = heartbeat.HeartbeatThread(
            pool=pool, worker_name=name, interval=worker.heartbeat_interval_seconds
        )
        beat.start()
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(worker.start)
                while not (worker.is_setup and worker._has_successfully_synced):  # noqa: ASYNC110 (Prefect has no event)
                    await anyio.sleep(0.05)
                # Every handler configured by now (ours, Prefect's) masks the secrets of the runs in progress.
                mask_every_handler()
                reconciled = await worker.reconcile_orphans()
                try:  # the pool's scheduled system flows (usage rollup, …): created or updated by name
                    await ensure_system_deployments(worker.client, work_pool=pool)
                except Exception:  # a worker that cannot write them still runs executions
                    logger.exception("could not create the system flow deployments on pool %s", pool)
                logger.info(
                    "worker %s ready (pool %s, limit %s, reconciled %s)", name, pool, limit, reconciled
                )
                reaper = heartbeat.OrphanReaper(
                    worker.client,
                    pool=pool,
                    worker_name=name,
                    heartbeat_seconds=worker.heartbeat_interval_seconds,
                )
                store = await engine_store()
                sweeper = Sweeper(
                    PrefectGateway(worker.client, work_pool=pool),
                    store,
                    reaper=reaper,
                    checkpoint_retention_days=get_settings().checkpoint_retention_days,
                    mailer=worker_mailer(store.db),
                    meter_reporting=meter_reporting(get_settings()),
                )
                group.start_soon(sweeper.run_forever)
                gateway = PrefectGateway(worker.client, work_pool=pool)
                group.start_soon(keep_lane_running, worker, gateway, get_settings().fast_lane_capacity)
                await worker.listen()
        finally:
            beat.stop()  # no heartbeat for a process that runs no flows any more
