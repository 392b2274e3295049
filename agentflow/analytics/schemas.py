"""Analytics answers (api14: the shapes the web app charts). Money in USD as JSON numbers, dates local to
the org's time zone."""

from __future__ import annotations

import datetime as dt
import uuid
from datetime import date
from enum import StrEnum

from pydantic import ConfigDict, Field

from agentflow.kit.schemas import Schema


class Period(StrEnum):
    daily = "daily"
    weekly = "weekly"  # ISO weeks, starting Monday
    monthly = "monthly"


class CostGrouping(StrEnum):
    agent = "agent"
    provider = "provider"
    model = "model"


class Ranged(Schema):
    """A range answer: `from` is a Python keyword, so the field is `from_`, written as `from`."""

    model_config = ConfigDict(from_attributes=True, populate_by_name=True)

    from_: date = Field(serialization_alias="from")
    to: date


class Totals(Schema):
    executions: int
    succeeded: int
    failed: int
    timed_out: int
    success_rate: float | None  # succeeded / finished; null when none finished
    avg_duration_ms: float | None
    p95_duration_ms: float | None  # from duration buckets: within a bucket's width (see docs/api.md)
    active_agents: int
    tokens: int
    tokens_in: int
    tokens_out: int
    cost_usd: float


class PreviousPeriod(Ranged, Totals):
    pass


class Overview(Ranged, Totals):
    timezone: str
    previous: PreviousPeriod


class UsagePoint(Schema):
    start: date
    executions: int
    succeeded: int
    failed: int
    timed_out: int
    tokens: int
    tokens_in: int
    tokens_out: int
    cost_usd: float
    avg_duration_ms: float | None


class UsageSeries(Ranged):
    period: Period
    timezone: str
    points: list[UsagePoint]


class CostItem(Schema):
    key: str
    name: str
    executions: int
    tokens: int
    tokens_in: int
    tokens_out: int
    cost_usd: float


class CostBreakdown(Ranged):
    group_by: CostGrouping
    total_cost_usd: float
    items: list[CostItem]


class AgentRunSummary(Schema):
    executions: int
    succeeded: int
    failed: int
    timed_out: int
    success_rate: float | None
    avg_duration_ms: float | None
    p95_duration_ms: float | None
    tokens: int
    cost_usd: float


class AgentTrendPoint(Schema):
    date: dt.date
    executions: int
    succeeded: int
    failed: int
    timed_out: int
    success_rate: float | None
    cost_usd: float
    avg_cost_usd: float | None


class HistogramBucket(Schema):
    le_ms: int | None  # upper bound; null = slower than every bound
    count: int


class ErrorCount(Schema):
    error_kind: str
    node_id: str | None
    count: int


class AgentAnalytics(Ranged):
    agent_id: uuid.UUID
    name: str
    timezone: str
    summary: AgentRunSummary
    trend: list[AgentTrendPoint]
    duration_histogram: list[HistogramBucket]
    errors: list[ErrorCount]
