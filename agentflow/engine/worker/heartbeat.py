"""Runs of a dead worker: found by any live worker of the pool, from Prefect's worker heartbeats.

Why worker heartbeats (the choice, also in ../AGENTS.md): Prefect 3 offers two liveness signals. Flow-run
heartbeats (`prefect.flow-run.heartbeat` events, `PREFECT_FLOWS_HEARTBEAT_FREQUENCY`, formerly
`PREFECT_RUNNER_HEARTBEAT_FREQUENCY`) are sent by the flow engine itself, so they do reach Prefect from our
in-process runs, and Prefect's "detect zombie flows" automation can crash a run whose heartbeats stop. But
the frequency cannot go below 30 s, each run keeps its own heartbeat thread, the automation lives in the
Prefect server's triggers service (a deployment detail AgentFlow does not own) and must be taught that a
suspended run is silent on purpose. Worker heartbeats are one request per worker process
(`PREFECT_WORKER_HEARTBEAT_SECONDS`, 30 s by default, any value), Prefect keeps them on its worker records
(the UI's Online/Offline), and every flow run names its worker in its `prefect.worker.name` label. So a run
whose worker missed `MISSED_HEARTBEATS` heartbeats (Prefect's own OFFLINE rule) is an orphan: the reaper sets
it Crashed (Cancelled if it was being cancelled) and ends its execution (retryable from the failed node).
Runs of other pools (Kubernetes, Docker: their worker's liveness says nothing about the run's pod) are left to
those pools and to Prefect's zombie automation; the reconciler (reconcile.py) then ends their executions.

Safety, so that no live worker loses a run: liveness is the process's, not its event loop's (as Prefect does
for flow-run heartbeats, `HeartbeatThread` sends the worker's heartbeat from an OS thread, so a loop blocked
by a slow import or a CPU-heavy step does not make a live worker look dead; a run that hangs is bounded by its
execution timeout); time is Prefect's (the freshest heartbeat of the pool, never this machine's clock); a
run whose state changed within the bound is not judged yet (its label may still name the previous worker of
a retried run); the reaper's own runs are its own business (reaped only at its start); and after Prefect
was unreachable the reaper waits one bound, so that every peer has sent a heartbeat again.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from prefect.client.orchestration import PrefectClient, get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
    WorkPoolFilter,
    WorkPoolFilterName,
)
from prefect.client.schemas.objects import FlowRun, StateType, Worker
from prefect.client.schemas.sorting import FlowRunSort
from prefect.states import Cancelled, Crashed

from agentflow.engine.worker import crash_recovery

logger = logging.getLogger("agentflow.sweeper")

MISSED_HEARTBEATS = 3  # Prefect's foreman marks a worker OFFLINE after as many (its inactivity multiple)
WORKER_LABEL = "prefect.worker.name"
CRASHED_MESSAGE = "The worker running this execution stopped unexpectedly; it can be retried."
CANCELLED_MESSAGE = "Cancelled (its worker had stopped)"
_HELD = [StateType.RUNNING, StateType.PENDING, StateType.CANCELLING]
_PAGE = 200
_FULL_PASS_SECONDS = 60.0


@dataclass(frozen=True)
class PoolLiveness:
    """The pool's workers judged on Prefect's clock."""

    now: datetime  # the freshest heartbeat any worker of the pool sent
    live: frozenset[str]
    bound: timedelta  # a worker silent for longer is dead


def judge(workers: Iterable[Worker], *, default_interval: float) -> PoolLiveness | None:
    """None when no worker of the pool ever sent a heartbeat (nothing to judge by)."""
    beating = [w for w in workers if w.last_heartbeat_time is not None]
    if not beating:
        return None
    now = max(w.last_heartbeat_time for w in beating if w.last_heartbeat_time is not None)
    intervals = {w.name: float(w.heartbeat_interval_seconds or default_interval) for w in beating}
    live = frozenset(
        w.name
        for w in beating
        if w.last_heartbeat_time is not None
        and now - w.last_heartbeat_time <= timedelta(seconds=MISSED_HEARTBEATS * intervals[w.name])
    )
    return PoolLiveness(
        now=now, live=live, bound=timedelta(seconds=MISSED_HEARTBEATS * max(intervals.values()))
    )


def owner(run: FlowRun) -> str | None:
    name = (run.labels or {}).get(WORKER_LABEL)
    return str(name) if name is not None else None


async def held_runs(client: PrefectClient, pool: str) -> list[FlowRun]:
    """Every run of the pool that some worker claimed and has not ended (running, pending, cancelling)."""
    runs: list[FlowRun] = []
    while True:
        page = await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=_HELD))),
            work_pool_filter=WorkPoolFilter(name=WorkPoolFilterName(any_=[pool])),
            sort=FlowRunSort.ID_DESC,
            limit=_PAGE,
            offset=len(runs),
        )
        runs.extend(page)
        if len(page) < _PAGE:
            return runs


async def end_orphans(client: PrefectClient, runs: list[FlowRun]) -> None:
    """Their worker is gone: Crashed (or Cancelled, for a run being cancelled) and their executions ended."""
    crashed = []
    for run in runs:
        if run.state_type == StateType.CANCELLING:
            await client.set_flow_run_state(run.id, Cancelled(message=CANCELLED_MESSAGE), force=True)
            await crash_recovery.mark_cancelled(run.id, CANCELLED_MESSAGE)
        else:
            await client.set_flow_run_state(run.id, Crashed(message=CRASHED_MESSAGE), force=True)
            crashed.append(run.id)
    await crash_recovery.mark_crashed(crashed, CRASHED_MESSAGE)


class OrphanReaper:
    """One per worker process; `reap_once` every `interval` seconds (the sweeper's loop)."""

    def __init__(
        self,
        client: PrefectClient,
        *,
        pool: str,
        worker_name: str,
        heartbeat_seconds: float,
    ) -> None:
        self.client = client
        self.pool = pool
        self.worker_name = worker_name
        self.heartbeat_seconds = heartbeat_seconds
        self.interval = max(2.0, heartbeat_seconds)
        self._reachable_since: float | None = None
        self._quiet: frozenset[tuple[str, datetime | None]] | None = None
        self._next_full_pass = 0.0

    async def reap_once(self) -> int:
        """End the runs of dead workers; return how many."""
        try:
            workers = await self.client.read_workers_for_work_pool(self.pool)
        except Exception:
            self._reachable_since = None
            raise
        if self._reachable_since is None:  # first contact, or Prefect is back: peers may be behind
            self._reachable_since = time.monotonic()
        view = judge(workers, default_interval=self.heartbeat_seconds)
        if view is None or time.monotonic() - self._reachable_since < view.bound.total_seconds():
            return 0
        dead = frozenset((w.name, w.last_heartbeat_time) for w in workers if w.name not in view.live)
        if dead == self._quiet and time.monotonic() < self._next_full_pass:
            return 0  # nothing new since a pass that found nothing (dead workers stay listed in Prefect)
        self._next_full_pass = time.monotonic() + _FULL_PASS_SECONDS
        orphans, undecided = [], False
        for run in await held_runs(self.client, self.pool):
            name = owner(run)
            if name == self.worker_name or name in view.live:
                continue
            if run.state is None or view.now - run.state.timestamp < view.bound:
                undecided = True  # just claimed or changed: its label may not name its worker yet
                continue
            orphans.append(run)  # its worker stopped heart-beating (or an unlabelled run nobody holds)
        if orphans:
            logger.warning(
                "worker %s: %d run(s) of stopped workers end: %s",
                self.worker_name,
                len(orphans),
                ", ".join(f"{run.id} ({owner(run)})" for run in orphans),
            )
            await end_orphans(self.client, orphans)
        self._quiet = None if orphans or undecided else dead
        return len(orphans)


class HeartbeatThread:
    """The worker's heartbeat from an OS thread, every `interval` seconds until `stop()` (see the module
    docstring). Prefect's own worker loop keeps sending its heartbeat too; two are harmless."""

    def __init__(self, *, pool: str, worker_name: str, interval: float) -> None:
        self.pool, self.worker_name, self.interval = pool, worker_name, interval
        self._stop = threading.Event()
        # The caller's context: the thread sees the same Prefect settings (API URL, credentials).
        context = contextvars.copy_context()
        self._thread = threading.Thread(
            target=context.run, args=(self._beat,), name="agentflow-heartbeat", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _beat(self) -> None:
        with get_client(sync_client=True) as client:
            while not self._stop.is_set():
                try:
                    client.send_worker_heartbeat(
                        self.pool, self.worker_name, heartbeat_interval_seconds=self.interval
                    )
                except Exception as exc:  # Prefect unreachable: the next beat tries again
                    logger.debug("worker heartbeat failed: %s", exc)
                self._stop.wait(self.interval)
