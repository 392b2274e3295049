"""Executions once they exist: reads, cancel, approve (only allowed approvers), retry in place.

Creating one is triggers.py's job, for every source."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import jsonschema
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

from agentflow.agents import access
from agentflow.auth.subject import AuthSubject
from agentflow.engine.gateway import PrefectGateway
from agentflow.errors import Conflict, Forbidden, NotFound, ValidationFailed
from agentflow.executions.repository import ExecutionRepository
from agentflow.executions.schemas import ApproveRequest, ExecutionFilters, ExecutionPublic
from agentflow.kit.pagination import Page
from agentflow.models import (
    Execution,
    ExecutionEvent,
    ExecutionLog,
    ExecutionStatus,
    ExecutionStep,
)
from agentflow.models.execution import FINAL_STATUSES
from agentflow.nodes.approval.approvers import may_decide
from agentflow.rbac import Permission


class ExecutionService:
    async def get(self, session: AsyncSession, *, subject: AuthSubject, execution_id: uuid.UUID) -> Execution:
        """One execution of the caller's org, of an agent they may read (404 for any other org's, or of a
        restricted agent they may not read)."""
        execution = await ExecutionRepository(session).get_reachable(
            subject.org_id, execution_id, access.visible_agent_ids(subject)
        )
        if execution is None:
            raise NotFound.resource("Execution", execution_id)
        return execution

    async def list(
        self,
        session: AsyncSession,
        *,
        subject: AuthSubject,
        filters: ExecutionFilters,
        cursor: str | None,
        limit: int,
    ) -> Page[Execution]:
        """Executions of the caller's org, of the agents they may read, newest first."""
        return await ExecutionRepository(session).page_filtered(
            subject.org_id, filters, cursor=cursor, limit=limit, agent_ids=access.visible_agent_ids(subject)
        )

    async def describe(
        self, session: AsyncSession, *, org_id: uuid.UUID, executions: Sequence[Execution]
    ) -> Sequence[ExecutionPublic]:
        """The executions as the API shows them: with the number of the version that ran and what their
        approval steps decided (two queries for the whole list)."""
        repo = ExecutionRepository(session)
        versions = await repo.version_numbers(
            list({e.version_id for e in executions if e.version_id is not None})
        )
        rejected = await repo.approvals_rejected(org_id, [e.id for e in executions])
        return [
            ExecutionPublic.model_validate(execution).model_copy(
                update={
                    "version": versions.get(execution.version_id) if execution.version_id else None,
                    "approval": _approval(execution, rejected.get(execution.id)),
                }
            )
            for execution in executions
        ]

    async def steps(
        self, session: AsyncSession, *, subject: AuthSubject, execution_id: uuid.UUID
    ) -> Sequence[ExecutionStep]:
        """The execution's steps in the order they started."""
        await self.get(session, subject=subject, execution_id=execution_id)
        return await ExecutionRepository(session).steps(execution_id)

    async def logs(
        self, session: AsyncSession, *, subject: AuthSubject, execution_id: uuid.UUID, after: int, limit: int
    ) -> Sequence[ExecutionLog]:
        """Log lines after a given id (poll with the last id seen)."""
        await self.get(session, subject=subject, execution_id=execution_id)
        return await ExecutionRepository(session).logs(execution_id, after=after, limit=limit)

    async def events(
        self, session: AsyncSession, *, subject: AuthSubject, execution_id: uuid.UUID, after: int, limit: int
    ) -> Sequence[ExecutionEvent]:
        """Stream events after a given id."""
        await self.get(session, subject=subject, execution_id=execution_id)
        return await ExecutionRepository(session).events(execution_id, after=after, limit=limit)

    async def _locked(
        self,
        session: AsyncSession,
        subject: AuthSubject,
        execution_id: uuid.UUID,
        permission: Permission = Permission.agents_read,
    ) -> Execution:
        """The execution, locked, if the caller may use `permission` on its agent (404, or 403 when they
        may only read the agent)."""
        execution = await ExecutionRepository(session).locked(
            subject.org_id, execution_id, access.visible_agent_ids(subject)
        )
        if execution is None:
            raise NotFound.resource("Execution", execution_id)
        if permission != Permission.agents_read:
            await access.check(
                session,
                subject=subject,
                agent_id=execution.agent_id,
                permission=permission,
                missing=NotFound.resource("Execution", execution_id),
            )
        return execution

    async def run_stats(
        self, session: AsyncSession, *, agent_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, dict[str, Any]]:
        """Per agent: when it last started a run, and the share of its finished runs in the last 30 days
        that completed (None without any)."""
        return await ExecutionRepository(session).run_stats(agent_ids, window=timedelta(days=30))

    async def cancel(
        self, session: AsyncSession, gateway: PrefectGateway, *, subject: AuthSubject, execution_id: uuid.UUID
    ) -> Execution:
        """Stop a queued, running or paused execution (needs `agents:execute` on its agent)."""
        execution = await self._locked(session, subject, execution_id, Permission.agents_execute)
        if execution.status in FINAL_STATUSES:
            raise Conflict(f"The execution already {execution.status}", code="already_finished")
        if execution.lane == "fast":
            # Recorded here; the fast lane checks before each node and stops the walk (its flow run is
            # shared with other executions, so it is never cancelled in Prefect for one of them).
            self._end(session, execution, ExecutionStatus.cancelled, "Cancelled")
            await ExecutionRepository(session).end_unfinished_steps(
                execution.id, status=ExecutionStatus.cancelled, error="Cancelled"
            )
            return execution
        if execution.status == ExecutionStatus.running and execution.prefect_flow_run_id:
            # The worker stops the run and records the cancellation itself (if the worker is gone, the
            # sweeper of any other worker cancels it: engine/worker/heartbeat.py).
            await gateway.cancel(execution.prefect_flow_run_id, running=True)
            return execution
        if execution.prefect_flow_run_id:
            await gateway.cancel(execution.prefect_flow_run_id, running=False)
        self._end(session, execution, ExecutionStatus.cancelled, "Cancelled")
        # A paused execution's approval step ends with it: nothing can decide on it any more.
        await ExecutionRepository(session).end_unfinished_steps(
            execution.id, status=ExecutionStatus.cancelled, error="Cancelled"
        )
        return execution

    def _end(
        self, session: AsyncSession, execution: Execution, status: ExecutionStatus, message: str
    ) -> None:
        now = datetime.now(UTC)
        execution.status = status
        execution.error = message
        execution.finished_at = now
        execution.waiting_for = None
        session.add(
            ExecutionEvent(
                org_id=execution.org_id,
                execution_id=execution.id,
                type=f"execution.{status}",
                data={"status": status, "error": message},
                created_at=now,
            )
        )

    async def approve(
        self, session: AsyncSession, *, subject: AuthSubject, execution_id: uuid.UUID, body: ApproveRequest
    ) -> Execution:
        """Record the decision on a pending approval (the run is woken once it is committed); only the
        approvers the node names may decide (any editor if it names none), as themselves."""
        execution = await self._locked(session, subject, execution_id)
        waiting = execution.waiting_for
        if execution.status != ExecutionStatus.paused or not waiting or waiting.get("decision"):
            raise Conflict("This execution is not waiting for an approval", code="not_waiting")
        if not _may_approve(subject, waiting.get("approvers") or []):
            raise Forbidden("You are not one of this step's approvers")
        _check_fields(body.fields, waiting.get("input_schema"), approved=body.approved)
        # `by` is always the authenticated caller; the engine reads the decision from this row only.
        decision = {
            "approved": body.approved,
            "comment": body.comment,
            "by": str(subject.user_id),
            "at": datetime.now(UTC).isoformat(),
            "timed_out": False,
            "fields": body.fields,
        }
        execution.waiting_for = {**waiting, "decision": decision}
        flag_modified(execution, "waiting_for")
        return execution

    async def retry_in_place(
        self, session: AsyncSession, gateway: PrefectGateway, *, subject: AuthSubject, execution_id: uuid.UUID
    ) -> Execution:
        """Re-run the same flow run: completed steps are reused, the failed one runs again (needs
        `agents:execute` on its agent)."""
        execution = await self._locked(session, subject, execution_id, Permission.agents_execute)
        if execution.status not in (
            ExecutionStatus.failed,
            ExecutionStatus.timed_out,
            ExecutionStatus.cancelled,
        ):
            raise Conflict(
                "Only a failed, timed out or cancelled execution can be retried", code="not_retryable"
            )
        if execution.prefect_flow_run_id is None:
            raise Conflict("This execution never started; run the agent again instead", code="not_retryable")
        if execution.checkpoints_purged_at is not None:
            raise Conflict(
                "This execution ended too long ago to retry: the step results it would reuse were removed "
                "(checkpoint retention); run the agent again instead",
                code="retry_expired",
            )
        if execution.lane == "fast":
            execution.prefect_flow_run_id = None  # claimed again by a fast lane (the router wakes them)
        else:
            await gateway.retry(execution.prefect_flow_run_id)
        execution.status = ExecutionStatus.queued
        execution.attempt += 1
        execution.error = None
        execution.failed_node = None
        execution.finished_at = None
        session.add(
            ExecutionEvent(
                org_id=execution.org_id,
                execution_id=execution.id,
                type="execution.retrying",
                data={"attempt": execution.attempt},
                created_at=datetime.now(UTC),
            )
        )
        return execution


def _approval(
    execution: Execution, rejected: bool | None
) -> Literal["waiting", "approved", "rejected"] | None:
    """`waiting` while a decision is pending, else what the decided approval steps said (None: none ran)."""
    waiting = execution.waiting_for
    if execution.status == ExecutionStatus.paused and waiting and not waiting.get("decision"):
        return "waiting"
    if rejected is None:
        return None
    return "rejected" if rejected else "approved"


def _may_approve(subject: AuthSubject, approvers: list[str]) -> bool:
    return may_decide(subject.acting_role, subject.user_id, approvers)


# What the decision itself says: an approver's fields may not set these.
RESERVED_FIELDS = frozenset({"approved", "comment", "by", "at", "timed_out"})


def _check_fields(fields: dict[str, Any], schema: dict[str, Any] | None, *, approved: bool) -> None:
    """The approver's fields must match the node's input_schema and leave the decision's own keys alone
    (a rejection need not fill the required ones)."""
    reserved = sorted(RESERVED_FIELDS & set(fields))
    if reserved:
        raise ValidationFailed(
            f"fields.{reserved[0]} is part of the decision itself and cannot be set as a field",
            code="invalid_fields",
        )
    if not schema:
        return
    if not approved:
        schema = {k: v for k, v in schema.items() if k != "required"}
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(fields))
    if error is not None:
        where = ".".join(str(p) for p in error.absolute_path) or "fields"
        raise ValidationFailed(
            f"The approval fields do not match the step's input_schema at {where}: {error.message}",
            code="invalid_fields",
        )


execution_service = ExecutionService()
