"""/api/v1: run agents (execute, test), read executions, cancel, approve, retry."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Header, Query, status

from agentflow.agents.service import agent_service
from agentflow.auth.subject import AuthSubject
from agentflow.executions.schemas import (
    ApproveRequest,
    EventPublic,
    ExecuteRequest,
    ExecutionAccepted,
    ExecutionFilters,
    ExecutionPublic,
    LogPublic,
    RetryRequest,
    StepPublic,
    TestRunRequest,
)
from agentflow.executions.service import execution_service
from agentflow.executions.triggers import Triggered, trigger_service
from agentflow.kit.schemas import PageOf
from agentflow.models import Execution, ExecutionStatus, TriggeredBy
from agentflow.rbac import Permission
from api.deps import (
    INT64_MAX,
    Authorize,
    DispatcherDep,
    GatewayDep,
    PageDep,
    PlanLimitsDep,
    SessionDep,
)
from api.errors import ERROR_RESPONSES

router = APIRouter(tags=["executions"], responses=ERROR_RESPONSES)

Runner = Annotated[AuthSubject, Depends(Authorize(Permission.agents_execute))]
Reader = Annotated[AuthSubject, Depends(Authorize(Permission.executions_read))]
Manager = Annotated[AuthSubject, Depends(Authorize(Permission.executions_manage))]
Approver = Annotated[AuthSubject, Depends(Authorize(Permission.executions_approve))]
IdempotencyKey = Annotated[
    str | None,
    Header(
        max_length=200,
        description="Retrying with the same key returns the same execution, never a second run.",
    ),
]


def _accepted(execution: Execution | Triggered) -> ExecutionAccepted:
    return ExecutionAccepted(id=execution.id, status=execution.status, agent_id=execution.agent_id)  # type: ignore[arg-type]


@router.post(
    "/agents/{agent_id}/execute", status_code=status.HTTP_202_ACCEPTED, response_model=ExecutionAccepted
)
async def execute_agent(
    agent_id: uuid.UUID,
    body: ExecuteRequest,
    subject: Runner,
    session: SessionDep,
    limits: PlanLimitsDep,
    dispatcher: DispatcherDep,
    background: BackgroundTasks,
    idempotency_key: IdempotencyKey = None,
) -> ExecutionAccepted:
    """Run the agent's current version with this input; answers at once (watch the stream for progress)."""
    agent = await agent_service.get(
        session, subject=subject, agent_id=agent_id, permission=Permission.agents_execute
    )
    triggered = await trigger_service.start(
        session,
        limits=limits,
        agent=agent,
        triggered_by=TriggeredBy.api if subject.method == "api_key" else TriggeredBy.manual,
        input=body.input,
        user_id=subject.user_id,
        idempotency_key=idempotency_key,
    )
    if triggered.created:
        background.add_task(dispatcher.dispatch_quietly, triggered.id)
    return _accepted(triggered)


@router.post(
    "/agents/{agent_id}/test", status_code=status.HTTP_202_ACCEPTED, response_model=ExecutionAccepted
)
async def test_agent(
    agent_id: uuid.UUID,
    body: TestRunRequest,
    subject: Runner,
    session: SessionDep,
    limits: PlanLimitsDep,
    dispatcher: DispatcherDep,
    background: BackgroundTasks,
) -> ExecutionAccepted:
    """Run the draft (or the given definition) with sample input; actions with side effects only preview,
    unless `nodes` gives one a sample response (merged into its preview) or says to really send it."""
    agent = await agent_service.get(
        session, subject=subject, agent_id=agent_id, permission=Permission.agents_execute
    )
    triggered = await trigger_service.start(
        session,
        limits=limits,
        agent=agent,
        triggered_by=TriggeredBy.test,
        input=body.input,
        user_id=subject.user_id,
        test_definition=body.definition,
        caller=subject,
        test_options={node_id: option.model_dump() for node_id, option in body.nodes.items()},
    )
    background.add_task(dispatcher.dispatch_quietly, triggered.id)
    return _accepted(triggered)


async def execution_filters(
    agent_id: uuid.UUID | None = None,
    status: ExecutionStatus | None = None,
    triggered_by: TriggeredBy | None = None,
    since: Annotated[datetime | None, Query(description="Created at or after this time.")] = None,
    until: Annotated[datetime | None, Query(description="Created before this time.")] = None,
) -> ExecutionFilters:
    return ExecutionFilters(
        agent_id=agent_id, status=status, triggered_by=triggered_by, since=since, until=until
    )


@router.get("/executions", response_model=PageOf[ExecutionPublic])
async def list_executions(
    subject: Reader,
    session: SessionDep,
    page: PageDep,
    filters: Annotated[ExecutionFilters, Depends(execution_filters)],
) -> PageOf[ExecutionPublic]:
    """Executions, newest first; filter by agent, status, trigger and time."""
    result = await execution_service.list(
        session, subject=subject, filters=filters, cursor=page.cursor, limit=page.limit
    )
    items = await execution_service.describe(session, org_id=subject.org_id, executions=result.items)
    return PageOf[ExecutionPublic](items=items, next_cursor=result.next_cursor)


@router.get("/executions/{execution_id}", response_model=ExecutionPublic)
async def get_execution(execution_id: uuid.UUID, subject: Reader, session: SessionDep) -> ExecutionPublic:
    """One execution: status, input, output, error, totals, the pending approval, the version that ran."""
    execution = await execution_service.get(session, subject=subject, execution_id=execution_id)
    (described,) = await execution_service.describe(session, org_id=subject.org_id, executions=[execution])
    return described


@router.get("/executions/{execution_id}/steps", response_model=list[StepPublic])
async def list_steps(execution_id: uuid.UUID, subject: Reader, session: SessionDep) -> list[StepPublic]:
    """Every step with its resolved input and output (secrets masked), timing, tokens and cost."""
    steps = await execution_service.steps(session, subject=subject, execution_id=execution_id)
    return [StepPublic.model_validate(step) for step in steps]


@router.get("/executions/{execution_id}/logs", response_model=list[LogPublic])
async def list_logs(
    execution_id: uuid.UUID,
    subject: Reader,
    session: SessionDep,
    after: Annotated[int, Query(ge=0, le=INT64_MAX, description="Only lines after this id.")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[LogPublic]:
    """Log lines in order; poll with the last id seen."""
    logs = await execution_service.logs(
        session, subject=subject, execution_id=execution_id, after=after, limit=limit
    )
    return [LogPublic.model_validate(line) for line in logs]


@router.get("/executions/{execution_id}/events", response_model=list[EventPublic])
async def list_events(
    execution_id: uuid.UUID,
    subject: Reader,
    session: SessionDep,
    after: Annotated[int, Query(ge=0, le=INT64_MAX, description="Only events after this id.")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> list[EventPublic]:
    """The execution's event stream as a list (the WebSocket `/stream` pushes the same events live)."""
    events = await execution_service.events(
        session, subject=subject, execution_id=execution_id, after=after, limit=limit
    )
    return [EventPublic.model_validate(event) for event in events]


@router.post("/executions/{execution_id}/cancel", response_model=ExecutionPublic)
async def cancel_execution(
    execution_id: uuid.UUID, subject: Manager, session: SessionDep, gateway: GatewayDep
) -> ExecutionPublic:
    """Stop a queued, running or paused execution (409 if it already ended)."""
    return ExecutionPublic.model_validate(
        await execution_service.cancel(session, gateway, subject=subject, execution_id=execution_id)
    )


@router.post("/executions/{execution_id}/approve", response_model=ExecutionPublic)
async def approve_execution(
    execution_id: uuid.UUID,
    body: ApproveRequest,
    subject: Approver,
    session: SessionDep,
    dispatcher: DispatcherDep,
    background: BackgroundTasks,
) -> ExecutionPublic:
    """Approve or reject a paused approval step; only its approvers may (409 if nothing is waiting).

    The decision is stored first; the run resumes right after (it reads the decision from AgentFlow, so a
    resume from anywhere else decides nothing)."""
    execution = await execution_service.approve(
        session, subject=subject, execution_id=execution_id, body=body
    )
    background.add_task(dispatcher.resume_decided, execution.id)
    return ExecutionPublic.model_validate(execution)


@router.post(
    "/executions/{execution_id}/retry", status_code=status.HTTP_202_ACCEPTED, response_model=ExecutionAccepted
)
async def retry_execution(
    execution_id: uuid.UUID,
    body: RetryRequest,
    subject: Manager,
    session: SessionDep,
    limits: PlanLimitsDep,
    gateway: GatewayDep,
    dispatcher: DispatcherDep,
    background: BackgroundTasks,
) -> ExecutionAccepted:
    """Re-run from the failed step reusing completed steps (`from_failed`), or start over with the input."""
    if body.from_failed:
        execution = await execution_service.retry_in_place(
            session, gateway, subject=subject, execution_id=execution_id
        )
        # A fast-lane execution is queued again without a flow run: this wakes the workers' fast lanes.
        background.add_task(dispatcher.dispatch_quietly, execution.id)
        return _accepted(execution)
    triggered = await trigger_service.rerun(
        session, limits=limits, subject=subject, execution_id=execution_id
    )
    background.add_task(dispatcher.dispatch_quietly, triggered.id)
    return _accepted(triggered)
