"""/api/v1/analytics: executions, outcomes, durations, tokens and cost over a range of the org's days."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from agentflow.agents.service import agent_service
from agentflow.analytics.schemas import (
    AgentAnalytics,
    CostBreakdown,
    CostGrouping,
    Overview,
    Period,
    UsageSeries,
)
from agentflow.analytics.service import analytics_service
from agentflow.auth.subject import AuthSubject
from agentflow.rbac import Permission
from api.deps import Authorize, SessionDep
from api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/analytics", tags=["analytics"], responses=ERROR_RESPONSES)

Reader = Annotated[AuthSubject, Depends(Authorize(Permission.analytics_read))]
From = Annotated[
    date | None,
    Query(alias="from", description="First day, in the org's time zone (default: 29 days before `to`)."),
]
To = Annotated[date | None, Query(alias="to", description="Last day, inclusive (default: today).")]


@router.get("/overview", response_model=Overview)
async def overview(subject: Reader, session: SessionDep, first: From = None, last: To = None) -> Overview:
    """Totals of the range, with the same-length period before it for a trend (viewer+)."""
    return await analytics_service.overview(session, subject=subject, first=first, last=last)


@router.get("/usage", response_model=UsageSeries)
async def usage(
    subject: Reader,
    session: SessionDep,
    period: Annotated[Period, Query(description="One point per day, ISO week or month.")] = Period.daily,
    first: From = None,
    last: To = None,
) -> UsageSeries:
    """The range as a zero-filled time series (viewer+)."""
    return await analytics_service.usage(session, subject=subject, period=period, first=first, last=last)


@router.get("/costs", response_model=CostBreakdown)
async def costs(
    subject: Reader,
    session: SessionDep,
    group_by: Annotated[CostGrouping, Query(description="agent, provider or model.")] = CostGrouping.agent,
    first: From = None,
    last: To = None,
) -> CostBreakdown:
    """Cost and tokens by agent, provider or model, highest cost first (viewer+)."""
    return await analytics_service.costs(session, subject=subject, group_by=group_by, first=first, last=last)


@router.get("/agents/{agent_id}", response_model=AgentAnalytics)
async def agent_analytics(
    agent_id: uuid.UUID, subject: Reader, session: SessionDep, first: From = None, last: To = None
) -> AgentAnalytics:
    """One agent: summary, daily success and cost trend, duration histogram, errors (viewer+)."""
    agent = await agent_service.get(session, subject=subject, agent_id=agent_id)
    return await analytics_service.agent(session, subject=subject, agent=agent, first=first, last=last)
