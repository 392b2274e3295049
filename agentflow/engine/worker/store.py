"""The engine's writes to AgentFlow's Postgres: execution state, step rows, the event stream, logs.

Runs inside workers, once or twice per step, so it talks asyncpg directly (see kit/fastread.py) with SQL
compiled once. Every event insert also NOTIFYs `agentflow_events` with the execution id, which is how the
API's live streams learn about it without Redis.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import text

from agentflow.agents.access import member_may_read_sql
from agentflow.engine.events import FAST_LANE_CHANNEL
from agentflow.engine.worker.recording import DATABASE_OUTAGE, RecordingFailed, RetryingReader
from agentflow.graph.definition import DEFAULT_HANDLE
from agentflow.kit.fastread import CompiledQuery, FastReader, PoolReader, compile_query
from agentflow.notifications.kinds import Notice, Recipients
from agentflow.webhooks_out.events import EXECUTION_END_EVENTS, WebhookEvent, with_execution_outbox


def _q(sql: str) -> CompiledQuery:
    return compile_query(text(sql))


def _json(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()


# The execution with what it runs, joined so that nothing crosses a tenant: its agent is of the execution's
# org, its version is of that agent (a test run carries its own definition and no version).
_LOAD = _q(
    """
    SELECT e.id, e.org_id, e.agent_id, e.version_id, e.status, e.triggered_by, e.input, e.attempt,
           e.waiting_for, e.prefect_flow_run_id, e.lane, COALESCE(e.definition, v.definition) AS definition,
           e.test_options
    FROM executions e
    JOIN agents a ON a.id = e.agent_id AND a.org_id = e.org_id
    LEFT JOIN agent_versions v ON v.id = e.version_id AND v.agent_id = e.agent_id
    WHERE e.id = :execution_id AND (e.version_id IS NULL OR v.id IS NOT NULL)
    """
)
_EVENT = _q(
    """
    WITH inserted AS (
        INSERT INTO execution_events (org_id, execution_id, type, node_id, step_key, data, created_at)
        VALUES (:org_id, :execution_id, :type, :node_id, :step_key, CAST(CAST(:data AS text) AS jsonb), now())
        RETURNING id
    )
    SELECT pg_notify('agentflow_events', CAST(:channel_payload AS text)) FROM inserted
    """
)
# Only the execution's own flow run may run it: the first to start claims it (the dispatcher may record the
# run a moment later), any other is refused.
_RUNNING = _q(
    """
    UPDATE executions SET status = 'running', started_at = COALESCE(started_at, now()),
           prefect_flow_run_id = COALESCE(prefect_flow_run_id, :flow_run_id), waiting_for = NULL,
           updated_at = now()
    WHERE id = :execution_id AND status IN ('queued', 'running', 'paused')
      AND (prefect_flow_run_id IS NULL OR prefect_flow_run_id = :flow_run_id)
    RETURNING status
    """
)
# Pausing and notifying the approvers is one statement: a pause is never recorded without its notifications
# (nor they without it). The rows are those `notification_service.notify` makes (agentflow/notifications):
# active members the recipients name, nobody twice for the same dedupe key (a resume without a decision
# pauses again under the same key). Returns the ids whose email is pending, mailed once this committed. The
# org's webhook endpoints subscribed to `execution.paused` get their delivery rows in it too (the outbox).
# A restricted agent's approval is told only to those who may read the agent (agentflow/agents/access.py).
_PAUSED = _q(
    with_execution_outbox(
        """
    WITH paused AS (
        UPDATE executions
        SET status = 'paused', waiting_for = CAST(CAST(:waiting_for AS text) AS jsonb), updated_at = now()
        WHERE id = :execution_id AND status IN ('running', 'paused')
        RETURNING id, org_id, agent_id, version_id, status, triggered_by, error, failed_node, duration_ms
    ), hook_source AS (SELECT * FROM paused),""",
        """, told AS (
        INSERT INTO notifications (id, org_id, user_id, kind, title, body, link, dedupe_key, email_status,
                                   email_attempts, email_due_at, created_at, updated_at)
        SELECT gen_random_uuid(), m.org_id, m.user_id, CAST(:kind AS text), CAST(:title AS text),
               CAST(:body AS text), CAST(:link AS text), CAST(:dedupe_key AS text),
               CASE WHEN CAST(:email AS boolean) THEN 'pending' ELSE 'none' END, 0,
               CASE WHEN CAST(:email AS boolean) THEN now() END, now(), now()
        FROM paused p
        JOIN org_memberships m ON m.org_id = p.org_id
        JOIN users u ON u.id = m.user_id AND u.is_active
        JOIN agents a ON a.id = p.agent_id
        WHERE (m.user_id = ANY(CAST(:user_ids AS uuid[])) OR m.role = ANY(CAST(:roles AS text[]))
               -- a custom role acting as one of the roles (Recipients.custom_role_floor)
               OR EXISTS (SELECT 1 FROM custom_roles cr WHERE cr.id = m.custom_role_id
                          AND CAST(cr.permissions AS text[]) @> CAST(:custom_role_floor AS text[])))
          AND :may_read:
        ON CONFLICT (org_id, user_id, dedupe_key) DO NOTHING
        RETURNING id, email_status
    )
    SELECT id FROM told WHERE email_status = 'pending'
    """.replace(":may_read:", member_may_read_sql(agent="a", member="m")),
    )
)
# Ending an execution also ends the steps still under way, in the same statement: whoever ends it (the run
# itself on a timeout, a cancellation, the sweeper after a crash) leaves no step `running` behind. The end's
# webhook deliveries (execution.completed / .failed) go in with it too (the outbox, agentflow/webhooks_out).
_FINISH = _q(
    with_execution_outbox(
        """
    WITH ended AS (
        UPDATE executions SET status = :status, output = CAST(CAST(:output AS text) AS jsonb), error = :error,
               failed_node = :failed_node, finished_at = now(), waiting_for = NULL,
               duration_ms = CAST(
                   EXTRACT(EPOCH FROM (now() - COALESCE(started_at, created_at))) * 1000 AS integer),
               total_tokens = (SELECT COALESCE(SUM(tokens), 0) FROM execution_steps
                               WHERE execution_id = :execution_id),
               total_cost_usd = (SELECT COALESCE(SUM(cost_usd), 0) FROM execution_steps
                                 WHERE execution_id = :execution_id),
               updated_at = now()
        WHERE id = :execution_id AND status NOT IN ('completed', 'failed', 'cancelled', 'timed_out')
        RETURNING id, org_id, agent_id, version_id, status, triggered_by, error, failed_node, duration_ms
    ), interrupted AS (
        UPDATE execution_steps
        SET status = :step_status, error = COALESCE(:error, 'Stopped before it finished'),
            error_kind = CAST(:step_kind AS varchar), finished_at = now(), updated_at = now()
        WHERE execution_id = :execution_id AND status IN ('running', 'retrying', 'waiting')
          AND EXISTS (SELECT 1 FROM ended)
    ), hook_source AS (SELECT * FROM ended),""",
        """
    SELECT org_id FROM ended
    """,
    )
)
# What stopped a step left over by an execution's end, when that is known (a dead worker's say no more).
_STOPPED_KIND = {"cancelled": "cancelled", "timed_out": "timed_out", "completed": "cancelled"}
# A step's record and its stream event go in one round trip each (start, end): per node, that is the
# engine's whole database cost.
_STEP_START = _q(
    """
    WITH step AS (
        INSERT INTO execution_steps (id, org_id, execution_id, step_key, node_id, node_type, name, attempt,
                                     status, input, started_at, created_at, updated_at)
        VALUES (:id, :org_id, :execution_id, :step_key, :node_id, :node_type, :name, 1, :status,
                CAST(CAST(:input AS text) AS jsonb), now(), now(), now())
        ON CONFLICT (execution_id, step_key) DO UPDATE
           SET attempt = execution_steps.attempt + 1, status = EXCLUDED.status, input = EXCLUDED.input,
               error = NULL, error_kind = NULL, output = NULL, started_at = now(), finished_at = NULL,
               updated_at = now()
        RETURNING attempt
    ), event AS (
        INSERT INTO execution_events (org_id, execution_id, type, node_id, step_key, data, created_at)
        SELECT :org_id, :execution_id, 'step.started', :node_id, :step_key,
               jsonb_build_object('attempt', step.attempt), now()
        FROM step
        RETURNING id
    )
    SELECT step.attempt, pg_notify('agentflow_events', CAST(:channel_payload AS text)) FROM step, event
    """
)
_STEP_END = _q(
    """
    WITH step AS (
        UPDATE execution_steps
        SET status = :status, output = CAST(CAST(:output AS text) AS jsonb), error = :error,
            error_kind = :error_kind, finished_at = now(),
            duration_ms = CAST(EXTRACT(EPOCH FROM (now() - started_at)) * 1000 AS integer),
            -- a failed attempt's spend stays counted: what every attempt cost was paid
            tokens = execution_steps.tokens + :tokens, cost_usd = execution_steps.cost_usd + :cost_usd,
            handles = CAST(CAST(:handles AS text) AS jsonb),
            output_in_vault = :output_in_vault, updated_at = now()
        WHERE execution_id = :execution_id AND step_key = :step_key
        RETURNING node_id
    ), event AS (
        INSERT INTO execution_events (org_id, execution_id, type, node_id, step_key, data, created_at)
        SELECT :org_id, :execution_id, :event_type, step.node_id, :step_key,
               CAST(CAST(:event_data AS text) AS jsonb), now()
        FROM step
        RETURNING id
    )
    SELECT pg_notify('agentflow_events', CAST(:channel_payload AS text)) FROM event
    """
)
# What a resumed or retried run reuses instead of running again.
_COMPLETED_STEPS = _q(
    """
    SELECT step_key, output, handles, tokens, cost_usd, output_in_vault FROM execution_steps
    WHERE execution_id = :execution_id AND status = 'completed'
    """
)
_STEP_SKIPPED = _q(
    """
    INSERT INTO execution_steps (id, org_id, execution_id, step_key, node_id, node_type, name, attempt,
                                 status, created_at, updated_at)
    VALUES (:id, :org_id, :execution_id, :step_key, :node_id, :node_type, :name, 0, 'skipped', now(), now())
    ON CONFLICT (execution_id, step_key) DO NOTHING
    RETURNING id
    """
)
_LOG = _q(
    """
    INSERT INTO execution_logs (org_id, execution_id, level, message, node_id, step_key, created_at)
    VALUES (:org_id, :execution_id, :level, :message, :node_id, :step_key, now())
    """
)
_WAKE_FAST_LANES = _q("SELECT pg_notify(:channel, '')")
_CANCELLED = _q("SELECT 1 FROM executions WHERE id = :execution_id AND status = 'cancelled'")
_BY_FLOW_RUN = _q("SELECT id FROM executions WHERE prefect_flow_run_id = ANY(:flow_run_ids)")
_AGENT_LABEL = _q(
    "SELECT a.name, o.slug FROM agents a JOIN organizations o ON o.id = a.org_id WHERE a.id = :agent_id"
)


@dataclass(frozen=True)
class LoadedExecution:
    id: uuid.UUID
    org_id: uuid.UUID
    agent_id: uuid.UUID
    version_id: uuid.UUID | None
    status: str
    triggered_by: str
    input: Any
    attempt: int
    waiting_for: dict[str, Any] | None
    prefect_flow_run_id: uuid.UUID | None
    definition: dict[str, Any]
    lane: str = "standard"
    test_options: dict[str, Any] | None = None  # a test run's per-node choices (engine/worker/test_nodes.py)


@dataclass(frozen=True)
class CompletedStep:
    step_key: str
    output: Any  # masked; the unmasked output is in Vault when `output_in_vault`
    handles: tuple[str, ...]
    tokens: int
    cost_usd: float
    output_in_vault: bool


class EngineStore:
    def __init__(self, db: FastReader) -> None:
        self.db = db

    async def load(self, execution_id: uuid.UUID) -> LoadedExecution | None:
        row = await self.db.fetchrow(_LOAD, execution_id=execution_id)
        if row is None:
            return None
        return LoadedExecution(
            id=row["id"],
            org_id=row["org_id"],
            agent_id=row["agent_id"],
            version_id=row["version_id"],
            status=row["status"],
            triggered_by=row["triggered_by"],
            input=row["input"],
            attempt=row["attempt"],
            waiting_for=row["waiting_for"],
            prefect_flow_run_id=row["prefect_flow_run_id"],
            definition=row["definition"],
            lane=row["lane"],
            test_options=row["test_options"],
        )

    async def event(
        self,
        org_id: uuid.UUID,
        execution_id: uuid.UUID,
        event_type: str,
        *,
        node_id: str | None = None,
        step_key: str | None = None,
        data: Any = None,
    ) -> None:
        await self.db.execute(
            _EVENT,
            org_id=org_id,
            execution_id=execution_id,
            type=event_type,
            node_id=node_id,
            step_key=step_key,
            data=_json(data),
            channel_payload=str(execution_id),
        )

    async def mark_running(self, execution_id: uuid.UUID, flow_run_id: uuid.UUID | None) -> bool:
        """False when the execution already ended (a duplicate or late run must not touch it)."""
        row = await self.db.fetchrow(_RUNNING, execution_id=execution_id, flow_run_id=flow_run_id)
        return row is not None

    async def wake_fast_lanes(self) -> None:
        """A fast execution was queued here (a scheduled run): the workers' fast lanes claim it."""
        await self.db.execute(_WAKE_FAST_LANES, channel=FAST_LANE_CHANNEL)

    async def cancelled(self, execution_id: uuid.UUID) -> bool:
        """Whether the API cancelled it (the fast lane asks before each node: one primary-key read)."""
        return await self.db.fetchrow(_CANCELLED, execution_id=execution_id) is not None

    async def mark_paused(
        self, execution_id: uuid.UUID, waiting_for: dict[str, Any], *, notice: Notice, recipients: Recipients
    ) -> list[uuid.UUID]:
        """Record the pause and notify whoever may decide; the notifications to mail after it."""
        rows = await self.db.fetch(
            _PAUSED,
            execution_id=execution_id,
            waiting_for=_json(waiting_for),
            kind=notice.kind.value,
            title=notice.title,
            body=notice.body,
            link=notice.link,
            dedupe_key=notice.dedupe_key,
            email=notice.email,
            user_ids=sorted(recipients.user_ids),
            roles=sorted(role.value for role in recipients.roles),
            custom_role_floor=recipients.custom_role_floor,
            hook_event=WebhookEvent.execution_paused.value,
        )
        return [row["id"] for row in rows]

    async def finish(
        self,
        execution_id: uuid.UUID,
        status: str,
        *,
        output: Any = None,
        error: str | None = None,
        failed_node: str | None = None,
    ) -> bool:
        """Record the final state once, with the steps still under way; True if this call ended it."""
        row = await self.db.fetchrow(
            _FINISH,
            execution_id=execution_id,
            status=status,
            # A step left over by a completed run was stopped on purpose (a loop's handled timeout).
            step_status={"completed": "cancelled", "failed": "failed"}.get(status, status),
            step_kind=_STOPPED_KIND.get(status),
            output=_json(output),
            error=error,
            failed_node=failed_node,
            hook_event=event.value if (event := EXECUTION_END_EVENTS.get(status)) else None,
        )
        return row is not None

    async def step_started(
        self,
        org_id: uuid.UUID,
        execution_id: uuid.UUID,
        *,
        step_key: str,
        node_id: str,
        node_type: str,
        name: str,
        input: Any,
        status: str = "running",
    ) -> int:
        """Record the step's start (a retry bumps its attempt), stream `step.started`; return the attempt."""
        row = await self.db.fetchrow(
            _STEP_START,
            id=uuid.uuid4(),
            org_id=org_id,
            execution_id=execution_id,
            step_key=step_key,
            node_id=node_id,
            node_type=node_type,
            name=name,
            status=status,
            input=_json(input),
            channel_payload=str(execution_id),
        )
        assert row is not None
        return int(row["attempt"])

    async def step_ended(
        self,
        org_id: uuid.UUID,
        execution_id: uuid.UUID,
        *,
        step_key: str,
        status: str,
        event_type: str,
        event_data: Any,
        output: Any = None,
        error: str | None = None,
        error_kind: str | None = None,
        tokens: int = 0,
        cost_usd: float | Decimal = 0,
        handles: list[str] | None = None,
        output_in_vault: bool = False,
    ) -> None:
        """Record how the step ended and stream `event_type` with `event_data`, in one round trip.
        RecordingFailed (never retried by Prefect) when the database stayed unreachable: a handler that ran
        must not run again because its end could not be written."""
        try:
            await self.db.execute(
                _STEP_END,
                org_id=org_id,
                event_type=event_type,
                event_data=_json(event_data),
                channel_payload=str(execution_id),
                execution_id=execution_id,
                step_key=step_key,
                status=status,
                output=_json(output),
                error=error,
                error_kind=error_kind,
                tokens=tokens,
                cost_usd=Decimal(str(cost_usd)),
                handles=_json(handles),
                output_in_vault=output_in_vault,
            )
        except DATABASE_OUTAGE as exc:
            raise RecordingFailed(
                f"{step_key} ended ({status}), but that could not be recorded: {type(exc).__name__}: {exc}"
            ) from None

    async def completed_steps(self, execution_id: uuid.UUID) -> list[CompletedStep]:
        rows = await self.db.fetch(_COMPLETED_STEPS, execution_id=execution_id)
        return [
            CompletedStep(
                step_key=row["step_key"],
                output=row["output"],
                # NULL only for a row older than the handles column with no event to backfill from.
                handles=tuple(row["handles"]) if row["handles"] is not None else (DEFAULT_HANDLE,),
                tokens=row["tokens"],
                cost_usd=float(row["cost_usd"]),
                output_in_vault=row["output_in_vault"],
            )
            for row in rows
        ]

    async def step_skipped(
        self,
        org_id: uuid.UUID,
        execution_id: uuid.UUID,
        *,
        step_key: str,
        node_id: str,
        node_type: str,
        name: str,
    ) -> bool:
        """Record a skip once (a resumed run walks the graph again); True if it is new."""
        row = await self.db.fetchrow(
            _STEP_SKIPPED,
            id=uuid.uuid4(),
            org_id=org_id,
            execution_id=execution_id,
            step_key=step_key,
            node_id=node_id,
            node_type=node_type,
            name=name,
        )
        return row is not None

    async def log(
        self,
        org_id: uuid.UUID,
        execution_id: uuid.UUID,
        level: str,
        message: str,
        *,
        node_id: str | None = None,
        step_key: str | None = None,
    ) -> None:
        await self.db.execute(
            _LOG,
            org_id=org_id,
            execution_id=execution_id,
            level=level,
            message=message,
            node_id=node_id,
            step_key=step_key,
        )

    async def agent_label(self, agent_id: uuid.UUID) -> tuple[str, str] | None:
        """The agent's name and its org's slug: what a run is called in Prefect's UI."""
        row = await self.db.fetchrow(_AGENT_LABEL, agent_id=agent_id)
        return (row["name"], row["slug"]) if row is not None else None

    async def executions_of_flow_runs(self, flow_run_ids: list[uuid.UUID]) -> list[uuid.UUID]:
        rows = await self.db.fetch(_BY_FLOW_RUN, flow_run_ids=flow_run_ids)
        return [row["id"] for row in rows]


_store: EngineStore | None = None


async def engine_store() -> EngineStore:
    """The process-wide store (a small asyncpg pool), created on first use."""
    global _store
    if _store is None:
        from agentflow.config import get_settings

        settings = get_settings()
        pool = await PoolReader.connect(settings.database_url, max_size=settings.database_pool_size)
        # A database restart or failover must not leave a step `running` or re-run it (recording.py).
        _store = EngineStore(RetryingReader(pool, window=settings.outage_retry_seconds))
    return _store
