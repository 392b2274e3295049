"""The plans and usage as the API shows them (GET /billing/plans, GET /billing/usage)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from agentflow.billing.limits import Usage
from agentflow.billing.plans import PLANS, Plan, PlanName


class PlanLimitsPublic(BaseModel):
    """Each limit's allowance; null is unlimited."""

    agents: int | None
    executions: int | None
    knowledge_bytes: int | None
    seats: int | None


class PlanPublic(BaseModel):
    name: PlanName
    title: str
    monthly_usd: int | None
    limits: PlanLimitsPublic
    api_requests_per_minute: int | None
    features: list[str]
    self_serve: bool

    @classmethod
    def of(cls, plan: Plan) -> PlanPublic:
        return cls(
            name=plan.name,
            title=plan.title,
            monthly_usd=plan.monthly_usd,
            limits=PlanLimitsPublic(**{str(name): value for name, value in plan.limits.items()}),
            api_requests_per_minute=plan.api_requests_per_minute,
            features=list(plan.features),
            self_serve=plan.self_serve,
        )


class PlansPublic(BaseModel):
    billing_enabled: bool
    current: PlanName  # the plan the org is held to now
    plans: list[PlanPublic]

    @classmethod
    def of(cls, *, billing_enabled: bool, current: Plan) -> PlansPublic:
        """Every plan; `self_hosted` only when billing is off (it cannot be bought)."""
        listed = [p for p in PLANS.values() if p.name != PlanName.self_hosted or not billing_enabled]
        return cls(
            billing_enabled=billing_enabled,
            current=current.name,
            plans=[PlanPublic.of(p) for p in listed],
        )


class LimitUsagePublic(BaseModel):
    used: int
    limit: int | None  # null: unlimited


class UsageLimitsPublic(BaseModel):
    agents: LimitUsagePublic
    executions: LimitUsagePublic
    knowledge_bytes: LimitUsagePublic
    seats: LimitUsagePublic


class UsagePublic(BaseModel):
    plan: PlanName
    period_start: datetime
    period_end: datetime
    limits: UsageLimitsPublic

    @classmethod
    def of(cls, usage: Usage) -> UsagePublic:
        return cls(
            plan=usage.plan.name,
            period_start=usage.period.start,
            period_end=usage.period.end,
            limits=UsageLimitsPublic(
                **{
                    str(name): LimitUsagePublic(used=figure.used, limit=figure.limit)
                    for name, figure in usage.limits.items()
                }
            ),
        )
