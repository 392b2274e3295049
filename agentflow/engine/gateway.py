"""The API side's calls into Prefect: deployments for agents, flow runs for executions, cancel, resume, retry.

Each published agent is one deployment `run-agent/<agent id>` of `flows.run_agent:run_agent` on the
`agentflow` pool, tagged `org:<id>`, `agent:<id>`, `org:<slug>` and `name:<agent name>`, described with the
agent's name (see labels.py), with the trigger's cron schedule and the agent's concurrency limit. Test runs
of drafts use the shared deployment `run-agent/test-runs`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from prefect.client.orchestration import PrefectClient
from prefect.client.schemas.actions import DeploymentScheduleCreate
from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
from prefect.client.schemas.objects import FlowRun, State
from prefect.client.schemas.schedules import CronSchedule
from prefect.exceptions import ObjectNotFound
from prefect.states import AwaitingRetry, Cancelled, Cancelling, Pending

from agentflow.engine.labels import deployment_description, deployment_tags, org_tags, run_name
from agentflow.errors import Conflict, ServiceUnavailable

FLOW_NAME = "run-agent"
ENTRYPOINT = "flows.run_agent:run_agent"
WORK_POOL = "agentflow"
TEST_DEPLOYMENT = "test-runs"
INGEST_FLOW_NAME = "ingest-document"
INGEST_ENTRYPOINT = "flows.ingest_document:ingest_document"
INGEST_DEPLOYMENT = "documents"
EXPORT_FLOW_NAME = "export-data"
EXPORT_ENTRYPOINT = "flows.run_export:run_export"
EXPORT_DEPLOYMENT = "exports"
LANE_FLOW_NAME = "fast-lane"
LANE_ENTRYPOINT = "flows.fast_lane:fast_lane"
LANE_DEPLOYMENT = "workers"


@dataclass(frozen=True)
class DeploymentSpec:
    agent_id: uuid.UUID
    org_id: uuid.UUID
    version_id: uuid.UUID
    version_number: int
    cron: str | None
    timezone: str
    max_concurrency: int | None
    active: bool
    agent_name: str
    org_slug: str
    trigger_kind: str


class PrefectGateway:
    def __init__(self, client: PrefectClient, *, work_pool: str = WORK_POOL) -> None:
        self.client = client
        self.work_pool = work_pool
        self._flow_id: uuid.UUID | None = None
        self._test_deployment_id: uuid.UUID | None = None
        self._ingest_deployment_id: uuid.UUID | None = None
        self._export_deployment_id: uuid.UUID | None = None
        self._lane_deployment_id: uuid.UUID | None = None

    async def _flow(self) -> uuid.UUID:
        if self._flow_id is None:
            self._flow_id = await self.client.create_flow_from_name(FLOW_NAME)
        return self._flow_id

    async def upsert_agent_deployment(self, spec: DeploymentSpec) -> uuid.UUID:
        """Create or update `run-agent/<agent id>` (its schedule follows the trigger). Found by name, so a
        deployment made by an earlier release is updated in place: same id, new description and tags."""
        schedules = []
        if spec.cron:
            schedules.append(
                DeploymentScheduleCreate(
                    schedule=CronSchedule(cron=spec.cron, timezone=spec.timezone), active=spec.active
                )
            )
        try:
            return await self.client.create_deployment(
                flow_id=await self._flow(),
                name=str(spec.agent_id),
                version=str(spec.version_number),
                work_pool_name=self.work_pool,
                entrypoint=ENTRYPOINT,
                parameters={"agent_id": str(spec.agent_id), "version_id": str(spec.version_id)},
                schedules=schedules,
                concurrency_limit=spec.max_concurrency,
                tags=deployment_tags(spec.org_id, spec.agent_id, spec.org_slug, spec.agent_name),
                paused=not spec.active,
                enforce_parameter_schema=False,
                pull_steps=[],
                description=deployment_description(
                    agent_name=spec.agent_name,
                    org_slug=spec.org_slug,
                    agent_id=spec.agent_id,
                    org_id=spec.org_id,
                    version_number=spec.version_number,
                    trigger_kind=spec.trigger_kind,
                ),
            )
        except Exception as exc:
            raise _unavailable(exc) from exc

    async def existing_deployments(self, ids: list[uuid.UUID | None]) -> set[uuid.UUID]:
        """Which of these deployment ids Prefect has (read in pages of 200)."""
        wanted = [i for i in ids if i is not None]
        found: set[uuid.UUID] = set()
        try:
            for start in range(0, len(wanted), 200):
                page = wanted[start : start + 200]
                deployments = await self.client.read_deployments(
                    deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=page)), limit=len(page)
                )
                found.update(d.id for d in deployments)
        except Exception as exc:
            raise _unavailable(exc) from exc
        return found

    async def set_active(self, deployment_id: uuid.UUID, active: bool) -> None:
        """Pausing an agent pauses its deployment (and so its schedule)."""
        try:
            if active:
                await self.client.resume_deployment(deployment_id)
            else:
                await self.client.pause_deployment(deployment_id)
        except ObjectNotFound:
            return
        except Exception as exc:
            raise _unavailable(exc) from exc

    async def test_deployment(self) -> uuid.UUID:
        """`run-agent/test-runs` (per pool: another pool's gateway gets `test-runs-<pool>`)."""
        if self._test_deployment_id is None:
            name = TEST_DEPLOYMENT if self.work_pool == WORK_POOL else f"{TEST_DEPLOYMENT}-{self.work_pool}"
            try:
                self._test_deployment_id = await self.client.create_deployment(
                    flow_id=await self._flow(),
                    name=name,
                    work_pool_name=self.work_pool,
                    entrypoint=ENTRYPOINT,
                    enforce_parameter_schema=False,
                    pull_steps=[],
                    tags=["test-run"],
                    description=(
                        "Test runs of agent drafts from AgentFlow's builder, for every org: each run is "
                        "named `<agent> · test · <execution>` and tagged `org:<slug>`."
                    ),
                )
            except Exception as exc:
                raise _unavailable(exc) from exc
        return self._test_deployment_id

    async def ingestion_deployment(self) -> uuid.UUID:
        """`ingest-document/documents` on the pool: one flow run per document to ingest, for every org."""
        if self._ingest_deployment_id is None:
            try:
                flow_id = await self.client.create_flow_from_name(INGEST_FLOW_NAME)
                self._ingest_deployment_id = await self.client.create_deployment(
                    flow_id=flow_id,
                    name=INGEST_DEPLOYMENT
                    if self.work_pool == WORK_POOL
                    else f"{INGEST_DEPLOYMENT}-{self.work_pool}",
                    work_pool_name=self.work_pool,
                    entrypoint=INGEST_ENTRYPOINT,
                    enforce_parameter_schema=False,
                    pull_steps=[],
                    tags=["knowledge"],
                    description=(
                        "Knowledge-base ingestion from AgentFlow: each run parses, chunks and embeds one "
                        "document; it is named `<document> · <knowledge base>` and tagged `org:<slug>`."
                    ),
                )
            except Exception as exc:
                raise _unavailable(exc) from exc
        return self._ingest_deployment_id

    async def create_ingestion_run(
        self,
        *,
        document_id: uuid.UUID,
        org_id: uuid.UUID,
        org_slug: str | None,
        name: str,
        idempotency_key: str | None = None,
    ) -> uuid.UUID:
        """A flow run ingesting one document."""
        deployment_id = await self.ingestion_deployment()
        tags = [f"org:{org_id}", "knowledge"] + ([f"org:{org_slug}"] if org_slug else [])
        try:
            run = await self.client.create_flow_run_from_deployment(
                deployment_id,
                parameters={"document_id": str(document_id)},
                name=name[:200],
                tags=tags,
                idempotency_key=idempotency_key,
            )
        except Exception as exc:
            raise _unavailable(exc) from exc
        return run.id

    async def export_deployment(self) -> uuid.UUID:
        """`export-data/exports` on the pool: one flow run per data export, for every org."""
        if self._export_deployment_id is None:
            try:
                self._export_deployment_id = await self.client.create_deployment(
                    flow_id=await self.client.create_flow_from_name(EXPORT_FLOW_NAME),
                    name=EXPORT_DEPLOYMENT
                    if self.work_pool == WORK_POOL
                    else f"{EXPORT_DEPLOYMENT}-{self.work_pool}",
                    work_pool_name=self.work_pool,
                    entrypoint=EXPORT_ENTRYPOINT,
                    enforce_parameter_schema=False,
                    pull_steps=[],
                    tags=["export"],
                    description=(
                        "Data exports from AgentFlow: each run writes one file of an organization's "
                        "executions (or audit log); it is named `export · <kind> · <export>` and tagged "
                        "`org:<slug>`."
                    ),
                )
            except Exception as exc:
                raise _unavailable(exc) from exc
        return self._export_deployment_id

    async def create_export_run(
        self, *, export_id: uuid.UUID, org_id: uuid.UUID, org_slug: str | None, kind: str
    ) -> uuid.UUID:
        """A flow run writing one export's file; a repeated dispatch returns the same run."""
        deployment_id = await self.export_deployment()
        tags = [f"org:{org_id}", "export"] + ([f"org:{org_slug}"] if org_slug else [])
        try:
            run = await self.client.create_flow_run_from_deployment(
                deployment_id,
                parameters={"export_id": str(export_id)},
                name=f"export · {kind} · {str(export_id)[:8]}",
                tags=tags,
                idempotency_key=f"export:{export_id}",
            )
        except Exception as exc:
            raise _unavailable(exc) from exc
        return run.id

    async def create_lane_run(self, worker_name: str) -> FlowRun:
        """A fast-lane flow run for this worker, created Pending: no other worker is woken for it or claims
        it, and the worker runs it at once (worker/fast_lane.py)."""
        try:
            if self._lane_deployment_id is None:
                # Per pool, like the test runs' deployment: another pool's lanes are another pool's.
                name = (
                    LANE_DEPLOYMENT if self.work_pool == WORK_POOL else f"{LANE_DEPLOYMENT}-{self.work_pool}"
                )
                self._lane_deployment_id = await self.client.create_deployment(
                    flow_id=await self.client.create_flow_from_name(LANE_FLOW_NAME),
                    name=name,
                    work_pool_name=self.work_pool,
                    entrypoint=LANE_ENTRYPOINT,
                    enforce_parameter_schema=False,
                    pull_steps=[],
                    tags=["fast-lane"],
                    description=(
                        "Each worker's fast lane: executions of agents in the fast execution mode run as "
                        "task runs (`<agent> · <trigger> · <execution>`) inside one long-lived flow run "
                        "per worker, started again every few minutes."
                    ),
                )
            return await self.client.create_flow_run_from_deployment(
                self._lane_deployment_id,
                parameters={"worker": worker_name},
                name=f"fast lane · {worker_name}",
                tags=["fast-lane"],
                state=Pending(),
            )
        except Exception as exc:
            raise _unavailable(exc) from exc

    async def create_run(
        self,
        deployment_id: uuid.UUID,
        *,
        execution_id: uuid.UUID,
        org_id: uuid.UUID,
        agent_id: uuid.UUID,
        version_id: uuid.UUID | None,
        triggered_by: str,
        agent_name: str,
        org_slug: str | None,
    ) -> uuid.UUID:
        """A flow run for an execution, named after its agent and trigger; the idempotency key makes a
        repeated dispatch return the same run."""
        try:
            run = await self.client.create_flow_run_from_deployment(
                deployment_id,
                parameters={
                    "execution_id": str(execution_id),
                    "version_id": str(version_id) if version_id else None,
                    "agent_id": str(agent_id),
                },
                name=run_name(agent_name, triggered_by, execution_id),
                tags=[*org_tags(org_id, agent_id, org_slug), f"trigger:{triggered_by}"],
                idempotency_key=f"execution:{execution_id}",
            )
        except Exception as exc:
            raise _unavailable(exc) from exc
        return run.id

    async def cancel(self, flow_run_id: uuid.UUID, *, running: bool) -> None:
        """Running runs go through Cancelling (the worker stops them); queued ones are cancelled outright."""
        state: State[Any] = (
            Cancelling(message="Cancelled from AgentFlow")
            if running
            else Cancelled(message="Cancelled before it started")
        )
        try:
            await self.client.set_flow_run_state(flow_run_id, state, force=True)
        except Exception as exc:
            raise _unavailable(exc) from exc

    async def resume(self, flow_run_id: uuid.UUID) -> None:
        """Wake a suspended run; it reads the decision recorded in AgentFlow's database, not a run input."""
        try:
            response = await self.client.resume_flow_run(flow_run_id)
        except Exception as exc:
            raise _unavailable(exc) from exc
        if response.status.value == "REJECT":
            raise Conflict(f"The run cannot be resumed: {response.details}", code="not_resumable")

    async def retry(self, flow_run_id: uuid.UUID) -> None:
        """Run the same flow run again: completed steps are cache hits, the failed one runs anew."""
        try:
            await self.client.set_flow_run_state(
                flow_run_id, AwaitingRetry(scheduled_time=datetime.now(UTC)), force=True
            )
        except ObjectNotFound as exc:
            raise Conflict(
                "The Prefect flow run of this execution no longer exists; run the agent again instead",
                code="not_retryable",
            ) from exc
        except Exception as exc:
            raise _unavailable(exc) from exc


def _unavailable(exc: Exception) -> ServiceUnavailable:
    return ServiceUnavailable(
        f"Prefect is not reachable: {type(exc).__name__}: {exc}", code="prefect_unavailable"
    )
