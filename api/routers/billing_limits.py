"""GET /billing/plans and GET /billing/usage: the plans, and this period's usage against the org's plan."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from agentflow.auth.subject import AuthSubject
from agentflow.billing.usage_schemas import PlansPublic, UsagePublic
from agentflow.rbac import Permission
from api.deps import Authorize, PlanLimitsDep, SessionDep
from api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/billing", tags=["billing"], responses=ERROR_RESPONSES)

BillingReader = Annotated[AuthSubject, Depends(Authorize(Permission.billing_read))]


@router.get("/plans", response_model=PlansPublic)
async def list_plans(subject: BillingReader, session: SessionDep, limits: PlanLimitsDep) -> PlansPublic:
    """The plans with their limits and features, and the plan the organization is on (viewer+). Without
    billing every organization is on the unlimited `self_hosted` plan."""
    current = await limits.current_plan(session, org_id=subject.org_id)
    return PlansPublic.of(billing_enabled=limits.enabled, current=current)


@router.get("/usage", response_model=UsagePublic)
async def get_usage(subject: BillingReader, session: SessionDep, limits: PlanLimitsDep) -> UsagePublic:
    """This billing period's usage against each of the plan's limits (`limit: null` is unlimited; viewer+).
    Executions leave out test runs and runs other agents started as tools; seats are members plus pending
    invitations."""
    return UsagePublic.of(await limits.usage(session, org_id=subject.org_id))
